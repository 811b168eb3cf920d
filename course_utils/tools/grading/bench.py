"""``course bench grading``: plain sequential ``nbgrader autograde`` against
``course grade autograde --jobs N`` (kernels in the bwrap sandbox) on the same generated class
of one real chapter, same machine, same run; then the same parallel grading without the sandbox,
to give the sandbox's cost per submission. Writes ``build/bench/grading.{json,md}`` and
refreshes ``build/report.md``. Both do the same work — the course's ``nbgrader_config.py`` gives
plain ``nbgrader autograde`` the trusted evaluator and sandboxed kernels too — so the ratio is
what the parallel grader adds; the evaluator's cost per submission is read from the grading logs."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from ...config import repo_root
from ..environment import patched_environ, tool_environment
from ..release import copy_course, nbgrader_command, run_nbgrader
from ..report_builder import write_benchmark
from .autograde import grade_submissions
from .evaluator.execute import COST_LOG
from .gradebook import generate_assignment
from .limits import GradingLimits
from .sandbox import Sandbox, start_overhead


def solution_sources(root: Path, chapter: str) -> dict[str, str]:
    """The instructor's code of each solution cell of ``chapter``, by grade id."""
    nb = nbformat.read(root / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
    }


def write_submission(release: Path, answers: dict[str, str], dest: Path) -> Path:
    """The student notebook ``release`` with the cells in ``answers`` (grade id → code) filled
    in, written as ``dest/<same name>``, as a student would submit it."""
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / release.name)
    return dest / release.name


def make_class(root: Path, chapter: str, n: int) -> dict[str, str]:
    """``n`` submissions of ``chapter`` under ``root/submitted``: a third correct, a third with
    only the first exercise solved, a third blank. Returns student → kind."""
    release = root / "release" / chapter / f"{chapter}.ipynb"
    solutions = solution_sources(root, chapter)
    first = next(iter(solutions))
    kinds = {}
    for i in range(n):
        kind = ("correcta", "parcial", "en_blanco")[i % 3]
        student = f"est{i:03d}_{kind}"
        solved = set(solutions) if kind == "correcta" else {first} if kind == "parcial" else set()
        write_submission(release, {g: solutions[g] for g in solved}, root / "submitted" / student / chapter)
        kinds[student] = kind
    return kinds


def evaluator_costs(logs: Path) -> list[tuple[int, float]]:
    """``(requests, seconds)`` of the trusted evaluator in each student's grading log."""
    costs = []
    for log in sorted(logs.glob("*.log")):
        match = re.search(re.escape(COST_LOG) + r" (\d+) requests, ([0-9.]+) s", log.read_text(encoding="utf-8"))
        if match:
            costs.append((int(match.group(1)), float(match.group(2))))
    return costs


def _scores(db_url: str, chapter: str) -> dict[str, float]:
    with Gradebook(db_url) as gb:
        return {s.student.id: float(s.score) for s in gb.find_assignment(chapter).submissions}


def bench_grading(
    chapter: str = "04_agresividad_dropout", submissions: int = 40, jobs: int = 2, build_dir: Path | None = None
) -> dict:
    """Grade the same class twice and compare; returns (and writes) the measurements."""
    build_dir = build_dir or repo_root() / "build"
    with (
        tempfile.TemporaryDirectory(prefix="course-bench-") as tmp,
        patched_environ(PATH=tool_environment()["PATH"], COURSE_FAST="1"),
    ):
        root = copy_course(repo_root(), Path(tmp) / "curso")
        seq_db, par_db = f"sqlite:///{root / 'secuencial.db'}", f"sqlite:///{root / 'paralelo.db'}"
        for db in (seq_db, par_db):
            generate_assignment(root, chapter, db, release_dir=root / "release")
        kinds = make_class(root, chapter, submissions)

        # the baseline is the plain command an instructor could run instead: `nbgrader autograde`
        # with the course's nbgrader_config.py (the same evaluator and sandboxed kernels), one process
        start = time.perf_counter()
        run_nbgrader(
            nbgrader_command("autograde", chapter, "--force", root=root, extra=[f"--CourseDirectory.db_url={seq_db}"]),
            cwd=root,
        )
        sequential = time.perf_counter() - start

        start = time.perf_counter()
        results = grade_submissions(root, chapter, db_url=par_db, jobs=jobs, limits=GradingLimits(), show_progress=True)
        parallel = time.perf_counter() - start
        seq_scores, par_scores = _scores(seq_db, chapter), _scores(par_db, chapter)
        costs = evaluator_costs(root / "grading" / chapter / "logs")

        bare_db = f"sqlite:///{root / 'sin_aislamiento.db'}"
        start = time.perf_counter()
        bare = grade_submissions(
            root, chapter, db_url=bare_db, jobs=jobs, limits=GradingLimits(), show_progress=True, sandboxed=False
        )
        unsandboxed = time.perf_counter() - start
        kernel_start = start_overhead(Sandbox.for_grading(), Path(tmp) / "overhead")

    latencies = sorted(r.seconds for r in results)
    bare_latencies = sorted(r.seconds for r in bare)
    data = {
        "chapter": chapter,
        "submissions": submissions,
        "jobs": jobs,
        "cores": os.cpu_count(),
        "kinds": {k: list(kinds.values()).count(k) for k in ("correcta", "parcial", "en_blanco")},
        "sequential_seconds": round(sequential, 1),
        "parallel_seconds": round(parallel, 1),
        "speedup": round(sequential / parallel, 2),
        "sequential_seconds_per_submission": round(sequential / submissions, 2),
        "parallel_latency_median": latencies[len(latencies) // 2],
        "parallel_latency_max": latencies[-1],
        "identical_scores": seq_scores == par_scores,
        "score_differences": {
            s: (seq_scores.get(s), par_scores.get(s)) for s in kinds if seq_scores.get(s) != par_scores.get(s)
        },
        "failed": [r.student for r in results if r.status != "ok"],
        "unsandboxed_parallel_seconds": round(unsandboxed, 1),
        "unsandboxed_latency_median": bare_latencies[len(bare_latencies) // 2],
        # wall-clock the sandbox adds per submission (both runs with the same jobs) and per kernel start
        "sandbox_overhead_per_submission": round((parallel - unsandboxed) * jobs / submissions, 2),
        "sandbox_kernel_start_overhead": round(kernel_start, 3),
        "evaluator_seconds_per_submission": round(sum(c[1] for c in costs) / max(len(costs), 1), 3),
        "evaluator_requests_per_submission": round(sum(c[0] for c in costs) / max(len(costs), 1), 1),
    }
    write_benchmark(build_dir, "grading", data, _markdown(data))
    return data


def _markdown(d: dict) -> str:
    target = "sí" if d["speedup"] >= 1.6 else "**no**"
    return "\n".join(
        [
            f"### Calificación: {d['submissions']} entregas de {d['chapter']} ({d['kinds']['correcta']} correctas, "
            f"{d['kinds']['parcial']} parciales, {d['kinds']['en_blanco']} en blanco), {d['cores']} núcleos",
            "",
            "| método | tiempo total (s) | por entrega (s) |",
            "| --- | ---: | ---: |",
            f"| `nbgrader autograde` secuencial (con el evaluador y el aislamiento que da nbgrader_config.py) | {d['sequential_seconds']} | {d['sequential_seconds_per_submission']} (media) |",
            f"| `course grade autograde --jobs {d['jobs']}` (con aislamiento bwrap) | {d['parallel_seconds']} | "
            f"{d['parallel_latency_median']} (mediana de la latencia de cada entrega; máx. {d['parallel_latency_max']}) |",
            f"| `course grade autograde --jobs {d['jobs']} --no-sandbox` | {d['unsandboxed_parallel_seconds']} | "
            f"{d['unsandboxed_latency_median']} (mediana) |",
            "",
            f"Coste del evaluador de confianza: {d['evaluator_seconds_per_submission']} s y "
            f"{d['evaluator_requests_per_submission']} peticiones por entrega (dentro del tiempo de cada entrega).",
            "",
            f"Coste del aislamiento: {d['sandbox_overhead_per_submission']} s por entrega (tiempo de reloj × procesos / "
            f"entregas) · {d['sandbox_kernel_start_overhead']} s por arranque de kernel (mediana de 5).",
            "",
            f"Aceleración: **{d['speedup']}×** (objetivo ≥ 1,6×: {target}) · notas idénticas: "
            f"**{'sí' if d['identical_scores'] else 'NO'}** · entregas que no se pudieron ejecutar: {len(d['failed'])}",
            "",
        ]
    )
