"""The course report: ``build/report.json`` and ``build/report.md`` from the notebooks' metrics
files (metrics, tables, claims), plus the benchmarks section (``course bench``)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..claims import Claim
from ..prose import number

HELD, NOT_HELD, NOT_JUDGED = "se cumple", "NO se cumple", "sin juzgar (FAST)"


def read_metrics_file(path: Path) -> dict[str, float | str]:
    """Read a JSON-lines metrics file; later values of the same name win."""
    return {item["name"]: item["value"] for item in _read_jsonl(path) if "value" in item}


def read_tables_file(path: Path) -> dict[str, str]:
    """The Markdown tables recorded with :func:`record_table` in a metrics file."""
    return {item["name"]: item["table"] for item in _read_jsonl(path) if "table" in item}


def read_claims_file(path: Path) -> dict[str, Claim]:
    """The claims recorded with :func:`course_utils.report.record_claim`; later ones of a name win."""
    return {item["name"]: Claim.from_dict(item["claim"]) for item in _read_jsonl(path) if "claim" in item}


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class NotebookResult:
    """Outcome of executing one chapter notebook."""

    name: str
    status: str  # "ok" or "failed"
    seconds: float
    fast: bool
    budget_seconds: float | None = None
    metrics: dict[str, float | str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    output: str | None = None
    claims: dict[str, Claim] = field(default_factory=dict)

    @property
    def within_budget(self) -> bool | None:
        if self.budget_seconds is None:
            return None
        return self.seconds <= self.budget_seconds

    def claim_status(self, claim: Claim) -> str:
        """Held, not held, or not judged: FAST runs are too short to judge a claim."""
        if self.fast:
            return NOT_JUDGED
        return HELD if claim.held else NOT_HELD

    @property
    def claims_not_held(self) -> list[str]:
        """Names of the claims that full mode judged false (none in FAST mode)."""
        return [name for name, c in self.claims.items() if self.claim_status(c) == NOT_HELD]

    def to_dict(self) -> dict:
        data = asdict(self) | {"within_budget": self.within_budget}
        data["claims"] = [c.to_dict() | {"held": c.held, "status": self.claim_status(c)} for c in self.claims.values()]
        return data


def _claim_rows(result: NotebookResult) -> list[str]:
    rows = ["| afirmación | cantidad | relación | IC | n | veredicto |", "| --- | ---: | :---: | --- | ---: | --- |"]
    for name, c in result.claims.items():
        status = result.claim_status(c)
        shown = f"**{status}**" if status == NOT_HELD else status
        rows.append(
            f"| {name}: {c.description} | {number(c.estimate, '.4g')} | {c.relation} {number(c.threshold, 'g')} | "
            f"{c.interval_text(4)} | {c.n} | {shown} |"
        )
    return rows


def claims_summary(results: list[NotebookResult]) -> str:
    """One line counting the claims of all notebooks by verdict (the FAST count only when there is one)."""
    statuses = [r.claim_status(c) for r in results for c in r.claims.values()]
    shown = (HELD, NOT_HELD, NOT_JUDGED) if NOT_JUDGED in statuses else (HELD, NOT_HELD)
    return "Afirmaciones: " + " · ".join(f"{statuses.count(s)} {s}" for s in shown)


def _fmt(value: float | str) -> str:
    """A metric as the course writes numbers (:func:`course_utils.prose.number`: decimal comma)."""
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e12:
            return number(int(value))
        return number(value, ".4g")
    return str(value)


def render_markdown(results: list[NotebookResult], machine: str) -> str:
    """The human-readable report: one summary table, then each notebook's metrics."""
    mode = "FAST" if results and all(r.fast for r in results) else "completo"
    lines = [
        "# Informe del curso / Course report",
        "",
        f"Modo: **{mode}** · Máquina: {machine}",
        "",
        claims_summary(results),
        "",
        "| notebook | estado | tiempo (s) | presupuesto (s) | dentro |",
        "| --- | --- | ---: | ---: | :---: |",
    ]
    for r in results:
        budget = "—" if r.budget_seconds is None else number(r.budget_seconds, ".0f")
        within = {None: "—", True: "sí", False: "**no**"}[r.within_budget]
        lines.append(f"| {r.name} | {r.status} | {number(r.seconds, '.1f')} | {budget} | {within} |")
    for r in results:
        lines += ["", f"## {r.name}", ""]
        if r.error:
            lines += ["**Error:**", "", "```", r.error, "```", ""]
        if r.metrics:
            lines += ["| métrica | valor |", "| --- | ---: |"]
            lines += [f"| {k} | {_fmt(v)} |" for k, v in r.metrics.items()]
        else:
            lines.append("(sin métricas registradas)")
        if r.claims:
            lines += ["", *_claim_rows(r)]
        for title, table in r.tables.items():
            lines += ["", f"### {title}", "", table]
    return "\n".join(lines) + "\n"


def write_report(results: list[NotebookResult], build_dir: Path, machine: str) -> Path:
    """Write ``report.json`` and ``report.md`` into ``build_dir``; return the Markdown path."""
    build_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": machine,
        "notebooks": [r.to_dict() for r in results],
    }
    (build_dir / "report.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    md = build_dir / "report.md"
    md.write_text(render_markdown(results, machine) + benchmark_section(build_dir), encoding="utf-8")
    return md


BENCHMARKS_HEADER = "## Benchmarks"


def benchmark_section(build_dir: Path) -> str:
    """The Markdown of every benchmark written under ``build_dir/bench/`` (``course bench``)."""
    parts = sorted((build_dir / "bench").glob("*.md")) if (build_dir / "bench").is_dir() else []
    if not parts:
        return ""
    return "\n" + BENCHMARKS_HEADER + "\n\n" + "\n".join(p.read_text(encoding="utf-8") for p in parts)


def write_benchmark(build_dir: Path, name: str, data: dict, markdown: str) -> None:
    """Save one benchmark as ``build_dir/bench/<name>.{json,md}`` and refresh ``report.md``."""
    out = build_dir / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / f"{name}.md").write_text(markdown, encoding="utf-8")
    refresh_benchmarks(build_dir)


def refresh_benchmarks(build_dir: Path) -> Path:
    """Rewrite the benchmarks part of ``report.md`` (creating the report if there is none)."""
    md = build_dir / "report.md"
    text = md.read_text(encoding="utf-8") if md.exists() else "# Informe del curso / Course report\n"
    text = text.split("\n" + BENCHMARKS_HEADER + "\n")[0]
    md.write_text(text + benchmark_section(build_dir), encoding="utf-8")
    return md
