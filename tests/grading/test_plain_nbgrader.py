"""The paths an instructor can click grade as ``course grade`` does: plain ``nbgrader
autograde`` and formgrader's *Autograde* button (nbgrader's API, as formgrader calls it) run the
student's kernel in the sandbox (only the notebook enters; not the grader's uid; no course tree)
and take the score from the trusted evaluator — a blank notebook that forges the kernel's
replies scores 0 on both."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_utils.tools.release import nbgrader_command, run_nbgrader
from fixture_course import ASSIGNMENT, CORRECT, build_course, formgrader_api, generate_assignment, submit

LOOK_AROUND = (
    "import json, os\nprint('VISTO' + json.dumps([os.getuid(), sorted(os.listdir('.')), "
    "os.path.exists({solutions!r}), os.path.exists({gradebook!r})]))"
)
# turns every error the kernel reports into success (the attack that scored full marks before)
FORGE_REPLIES = """ip = get_ipython()
_send = ip.kernel.session.send
def send(stream, msg_or_type, content=None, *a, **k):
    kind = msg_or_type.get("msg_type") if isinstance(msg_or_type, dict) else msg_or_type
    if kind == "error":
        return None
    if kind == "execute_reply" and content is not None:
        content["status"] = "ok"
    return _send(stream, msg_or_type, content, *a, **k)
ip.kernel.session.send = send
"""


def _insert(source):
    return lambda nb: nb.cells.insert(1, nbformat.v4.new_code_cell(source))


def _formgrader_autograde(root, db_url, student):
    """Formgrader's "Autograde" for one student: nbgrader's API configured from the course folder."""
    result = formgrader_api(root, db_url).autograde(ASSIGNMENT, student)
    assert result["success"], result.get("error") or result.get("log")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = build_course(tmp_path_factory.mktemp("plain"))
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    generate_assignment(root, db_url, root / "release")
    look = LOOK_AROUND.format(solutions=str(root / "solutions"), gradebook=str(root / "gradebook.db"))
    for student in ("plano", "boton"):
        submit(root, student, CORRECT, edit=_insert(look))
        (root / "submitted" / student / ASSIGNMENT / "ipykernel_launcher.py").write_text("raise SystemExit(7)\n")
    for student in ("plano_falsifica", "boton_falsifica"):
        submit(root, student, {}, edit=_insert(FORGE_REPLIES))
    for student in ("plano", "plano_falsifica"):
        run_nbgrader(
            nbgrader_command(
                "autograde",
                ASSIGNMENT,
                "--force",
                f"--student={student}",
                root=root,
                extra=[f"--CourseDirectory.db_url={db_url}"],
            ),
            cwd=root,
        )
    for student in ("boton", "boton_falsifica"):
        _formgrader_autograde(root, db_url, student)
    with Gradebook(db_url) as gb:
        scores = {s.student.id: s.score for s in gb.find_assignment(ASSIGNMENT).submissions}
    return root, scores


@pytest.mark.parametrize("student", ["plano", "boton"])
def test_the_kernel_runs_in_the_sandbox_with_only_the_notebook(graded, student):
    root, scores = graded
    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "VISTO" in printed, printed
    uid, listing, sees_solutions, sees_gradebook = json.loads(printed.split("VISTO", 1)[1].split("\n")[0])
    assert uid not in (os.getuid(), 0), "the kernel runs under a uid of its own"
    assert listing == [f"{ASSIGNMENT}.ipynb"], "only the notebook enters (no handed-in ipykernel_launcher.py)"
    assert (sees_solutions, sees_gradebook) == (False, False)
    assert scores[student] == 3.0


@pytest.mark.parametrize("student", ["plano_falsifica", "boton_falsifica"])
def test_a_blank_notebook_that_forges_the_kernels_replies_scores_zero(graded, student):
    assert graded[1][student] == 0.0
