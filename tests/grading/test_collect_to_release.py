"""From collect to the teacher's decision, through the real commands and sandboxed kernels.

A class is collected from an LMS-like folder tree (``course grade collect``): an accented id
in decomposed form, a notebook saved as ``tarea (1).ipynb``, two misnamed notebooks, a forged
``timestamp.txt`` dated 2000-01-01 and a folder that links to a classmate's. It is graded with
``--jobs 2``; one submission touches the grading machinery and is flagged. Then one student is
regraded alone, and the teacher releases the flagged student's held points
(``course grade release``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta, timezone

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook

from course_utils.tools.grading.autograde import HELD_NOTE, grade_submissions
from course_utils.tools.grading.gradebook import held_points, release_held, store_scores, template_gradebook
from course_utils.tools.grading.limits import GradingLimits
from course_utils.tools.grading.reports import write_reports
from course_utils.tools.grading.status import read_status
from fixture_course import ASSIGNMENT, CORRECT, build_course, submit

pytestmark = pytest.mark.slow  # grades a class in the sandbox (deselected by `run.py test-fast`)

LIMITS = GradingLimits(cell_timeout=30, notebook_timeout=120)
# the export's notebooks are dated three days before the test (collect believes a recent date)
ARRIVED = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
JOSE = unicodedata.normalize("NFD", "josé")
FLAGGED = {"ej1_solucion": "import builtins\n" + CORRECT["ej1_solucion"], "ej2_solucion": CORRECT["ej2_solucion"]}
COURSE = [sys.executable, "-m", "course_utils.tools.cli", "grade"]


def _course(root, *args):
    return subprocess.run([*COURSE, *args, "--course-root", str(root)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    scratch = build_course(tmp_path_factory.mktemp("borradores"))
    root = build_course(tmp_path_factory.mktemp("curso"))
    src = tmp_path_factory.mktemp("entregas")

    def hand_in(folder, answers, *names):
        notebook = submit(scratch, "x", answers)
        for name in names:
            (src / folder).mkdir(exist_ok=True)
            shutil.copy(notebook, src / folder / name)
            os.utime(src / folder / name, (ARRIVED.timestamp(), ARRIVED.timestamp()))

    hand_in("ana", CORRECT, "tarea.ipynb")
    hand_in("beto", {"ej1_solucion": CORRECT["ej1_solucion"]}, "tarea.ipynb")
    hand_in("trampa", FLAGGED, "tarea.ipynb")
    hand_in(JOSE, CORRECT, "tarea.ipynb")
    hand_in("copia", CORRECT, "tarea (1).ipynb")
    hand_in("varios", CORRECT, "Copia de tarea.ipynb", "tarea (2).ipynb")
    hand_in("tardia", CORRECT, "tarea.ipynb")
    (src / "tardia" / "timestamp.txt").write_text("2000-01-01 00:00:00.000000 UTC", encoding="utf-8")
    (src / "fantasma").symlink_to(src / "ana")
    collected = _course(root, "collect", ASSIGNMENT, "--source", str(src))
    assert collected.returncode == 0, collected.stderr
    results = {r.student: r for r in grade_submissions(root, ASSIGNMENT, jobs=2, limits=LIMITS, show_progress=False)}
    return root, results, collected.stdout


def _db(root):
    return f"sqlite:///{root / 'gradebook.db'}"


def test_collect_tells_every_skip_in_spanish(course):
    _, _, output = course
    assert "omitida: fantasma: la carpeta «fantasma» es un enlace simbólico" in output
    assert "varios: entregó varios notebooks" in output
    assert "tardia: se descarta el «timestamp.txt» entregado" in output
    assert "copia: se entregó «tarea (1).ipynb» en lugar de «tarea.ipynb»" in output


def test_every_real_student_is_graded_and_nobody_else(course):
    _, results, _ = course
    assert set(results) == {"ana", "beto", "trampa", "josé", "copia", "varios", "tardia"}
    assert {s: results[s].score for s in ("ana", "beto", "josé", "copia", "tardia")} == {
        "ana": 3.0,
        "beto": 1.0,
        "josé": 3.0,
        "copia": 3.0,
        "tardia": 3.0,
    }


def test_the_submission_time_is_the_one_collect_recorded(course):
    root, _, _ = course
    with Gradebook(_db(root)) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=f"{ARRIVED - timedelta(hours=1):%Y-%m-%d %H:%M:%S} UTC")
        submission = gb.find_submission(ASSIGNMENT, "tardia")
        assert submission.timestamp.strftime("%Y-%m-%d %H:%M") == f"{ARRIVED:%Y-%m-%d %H:%M}", (
            "not the forged 2000-01-01"
        )
        assert submission.total_seconds_late == 3600, "one hour late: the late penalty applies"
    autograded = root / "autograded" / "tardia" / ASSIGNMENT / "timestamp.txt"
    assert autograded.read_text(encoding="utf-8") == f"{ARRIVED:%Y-%m-%d %H:%M:%S}.000000 UTC"


def test_a_misnamed_notebook_is_graded_and_the_student_is_told(course):
    root, results, _ = course
    note = "se entregó «tarea (1).ipynb» en lugar de «tarea.ipynb»; se calificó como «tarea.ipynb»"
    assert results["copia"].reason == note
    assert read_status(root, ASSIGNMENT)["copia"]["reason"] == note
    nb = nbformat.read(root / "autograded" / "copia" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert note in nb.cells[0].source, "the feedback opens with the note"


def test_a_refused_submission_is_in_the_record_with_its_reason(course):
    root, results, _ = course
    refused = results["varios"]
    assert (refused.status, refused.score) == ("rechazada", 0.0)
    assert "entregó varios notebooks" in refused.reason and "«Copia de tarea.ipynb»" in refused.reason
    with Gradebook(_db(root)) as gb:
        assert gb.find_submission(ASSIGNMENT, "varios").score == 0.0


def test_a_flagged_submission_holds_its_points(course):
    root, results, _ = course
    flagged = results["trampa"]
    assert flagged.review and HELD_NOTE in flagged.review
    assert (flagged.score, flagged.held) == (0.0, 3.0)
    with Gradebook(_db(root)) as gb:
        assert gb.find_submission(ASSIGNMENT, "trampa").score == 0.0
    table = pd.read_csv(write_reports(root, ASSIGNMENT, _db(root))["csv"]).set_index("student")
    assert (table.loc["trampa", "score"], table.loc["trampa", "held"]) == (0.0, 3.0)
    assert table.loc["ana", "held"] == 0.0


def test_regrading_one_student_keeps_everyone_elses_record_then_the_teacher_releases(course):
    root, results, _ = course
    before = read_status(root, ASSIGNMENT)
    again = grade_submissions(root, ASSIGNMENT, students=["beto"], jobs=1, limits=LIMITS, show_progress=False)
    assert [r.student for r in again] == ["beto"]
    after = read_status(root, ASSIGNMENT)
    assert set(after) == set(before)
    assert {s: (r["review"], r["held"], r["reason"]) for s, r in after.items() if s != "beto"} == {
        s: (r["review"], r["held"], r["reason"]) for s, r in before.items() if s != "beto"
    }
    summary = write_reports(root, ASSIGNMENT, _db(root))["summary"].read_text(encoding="utf-8")
    to_review = summary.split("## Entregas para revisar a mano")[1]
    assert "**trampa** (0/3, 3 puntos retenidos)" in to_review and "ninguna" not in to_review.split("##")[0]
    assert f"course grade release {ASSIGNMENT} --student" in summary

    listed = _course(root, "release", ASSIGNMENT)
    assert listed.returncode == 2 and "trampa (3)" in listed.stdout
    released = _course(root, "release", ASSIGNMENT, "--student", "trampa")
    assert released.returncode == 0, released.stderr
    assert "trampa: 3 puntos liberados · nota 3/3" in released.stdout
    row = read_status(root, ASSIGNMENT)["trampa"]
    assert (row["score"], row["held"]) == ("3.0", "0.0") and "puntos liberados por el profesor" in row["review"]
    table = pd.read_csv(write_reports(root, ASSIGNMENT, _db(root))["csv"]).set_index("student")
    assert (table.loc["trampa", "score"], table.loc["trampa", "held"]) == (3.0, 0.0)
    assert held_points(_db(root), ASSIGNMENT) == {}


def test_hold_release_and_the_teachers_own_scores(tmp_path):
    """In the gradebook: a hold keeps the automatic scores under a manual 0; a cell the teacher
    scores in formgrader keeps the teacher's score through a release; a clean regrade lifts a
    hold nobody touched."""
    root = build_course(tmp_path / "curso")
    db = template_gradebook(root, ASSIGNMENT, tmp_path / "lote")
    url = f"sqlite:///{db}"
    scores = {
        "timestamp": None,
        "grades": {(ASSIGNMENT, "ej1_pruebas"): (1.0, False), (ASSIGNMENT, "ej2_pruebas"): (2.0, False)},
        "comments": {},
    }
    assert store_scores(url, ASSIGNMENT, "ana", scores, hold=True) == (0.0, 3.0, 3.0)
    assert held_points(url, ASSIGNMENT) == {"ana": 3.0}
    with Gradebook(url) as gb:  # the teacher scores ej2 in formgrader: 0.5, decided
        grade = gb.find_grade("ej2_pruebas", ASSIGNMENT, ASSIGNMENT, "ana")
        grade.manual_score, grade.needs_manual_grade = 0.5, False
        gb.db.commit()
    assert release_held(url, ASSIGNMENT, "ana") == (1.5, 3.0, 1.0)
    assert store_scores(url, ASSIGNMENT, "beto", scores, hold=True) == (0.0, 3.0, 3.0)
    assert store_scores(url, ASSIGNMENT, "beto", scores, hold=False) == (3.0, 3.0, 0.0)
    assert store_scores(url, ASSIGNMENT, "carla", None, hold=True) == (0.0, 3.0, 0.0), "nothing to hold"
