"""Feedback without hidden tests: names, points and the Spanish failure message of each graded
test; never a hidden test's source, its traceback, or a student's output quoting it — through
``course grade feedback``, plain ``nbgrader generate_feedback`` and formgrader's "Generate
Feedback" button (nbgrader's API, as formgrader calls it) alike: the course's steps are in
``nbgrader_config.py`` itself."""

from __future__ import annotations

import pytest

from course_utils.tools.grading.feedback import generate_feedback, hidden_test_lines, leaks, page_text
from course_utils.tools.grading.hide_hidden_tests import hidden_needles
from course_utils.tools.release import nbgrader_command, run_nbgrader
from fixture_course import ASSIGNMENT, CORRECT, TESTS, build_course, formgrader_api, generate_assignment, submit

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
    formgrader = formgrader_feedback(root, db_url, "beto")
    pages = {
        s: (root / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8") for s in STUDENTS
    }
    return root, withheld, pages, formgrader


def formgrader_feedback(root, db_url, student):
    """Formgrader's "Generate Feedback" for one student: nbgrader's API, configured as formgrader
    configures it (the course's ``nbgrader_config.py`` loaded from the course folder)."""
    result = formgrader_api(root, db_url, feedback_directory="formgrader_feedback").generate_feedback(
        ASSIGNMENT, student
    )
    assert result["success"], result.get("error") or result.get("log")
    return (root / "formgrader_feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")


def test_hidden_lines_are_known():
    root = build_course(__import__("pathlib").Path(__import__("tempfile").mkdtemp()))
    assert hidden_test_lines(root, ASSIGNMENT) == {
        "def pruebas_ocultas(student):",
        "check_close(student.doble(2), 4, name='doble(2)')",
        "check_close(student.doble(-3.5), -7.0, name='doble(-3.5)')",
        "check_close(student.suma([1, 2]), 3, name='suma')",
        "check_close(student.suma([]), 0, name='suma vacía')",
        "x = round(float(student.rng.uniform(-100, 100)), 3)",
        "check_close(student.doble(x), 2 * x, name=f'doble({x})')",
        "xs = [round(float(v), 2) for v in student.rng.normal(0, 10, size=5)]",
        "check_close(student.suma(xs), sum(xs), name=f'suma({xs})')",
    }


def test_a_hidden_line_written_inside_a_visible_one_is_no_secret():
    """Chapters 02 and 04 had every feedback page withheld: a hidden test repeated a visible
    test's set-up line without its leading underscore (``tab = _rama(...)`` in ``_tab = _rama(...)``)."""
    hidden = ['    tab = _rama((13,), "tabular")', "    check_close(suma([]), 0)"]
    visible = {'_tab = _rama((13,), "tabular")', "check_close(suma([1]), 1)"}
    assert hidden_needles(hidden, visible) == {"check_close(suma([]), 0)"}


def test_no_page_quotes_a_hidden_test(feedback):
    root, withheld, pages, _ = feedback
    needles = hidden_test_lines(root, ASSIGNMENT)
    assert withheld == {}
    assert {s: leaks(page, needles) for s, page in pages.items()} == {s: [] for s in STUDENTS}
    assert "most recent call last" not in page_text(pages["beto"]) and "Cell In[" not in page_text(pages["beto"])


def test_plain_nbgrader_and_formgrader_feedback_quote_no_hidden_test(feedback):
    """nbgrader alone quotes every hidden test in feedback (nbgrader issues #917, #1363): the
    course's nbgrader_config.py makes its plain command and formgrader's button safe too."""
    root, _, _, formgrader = feedback
    plain = (root / "plain_feedback" / "beto" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    needles = hidden_test_lines(root, ASSIGNMENT)
    assert (leaks(plain, needles), leaks(formgrader, needles)) == ([], [])
    for page in (plain, formgrader):
        assert "Evaluador (pruebas ocultas): 0/1 puntos — Valores incorrectos en doble(2)" in page_text(page)


def test_the_autograded_notebook_holds_no_hidden_test(feedback):
    """What formgrader shows the teacher and every later nbgrader step reads: the hidden block
    never entered the kernel, so it is not in the autograded notebook either."""
    root = feedback[0]
    needles = hidden_test_lines(root, ASSIGNMENT)
    for student in STUDENTS:
        text = (root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8")
        assert [n for n in needles if n in text] == [], student


def test_each_test_shows_name_points_and_message(feedback):
    _, _, pages, _ = feedback
    text = page_text(pages["beto"])
    for test_id in TESTS:
        assert test_id in text
    assert "AssertionError" in text and "Valores incorrectos" in text
    assert "Evaluador (pruebas ocultas): 0/1 puntos" in text and "Evaluador (pruebas ocultas): 0/2 puntos" in text
    assert "las ejecuta el evaluador" in text
    assert "check_close(doble(2), 4" in text, "the visible test stays"
