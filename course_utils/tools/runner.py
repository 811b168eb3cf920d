"""``course run``: execute chapter notebooks (``execution.execute_notebook``), fill the prose's
placeholders in the executed copies (:func:`course_utils.prose.fill_notebook`) and collect their
times and metrics."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from tqdm.auto import tqdm

from ..config import DEFAULT_SEED, FAST_ENV, repo_root
from ..prose import fill_notebook, values_from_metrics_file
from ..report import METRICS_ENV
from .chapters import BUDGETS, source_notebook
from .environment import patched_environ
from .execution import execute_notebook
from .report_builder import NotebookResult, read_claims_file, read_metrics_file, read_tables_file, write_report


def machine_description() -> str:
    """A one-line description of this machine for the report."""
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}"


def run_notebook(
    chapter: str,
    out_dir: Path,
    fast: bool,
    seed: int = DEFAULT_SEED,
    device: str = "auto",
    source_dir: Path | None = None,
    progress: bool = True,
) -> NotebookResult:
    """Execute one chapter's solution notebook into ``out_dir`` and fill its Markdown placeholders
    from the values it recorded (a placeholder with no value fails the run); never raises for
    notebook errors."""
    source = source_notebook(chapter, source_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{chapter}.ipynb"
    metrics_file = out_dir / f"{chapter}.metrics.jsonl"
    metrics_file.unlink(missing_ok=True)
    budget = BUDGETS.get(chapter)
    budget_s = None if budget is None else (budget.fast if fast else budget.full)

    start = time.perf_counter()
    with patched_environ(**{FAST_ENV: "1" if fast else "0", METRICS_ENV: str(metrics_file)}):
        error = execute_notebook(
            source, output, parameters={"FAST": fast, "SEED": seed, "DEVICE": device}, progress=progress
        )
    if not error:  # the Markdown placeholders, from what this run recorded; one never recorded fails the run
        problems = fill_notebook(output, values_from_metrics_file(metrics_file))
        error = "\n".join(problems) or None
    seconds = time.perf_counter() - start
    return NotebookResult(
        name=chapter,
        status="failed" if error else "ok",
        seconds=round(seconds, 2),
        fast=fast,
        budget_seconds=budget_s,
        metrics=read_metrics_file(metrics_file),
        tables=read_tables_file(metrics_file),
        error=error,
        output=str(output),
        claims=read_claims_file(metrics_file),
    )


def run_course(
    chapters: list[str],
    fast: bool,
    seed: int = DEFAULT_SEED,
    device: str = "auto",
    build_dir: Path | None = None,
    source_dir: Path | None = None,
) -> tuple[list[NotebookResult], Path]:
    """Execute the given chapters in order and write the report; return results and report path."""
    build_dir = build_dir or repo_root() / "build"
    results = []
    bar = tqdm(chapters, desc="Notebooks", unit="nb")
    for chapter in bar:
        bar.set_postfix_str(chapter)
        result = run_notebook(chapter, build_dir / "executed", fast, seed, device, source_dir)
        status = "ok" if result.status == "ok" else "FAILED"
        tqdm.write(f"{chapter}: {status} in {result.seconds:.1f}s")
        if result.error:
            tqdm.write(result.error)
        for name in result.claims_not_held:
            claim = result.claims[name]
            tqdm.write(
                f"{chapter}: claim NOT HELD: {name} ({claim.description}): {claim.estimate:.4g} "
                f"{claim.interval_text(4)} is not entirely {claim.relation} {claim.threshold:g}"
            )
        results.append(result)
    report = write_report(results, build_dir, machine_description())
    return results, report
