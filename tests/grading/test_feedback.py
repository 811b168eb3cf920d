"""Feedback without hidden tests: names, points and the Spanish failure message of each graded
test; never a hidden test's source, its traceback, or a student's output quoting it."""

from __future__ import annotations

import pytest

from course_utils.tools.grading.feedback import generate_feedback, hidden_test_lines, leaks, page_text
from course_utils.tools.grading.hide_hidden_tests import hidden_needles
from course_utils.tools.release import nbgrader_command, run_nbgrader
from fixture_course import ASSIGNMENT, CORRECT, TESTS, build_course, generate_assignment, submit

# prints the source of the cell that calls it (the hidden test) from the caller's frame
EXFILTRATES = (
    "import inspect, linecache\ndef doble(x):\n    f = inspect.currentframe().f_back\n"
    "    print(''.join(linecache.getlines(f.f_code.co_filename)))\n    return x"
)
STUDENTS = {
    "ana": CORRECT,
    "beto": {"ej1_solucion": "def doble(x):\n    return x"},
    "celia": {},
    "espia": {"ej1_solucion": EXFILTRATES},
}


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    root = build_course(tmp_path_factory.mktemp("feedback"))
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    for student, answers in STUDENTS.items():
        submit(root, student, answers)
    generate_assignment(root, db_url, root / "release2")
    run_nbgrader(
        nbgrader_command("autograde", ASSIGNMENT, "--force", root=root, extra=[f"--CourseDirectory.db_url={db_url}"]),
        cwd=root,
    )
    run_nbgrader(
        nbgrader_command(
            "generate_feedback",
            ASSIGNMENT,
            "--force",
            "--student=beto",
            root=root,
            extra=[f"--CourseDirectory.db_url={db_url}", "--CourseDirectory.feedback_directory=plain_feedback"],
        ),
        cwd=root,
    )
    withheld = generate_feedback(root, ASSIGNMENT, db_url)
    pages = {
        s: (root / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8") for s in STUDENTS
    }
    return root, withheld, pages


def test_hidden_lines_are_known():
    root = build_course(__import__("pathlib").Path(__import__("tempfile").mkdtemp()))
    assert hidden_test_lines(root, ASSIGNMENT) == {
        "check_close(doble(-3.5), -7.0, name='doble(-3.5)')",
        "check_close(suma([]), 0, name='suma vacía')",
    }


def test_a_hidden_line_written_inside_a_visible_one_is_no_secret():
    """Chapters 02 and 04 had every feedback page withheld: a hidden test repeated a visible
    test's set-up line without its leading underscore (``tab = _rama(...)`` in ``_tab = _rama(...)``)."""
    hidden = ['    tab = _rama((13,), "tabular")', "    check_close(suma([]), 0)"]
    visible = {'_tab = _rama((13,), "tabular")', "check_close(suma([1]), 1)"}
    assert hidden_needles(hidden, visible) == {"check_close(suma([]), 0)"}


def test_no_page_quotes_a_hidden_test(feedback):
    root, withheld, pages = feedback
    needles = hidden_test_lines(root, ASSIGNMENT)
    assert withheld == {}
    assert {s: leaks(page, needles) for s, page in pages.items()} == {s: [] for s in STUDENTS}
    assert "most recent call last" not in page_text(pages["beto"]) and "Cell In[" not in page_text(pages["beto"])


def test_plain_nbgrader_feedback_would_leak(feedback):
    """What the sanitising step is for (nbgrader issues #917, #1363)."""
    root, _, _ = feedback
    plain = (root / "plain_feedback" / "beto" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert leaks(plain, hidden_test_lines(root, ASSIGNMENT))


def test_each_test_shows_name_points_and_message(feedback):
    _, _, pages = feedback
    text = page_text(pages["beto"])
    for test_id in TESTS:
        assert test_id in text
    assert "AssertionError" in text and "Valores incorrectos" in text
    assert "pruebas ocultas: no se muestran" in text
    assert "check_close(doble(2), 4" in text, "the visible test stays"
