"""Students' feedback HTML without hidden tests: nbgrader's ``generate_feedback`` with
:class:`~.hide_hidden_tests.HideHiddenTests` added, then every page written is searched for
every hidden-test line of the assignment's source; a page that quotes one is deleted and
reported instead of being handed out. The pages kept load MathJax and Mermaid from vendored copies
placed beside them (``vendor.make_pages_offline``): they render offline, from file://."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
from nbgrader import utils

from ..release import nbgrader_command, run_nbgrader
from ..vendor import make_pages_offline
from .hide_hidden_tests import hidden_needles, split_hidden

PREPROCESSORS = [
    "nbgrader.preprocessors.GetGrades",
    "course_utils.tools.grading.hide_hidden_tests.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
_TAG = re.compile(r"<[^>]+>")


def hidden_test_lines(course_root: Path, assignment: str) -> set[str]:
    """The hidden-test lines of ``assignment``'s source notebooks worth searching for."""
    visible, hidden = set(), []
    for path in sorted((Path(course_root) / "solutions" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            shown, secret = split_hidden(cell.source) if utils.is_grade(cell) else (cell.source.split("\n"), [])
            visible |= {line.strip() for line in shown}  # a line also written elsewhere is no secret
            hidden += secret
    return hidden_needles(hidden, visible)


def _own_lines(course_root: Path, assignment: str, student: str) -> set[str]:
    """Lines of the student's own submitted code (quoting oneself is no leak)."""
    lines = set()
    for path in (Path(course_root) / "submitted" / student / assignment).glob("*.ipynb"):
        try:
            cells = nbformat.read(path, as_version=4).cells
        except Exception:  # noqa: BLE001 - unreadable: nothing of the student's to discount
            continue
        lines |= {line.strip() for cell in cells if cell.cell_type == "code" for line in cell.source.split("\n")}
    return lines


_CODE_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)


def page_text(page: str) -> str:
    """The text a reader sees in an HTML page (scripts and styles — the inlined MathJax and
    Mermaid among them — and tags removed, entities decoded)."""
    return html.unescape(_TAG.sub("", _CODE_BLOCK.sub("", page)))


def leaks(page: str, needles: set[str]) -> list[str]:
    """Hidden-test lines quoted in ``page`` (HTML)."""
    text = page_text(page)
    return sorted(needle for needle in needles if needle in text)


def generate_feedback(
    course_root: Path, assignment: str, db_url: str, students: list[str] | None = None
) -> dict[str, list[str]]:
    """Write ``feedback/<student>/<assignment>/*.html``; return the pages withheld because
    they still quoted a hidden test (path → lines), normally none."""
    course_root = Path(course_root)
    extra = [
        f"--CourseDirectory.db_url={db_url}",
        *(f"--GenerateFeedback.preprocessors={name}" for name in PREPROCESSORS),
    ]
    for student in students or [None]:
        args = ["generate_feedback", assignment, "--force", *([f"--student={student}"] if student else [])]
        run_nbgrader(nbgrader_command(*args, root=course_root, extra=extra), cwd=course_root)
    needles = hidden_test_lines(course_root, assignment)
    withheld = {}
    for page in sorted((course_root / "feedback").glob(f"*/{assignment}/*.html")):
        own = _own_lines(course_root, assignment, page.parts[-3])
        found = leaks(page.read_text(encoding="utf-8", errors="replace"), needles - own)
        if found:
            withheld[str(page)] = found
            page.unlink()
    # math and diagrams from the vendored MathJax and Mermaid, copied beside the pages (no CDN)
    try:
        make_pages_offline(sorted((course_root / "feedback").glob(f"*/{assignment}/*.html")))
    except RuntimeError as err:  # no vendored copy and no registry: the pages stay as nbconvert wrote them
        print(
            f"aviso: las páginas de retroalimentación cargarán MathJax y Mermaid de internet ({err})", file=sys.stderr
        )
    return withheld
