"""Chapters 01 and 02 against their wrong-answer corpus (tests/wrong_answers/ch01.py, ch02.py),
in this process.

The visible part of each graded cell must fail every mistake that declares words, with those
words in its message (here the visible tests run alone, so the hidden test's message cannot
stand in for them), and pass the solution and every correct variant. The hidden test, judged
by the evaluator's in-process session (the same requests and JSON round trip as through the
kernel), must take the points of every mistake and of every delegating answer, and give full
points to the solution and every variant. The round trip (tests/test_grading_roundtrip.py)
proves the same through the sandbox; this is the quick check while writing the tests.
"""

import contextlib
import functools
import io

import nbformat
import pytest

from course_utils.tools.grading.evaluator.local import judge_cell
from delegating_answers import DELEGATING
from support import ROOT
from wrong_answers import corpus

CHAPTERS = ("01_operaciones_fusion", "02_estrategias_fusion")


@functools.cache
def _notebook(chapter: str) -> tuple[dict, list[str], list[str]]:
    """The graded cells by grade id, the setup sources (parameters and imports) and the
    solution grade ids in notebook order."""
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")}
    setup = [c.source for c in nb.cells[:4] if c.cell_type == "code"]
    return cells, setup, [g for g in cells if g.endswith("_solucion")]


def _namespace(chapter: str, grade_id: str, answer: str) -> dict:
    """The notebook's imports, the solutions of the exercises before ``grade_id`` and ``answer``
    (an answer that raises leaves its names undefined, as a failed cell does in the kernel)."""
    cells, setup, solutions = _notebook(chapter)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in setup + [cells[g].source for g in solutions[: solutions.index(grade_id)]]:
            exec(source, namespace)  # noqa: S102 - the course's own notebook
        with contextlib.suppress(Exception):
            exec(answer, namespace)  # noqa: S102 - the corpus' answer
    return namespace


def _visible(chapter: str, grade_id: str, answer: str) -> None:
    cells, _, _ = _notebook(chapter)
    namespace = _namespace(chapter, grade_id, answer)
    test = cells[grade_id.replace("_solucion", "_pruebas")].source.split("### BEGIN HIDDEN TESTS")[0]
    with contextlib.redirect_stdout(io.StringIO()):
        exec(test, namespace)  # noqa: S102 - the course's visible tests


def _hidden(chapter: str, grade_id: str, answer: str) -> tuple[float, float, str]:
    cells, _, _ = _notebook(chapter)
    cell = cells[grade_id.replace("_solucion", "_pruebas")]
    points = cell.metadata["nbgrader"]["points"]
    verdict = judge_cell(cell.source, _namespace(chapter, grade_id, answer), grade_id, points)
    return verdict.points, points, verdict.message


def _cases(kind: str) -> list:
    out = []
    for chapter in CHAPTERS:
        wrong, variants = corpus(chapter)
        if kind == "solutions":
            out += [pytest.param(chapter, g, id=f"{chapter[:2]}-{g}") for g in _notebook(chapter)[2]]
        elif kind == "mistakes":
            out += [
                pytest.param(chapter, g, w, id=f"{chapter[:2]}-{g}-{w.name}") for g, ws in wrong.items() for w in ws
            ]
        elif kind == "named":
            out += [
                pytest.param(chapter, g, w, id=f"{chapter[:2]}-{g}-{w.name}")
                for g, ws in wrong.items()
                for w in ws
                if w.visible
            ]
        elif kind == "variants":
            out += [
                pytest.param(chapter, g, src, id=f"{chapter[:2]}-{g}-variante{i + 1}")
                for g, sources in variants.items()
                for i, src in enumerate(sources)
            ]
        else:
            out += [pytest.param(chapter, g, id=f"{chapter[:2]}-{g}") for g in sorted(DELEGATING[chapter])]
    return out


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_corpus_covers_every_exercise(chapter):
    wrong, variants = corpus(chapter)
    solutions = _notebook(chapter)[2]
    assert set(wrong) == set(variants) == set(solutions)
    assert all(len(wrong[g]) >= 3 and variants[g] for g in solutions)


@pytest.mark.parametrize("chapter, grade_id", _cases("solutions"))
def test_the_solution_passes_visible_and_hidden_tests(chapter, grade_id):
    source = _notebook(chapter)[0][grade_id].source
    _visible(chapter, grade_id, source)
    points, full, message = _hidden(chapter, grade_id, source)
    assert points == full, message


@pytest.mark.parametrize("chapter, grade_id, mistake", _cases("named"))
def test_the_visible_test_names_the_mistake(chapter, grade_id, mistake):
    with pytest.raises(AssertionError) as failure:
        _visible(chapter, grade_id, mistake.source)
    missing = [w for w in mistake.visible if w.lower() not in str(failure.value).lower()]
    assert not missing, f"falta {missing} en: {failure.value}"


@pytest.mark.parametrize("chapter, grade_id, mistake", _cases("mistakes"))
def test_the_hidden_test_takes_the_points_of_the_mistake(chapter, grade_id, mistake):
    points, full, message = _hidden(chapter, grade_id, mistake.source)
    must_lose = full if mistake.loses is None else mistake.loses
    assert full - points >= must_lose and message, (points, message)


@pytest.mark.parametrize("chapter, grade_id, source", _cases("variants"))
def test_a_correct_variant_keeps_every_point(chapter, grade_id, source):
    _visible(chapter, grade_id, source)
    points, full, message = _hidden(chapter, grade_id, source)
    assert points == full, message


@pytest.mark.parametrize("chapter, grade_id", _cases("delegating"))
def test_delegating_to_course_code_scores_zero(chapter, grade_id):
    points, _, message = _hidden(chapter, grade_id, DELEGATING[chapter][grade_id])
    assert points == 0, message


def test_an_in_place_bug_in_exercise_2_costs_only_exercise_2():
    """01: an in-place exercise 2 fails its own visible tests, and a correct exercise 3 run after
    it in the same kernel still passes (each test cell builds its own tensors)."""
    from wrong_answers.ch01 import IN_PLACE_SUM

    chapter = "01_operaciones_fusion"
    cells, setup, _ = _notebook(chapter)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in setup + [IN_PLACE_SUM, cells["ej3_solucion"].source]:
            exec(source, namespace)  # noqa: S102 - the course's own notebook and the corpus
        with pytest.raises(AssertionError):
            exec(cells["ej2_pruebas"].source.split("### BEGIN HIDDEN TESTS")[0], namespace)  # noqa: S102
        exec(cells["ej3_pruebas"].source.split("### BEGIN HIDDEN TESTS")[0], namespace)  # noqa: S102
