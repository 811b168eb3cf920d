"""A student's offline first hour: notebook 01 without its tests, answers filled in, in full mode,
from a fresh copy of the release, with a fresh HOME and cache and the network cut. The time
goes to build/report.md (``course bench first-hour``), not into an assertion."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import nbformat
import pytest

from course_utils.tools.first_hour import first_hour, network_isolation, solved_without_tests
from course_utils.tools.grading.bench import solution_sources
from support import CHAPTERS, ROOT


def test_the_first_hour_fills_the_answers_and_drops_only_the_test_cells():
    nb = nbformat.read(ROOT / "notebooks" / CHAPTERS[0] / f"{CHAPTERS[0]}.ipynb", as_version=4)
    answers = solution_sources(ROOT, CHAPTERS[0])
    kept = solved_without_tests(nb, answers)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests and len(kept.cells) == len(nb.cells) - len(tests)
    assert not any(c.metadata.get("nbgrader", {}).get("grade") for c in kept.cells)
    assert not any("Ejercicio sin hacer" in c.source for c in kept.cells if c.cell_type == "code")
    solved = {
        c.metadata.nbgrader.grade_id: c.source for c in kept.cells if c.metadata.get("nbgrader", {}).get("solution")
    }
    assert solved == answers, "every answer cell holds the instructor's solution (later demos use it)"
    assert any(c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("enunciado") for c in kept.cells), (
        "exercise statements stay: students read them"
    )


def test_isolation_cuts_the_network():
    # A server listening here is reachable from this process but must not be from inside the
    # isolation (an address that is unroutable anyway would pass with or without isolation).
    prefix, isolation = network_isolation()
    if not prefix:
        pytest.skip(f"no network namespace here ({isolation}); the socket guard is tested in test_notebooks")
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        probe = (
            f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
            "    print('alcanzable')\nexcept OSError as e:\n    print('cortada', e)"
        )
        outside = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
        inside = subprocess.run(prefix + [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "alcanzable" in outside.stdout, "control: the server must be reachable without isolation"
    assert inside.returncode == 0 and "cortada" in inside.stdout, inside.stdout + inside.stderr


@pytest.mark.notebook
def test_first_notebook_runs_offline_in_full_mode():
    data = first_hour(CHAPTERS[0])
    print(f"first hour: {data['code_cells_run']} cells in {data['seconds']} s ({data['isolation']})")
    assert data["ok"], data["error"] or data["network_attempts"]
    assert data["code_cells_run"] == data["code_cells"] > 0
    if os.geteuid() == 0:
        assert "espacio de red propio" in data["isolation"], "as root the run must be in its own network namespace"
