"""``course bench first-hour``: a student's first hour, offline. The release of one chapter is
copied to a fresh folder, a fresh HOME and an empty cache; its answer cells get the instructor's
solutions (the demonstrations after an exercise use the student's own code) and its test cells
go; it runs in full mode (not FAST) in a kernel of this virtual environment, with no network at all (a
network namespace of its own when root can make one, the course's socket guard otherwise).
Writes ``build/bench/first_hour.{json,md}`` and refreshes ``build/report.md``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbgrader import utils

from ..config import CACHE_ENV, FAST_ENV, repo_root
from .environment import tool_environment
from .grading.bench import solution_sources
from .grading.sandbox import NETGUARD_DIR
from .report_builder import write_benchmark

TARGET_SECONDS = 60
CELL_TIMEOUT_S = 300


def is_exercise_cell(cell: nbformat.NotebookNode) -> bool:
    """A cell a student writes (solution) or one that grades an answer (tests)."""
    return utils.is_solution(cell) or utils.is_grade(cell)


def solved_without_tests(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The notebook as a student who solves each exercise on the way has it (``answers``:
    grade id → code of each answer cell), minus the cells that grade the answers."""
    copy = nbformat.from_dict(nb)
    copy.cells = [c for c in copy.cells if not utils.is_grade(c)]
    for cell in copy.cells:
        if utils.is_solution(cell):
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return copy


def network_isolation() -> tuple[list[str], str]:
    """The command prefix that cuts the network, and its description."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if os.geteuid() == 0 and unshare and ip:
        probe = subprocess.run([unshare, "--net", ip, "link", "set", "lo", "up"], capture_output=True)
        if probe.returncode == 0:
            return (
                [unshare, "--net", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"],
                "espacio de red propio (solo loopback)",
            )
    return [], "guardia de sockets del curso (sin root para un espacio de red propio)"


def _slowest_cells(nb: nbformat.NotebookNode, n: int = 3) -> list[dict]:
    """The ``n`` slowest code cells, from the timings the executor (papermill over nbclient) records in cell metadata."""
    timed = []
    for index, cell in enumerate(nb.cells):
        execution = cell.metadata.get("execution", {})
        start, end = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
        if cell.cell_type == "code" and start and end:
            seconds = (
                datetime.fromisoformat(end.replace("Z", "+00:00"))
                - datetime.fromisoformat(start.replace("Z", "+00:00"))
            ).total_seconds()
            timed.append({"cell": index, "seconds": round(seconds, 1), "first_line": cell.source.splitlines()[0][:60]})
    return sorted(timed, key=lambda t: -t["seconds"])[:n]


def first_hour(chapter: str = "01_operaciones_fusion", build_dir: Path | None = None) -> dict:
    """Run ``chapter`` without its tests, answers filled in, as a student would on a first, offline day."""
    build_dir = build_dir or repo_root() / "build"
    with tempfile.TemporaryDirectory(prefix="course-first-hour-") as tmp:
        base = Path(tmp)
        student = base / "descargas" / chapter
        shutil.copytree(repo_root() / "notebooks" / chapter, student)
        notebook = student / f"{chapter}.ipynb"
        answers = solution_sources(repo_root(), chapter)
        nbformat.write(solved_without_tests(nbformat.read(notebook, as_version=4), answers), notebook)
        (base / "home").mkdir()
        env = tool_environment({k: v for k, v in os.environ.items() if k not in (FAST_ENV, CACHE_ENV, "PYTHONPATH")})
        env.update(
            HOME=str(base / "home"),
            PYTHONPATH=str(NETGUARD_DIR),
            COURSE_NETGUARD_LOG=str(base / "net.log"),
            **{CACHE_ENV: str(base / "cache")},
        )
        prefix, isolation = network_isolation()
        executed = base / "ejecutado.ipynb"
        # the course's executor, in a child process: its kernel starts inside the isolation
        command = prefix + [
            sys.executable,
            "-m",
            "course_utils.tools.execution",
            str(notebook),
            str(executed),
            f"--cell-timeout={CELL_TIMEOUT_S}",
        ]
        start = time.perf_counter()
        result = subprocess.run(command, cwd=student, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        blocked = (base / "net.log").read_text() if (base / "net.log").exists() else ""
        ran = nbformat.read(executed, as_version=4) if executed.exists() else None

    code_cells = [c for c in ran.cells if c.cell_type == "code"] if ran else []
    data = {
        "chapter": chapter,
        "mode": "completo (sin FAST)",
        "isolation": isolation,
        "seconds": round(seconds, 1),
        "target_seconds": TARGET_SECONDS,
        "ok": result.returncode == 0 and not blocked,
        "code_cells_run": sum(c.get("execution_count") is not None for c in code_cells),
        "code_cells": len(code_cells),
        "network_attempts": blocked.splitlines(),
        "slowest_cells": _slowest_cells(ran) if ran else [],
        "error": "" if result.returncode == 0 else result.stderr[-3000:],
    }
    write_benchmark(build_dir, "first_hour", data, _markdown(data))
    return data


def _markdown(d: dict) -> str:
    within = "sí" if d["seconds"] < d["target_seconds"] else "**no**"
    slow = "; ".join(f"celda {c['cell']} ({c['seconds']} s: `{c['first_line']}`)" for c in d["slowest_cells"])
    return "\n".join(
        [
            f"### La primera hora de un estudiante, sin conexión: {d['chapter']}",
            "",
            f"Celdas sin las pruebas, con las respuestas escritas, en modo {d['mode']}, copia recién descargada, HOME y caché vacíos, "
            f"red cortada ({d['isolation']}).",
            "",
            f"Resultado: **{'sin errores' if d['ok'] else 'FALLO'}** · {d['code_cells_run']}/{d['code_cells']} celdas de código · "
            f"**{d['seconds']} s** con el arranque del kernel (objetivo < {d['target_seconds']} s: {within}) · "
            f"intentos de red: {len(d['network_attempts'])}",
            "",
            f"Celdas más lentas: {slow or '—'}",
            "",
        ]
    )
