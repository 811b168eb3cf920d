"""One real chapter (05, PyTorch) graded as in CI: the published solutions as a submission get
full marks and are not marked for review, the blank release gets 0, and neither feedback page
quotes any of the chapter's hidden-test lines. Grading this chapter found two false alarms
(torch._dynamo rewrapping torch.manual_seed; a hidden line also written in the demos)."""

from __future__ import annotations

import shutil

import pytest

from course_utils.config import repo_root
from course_utils.tools.grading.autograde import grade_submissions
from course_utils.tools.grading.feedback import generate_feedback, hidden_test_lines, leaks
from course_utils.tools.grading.limits import GradingLimits

CHAPTER = "05_atencion_cruzada"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    root, repo = tmp_path_factory.mktemp("capitulo"), repo_root()
    shutil.copy2(repo / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(repo / "solutions" / CHAPTER, root / "solutions" / CHAPTER)
    for student, folder in (("solucion_publicada", "solutions"), ("en_blanco", "notebooks")):
        dest = root / "submitted" / student / CHAPTER
        dest.mkdir(parents=True)
        shutil.copy2(repo / folder / CHAPTER / f"{CHAPTER}.ipynb", dest / f"{CHAPTER}.ipynb")
    limits = GradingLimits(cell_timeout=300, notebook_timeout=1200, memory_mb=6000)
    results = {r.student: r for r in grade_submissions(root, CHAPTER, jobs=2, limits=limits, show_progress=False)}
    withheld = generate_feedback(root, CHAPTER, f"sqlite:///{root / 'gradebook.db'}")
    return root, results, withheld


def test_solutions_full_marks_and_no_review(chapter):
    _, results, _ = chapter
    solved, blank = results["solucion_publicada"], results["en_blanco"]
    assert solved.score == solved.max_score > 0 and blank.score == 0
    assert (solved.review, blank.review, solved.reason) == ("", "", "")


def test_feedback_quotes_no_hidden_test(chapter):
    root, _, withheld = chapter
    needles = hidden_test_lines(root, CHAPTER)
    pages = sorted((root / "feedback").glob(f"*/{CHAPTER}/*.html"))
    assert len(needles) > 20 and len(pages) == 2 and withheld == {}
    assert [p for p in pages if leaks(p.read_text(encoding="utf-8"), needles)] == []
