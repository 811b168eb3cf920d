"""Numbers in the prose (issue 26, items 5 and 6): one Spanish format, Markdown placeholders that
``course run`` fills from what the run recorded, a lint that finds a result typed by hand, and
release notebooks a student can read before running."""

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_utils.claims import interval
from course_utils.prose import (
    NNBSP,
    PLACEHOLDER,
    UNFILLED,
    alternatives,
    choose,
    field_name,
    fill,
    fill_notebook,
    number,
    placeholders,
    table_markdown,
    unlinked,
    values_from_metrics_file,
)
from course_utils.report import METRICS_ENV, glue, record_claim, record_metric
from course_utils.tools.prose_lint import lint_notebook, typed_results
from support import CHAPTERS

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted(ROOT.glob("solutions/*/*.ipynb"))
RELEASE = sorted(ROOT.glob("notebooks/*/*.ipynb"))
# Chapters written while this lint landed; they are listed here only while they fail it.
NOT_YET_LINTED: set[str] = set()


@pytest.mark.parametrize(
    ("value", "spec", "text"),
    [
        (0.82913, ".3f", "0,829"),
        (45386, "", f"45{NNBSP}386"),
        (45386.0, ",.0f", f"45{NNBSP}386"),
        (137388160, "d", f"137{NNBSP}388{NNBSP}160"),
        (2024, "", "2024"),  # four digits: not grouped (a year, RAE)
        (-0.0651, "+.3f", "−0,065"),
        (0.0651, "+.3f", "+0,065"),
        (0.453, ".1%", f"45,3{NNBSP}%"),
        (0.5, "g", "0,5"),
        (3.0, "d", "3"),
        ("tardía", "", "tardía"),
        ("—", ".1%", "—"),  # a text recorded where the prose usually quotes a number (a tiny data set)
        ("n/d", ">6", "   n/d"),
    ],
)
def test_one_spanish_number_format(value, spec, text):
    assert number(value, spec) == text


def test_intervals_are_written_in_spanish():
    r = interval([0.81, 0.83, 0.80, 0.84], [0.70, 0.72, 0.71, 0.73])
    assert re.fullmatch(rf"IC 95{NNBSP}% \[0,\d{{3}}; 0,\d{{3}}\]", r.text()), r.text()


def test_records_print_nothing_and_reach_the_metrics_file(monkeypatch, tmp_path, capsys):
    target = tmp_path / "m.jsonl"
    monkeypatch.setenv(METRICS_ENV, str(target))
    record_metric("acc", 0.8125)
    glue("elegida", "suma")
    glue("n", 1200)
    record_claim("gana", "A gana", [0.81, 0.83, 0.80, 0.84], [0.70, 0.72, 0.71, 0.73], threshold=0.05)
    assert capsys.readouterr().out == "", "record_metric, glue and record_claim print nothing in the kernel"
    values = values_from_metrics_file(target)
    assert values["acc"] == 0.8125 and values["elegida"] == "suma" and values["n"] == 1200
    text = fill(
        "Acierta [(al ejecutar)](#=acc:.1%) con la [(al ejecutar)](#=elegida) y [(al ejecutar)](#=n) ejemplos; "
        "«más de [(al ejecutar)](#=gana.threshold)»: [(al ejecutar)](#=gana.verdict) "
        "([(al ejecutar)](#=gana.interval)).",
        values,
    )
    assert text.startswith(
        f"Acierta 81,2{NNBSP}% con la suma y 1200 ejemplos; «más de 0,05»: se cumple (IC 95{NNBSP}% [0,"
    )
    assert "al ejecutar" not in text


def test_a_placeholder_never_recorded_fails_and_names_the_cell(tmp_path):
    path = tmp_path / "nb.ipynb"
    nb = new_notebook(
        cells=[new_markdown_cell("Acierta [(al ejecutar)](#=acc:.3f)."), new_markdown_cell("[x](#=nada)")]
    )
    nbformat.write(nb, path)
    problems = fill_notebook(path, {"acc": 0.5})
    assert len(problems) == 1 and "celda 1" in problems[0] and "no se ha registrado nada" in problems[0]
    assert nbformat.read(path, as_version=4).cells[0].source == "Acierta 0,500."


_CASES = (
    "La red\n"
    "- [Si gana:](#?signo=sube) **supera** a la fusión lineal por [(al ejecutar)](#=dif:+.3f).\n"
    "- [Si pierde:](#?signo=baja) queda **por debajo** de la fusión lineal.\n"
    "- [Si no se distingue:](#?signo=ruido) no se distingue del ruido."
)


def test_the_run_keeps_the_alternative_the_result_chose(tmp_path):
    """A sentence that depends on a result is a Markdown list of its cases: the executed copy keeps
    the one whose value was recorded (and fills it); before running a reader sees every case."""
    path = tmp_path / "nb.ipynb"
    two = "- [Si gana:](#?signo=sube) gana.\n- [Si pierde:](#?signo=baja) pierde."
    cells = [_CASES, two, two.replace("baja", "sube"), two]
    nbformat.write(new_notebook(cells=[new_markdown_cell(c) for c in cells]), path)
    problems = fill_notebook(path, {"signo": "sube", "dif": 0.0423})
    assert len(problems) == 1 and "celda 2" in problems[0] and "2 alternativas" in problems[0], problems
    filled = [c.source for c in nbformat.read(path, as_version=4).cells]
    assert filled[0] == "La red\n**supera** a la fusión lineal por +0,042."
    assert filled[1] == filled[3] == "gana." and filled[2] == cells[2]  # the broken list is left as it was
    nbformat.write(new_notebook(cells=[new_markdown_cell(two)]), path)
    (problem,) = fill_notebook(path, {"signo": "de lado"})
    assert "celda 0" in problem and "«de lado»" in problem and "0 alternativas" in problem
    assert "no se ha registrado signo" in fill_notebook(path, {})[0]
    assert unlinked(cells[0]).splitlines()[1] == "- *Si gana:* **supera** a la fusión lineal por (al ejecutar)."


def test_a_chosen_text_continues_the_sentence_or_keeps_its_bullet():
    """Consecutive lists on different fields are separate choices; a text that starts with
    punctuation continues the line before, one inside a bulleted list stays an item, and an empty
    one adds nothing."""
    values = {"a": "x", "b": True}
    summary = (
        "- Primero.\n- [Si x:](#?a=x) Elegido A.\n- [Si y:](#?a=y) Otro.\n"
        "- [Si b:](#?b=True) Elegido B.\n- [Si no b:](#?b=False) No B.\n- Último."
    )
    assert choose(summary, values) == "- Primero.\n- Elegido A.\n- Elegido B.\n- Último."
    sentence = "La frase\n- [Si x:](#?a=x) , continuada.\n- [Si y:](#?a=y) , no.\n- [Si b: nada.](#?b=True)\n- [No b:](#?b=False) B.\n"
    assert choose(sentence + "\nOtra.", values) == "La frase, continuada.\n\nOtra."


def test_a_glued_table_fills_a_placeholder():
    """A list whose length the run decides (chapter 02's confused pairs, 05's name clashes) is quoted as
    a glued Markdown table (``table_markdown``), its numbers Spanish, on the lines of its placeholder."""
    import pandas as pd

    table = pd.DataFrame(
        {"vista": ["visión", "tabular"], "dígitos": ["2 y 8", "4 y 9"], "errores": [24, 21], "tasa": [0.5, 0.25]}
    )
    text = fill("Pares:\n\n[(al ejecutar)](#=pares)\n\nDespués.", {"pares": table_markdown(table, ".2f")})
    lines = text.splitlines()
    assert (
        lines[2].startswith("| vista ") and lines[3].startswith("|:--") and len(lines) == 8 and lines[-1] == "Después."
    )
    assert "| 2 y 8 " in lines[4] and "0,50" in lines[4] and "0,25" in lines[5] and "." not in "".join(lines[4:6])


class _AnyValue:
    """Stands for any recorded value: every attribute exists, any format spec writes it as ``V``."""

    def __init__(self, **fixed):
        self.__dict__.update(fixed)

    def __getattr__(self, name):
        if name == "item" or name.startswith("_"):
            raise AttributeError(name)
        return _AnyValue()

    def __format__(self, spec):
        return "V"

    def __str__(self):
        return "V"


def _filled_with(markdown: str, chosen: dict[str, str]) -> str:
    """``markdown`` run through the fill-in step with every placeholder standing for any value and
    each list of alternatives' field set as ``chosen`` says (``name.attr`` fields too)."""
    values: dict = {field_name(f): _AnyValue() for f in placeholders(markdown)}
    for field, value in chosen.items():
        name, _, attr = field.partition(".")
        values[name] = _AnyValue(**{attr: value}, **getattr(values.get(name), "__dict__", {})) if attr else value
    return fill(choose(markdown, values), values)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name[:2])
def test_every_case_of_every_list_of_alternatives_fills(path):
    """Each case of each list of alternatives, chosen in turn (the others at their first case), leaves
    no link and no "(al ejecutar)": a case the run has not met yet cannot break the executed copy."""
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        lists = {}
        for field, value in alternatives(cell.source) if cell.cell_type == "markdown" else []:
            lists.setdefault(field, []).append(value)
        first = {field: options[0] for field, options in lists.items()}
        for field, options in lists.items():
            for option in options:
                text = _filled_with(cell.source, first | {field: option})
                assert "(#" not in text and UNFILLED not in text, (
                    f"{path.name}, celda {index}, {field}={option}: {text}"
                )


def test_course_run_fills_the_executed_copy(tmp_path, monkeypatch):
    """The runner's fill-in step, end to end on a two-cell notebook (FAST, no chapter needed)."""
    from course_utils.tools import runner

    source = tmp_path / "src" / "99_prueba"
    source.mkdir(parents=True)
    nb = new_notebook(
        cells=[
            new_code_cell("from course_utils.report import glue\nglue('x', 0.25)", metadata={"tags": ["parameters"]}),
            new_markdown_cell("Vale [(al ejecutar)](#=x:.2f)."),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, source / "99_prueba.ipynb")
    monkeypatch.setattr(runner, "source_notebook", lambda chapter, d: source / f"{chapter}.ipynb")
    result = runner.run_notebook("99_prueba", tmp_path / "out", fast=True, progress=False)
    assert result.status == "ok", result.error
    assert nbformat.read(tmp_path / "out" / "99_prueba.ipynb", as_version=4).cells[-1].source == "Vale 0,25."
    nb.cells[1].source = "Vale [(al ejecutar)](#=y)."
    nbformat.write(nb, source / "99_prueba.ipynb")
    result = runner.run_notebook("99_prueba", tmp_path / "out", fast=True, progress=False)
    assert result.status == "failed" and "no se ha registrado y" in result.error


# --- the lint --------------------------------------------------------------------------------


def test_the_lint_fails_on_a_planted_number(tmp_path):
    """The control: the rule that passes the course's prose catches a result typed by hand."""
    source = SOLUTIONS[0]
    nb = nbformat.read(source, as_version=4)
    assert lint_notebook(source) == []
    nb.cells.append(new_markdown_cell("La fusión tardía acierta 0,829 en prueba."))
    planted = tmp_path / source.name
    nbformat.write(nb, planted)
    problems = lint_notebook(planted)
    assert len(problems) == 1 and "«0,829»" in problems[0] and f"celda {len(nb.cells) - 1}" in problems[0]


@pytest.mark.parametrize(
    "typed",
    [
        "acierta 0,829",
        "acierta 0.829",
        "un 83 % de aciertos",
        "tiene 45 386 parámetros",
        "pierde 137388160",
        "la diferencia es −0,065",
    ],
)
def test_the_lint_catches_ordinary_results(typed):
    assert typed_results(f"En esta ejecución, el modelo {typed}.") != []


@pytest.mark.parametrize(
    "fine",
    [
        "Como en la sección 8.3 y en la 10.1 (Python 3.11).",
        "Wolpert (1992) y Liu et al. (2018) lo muestran; 1/27 de las veces.",
        "Radford et al. (2021) ganan 1,3 puntos con plantillas.",
        "Con `lr=1e-3`, p = 0,5 y $\\tau = 0{,}07$; el IC 95 % y Holm al 95 %.",
        "Valor [(al ejecutar)](#=acc:.3f). Ver [1705.09406](https://arxiv.org/abs/1705.09406), doi:10.1007/3-540-49430-8_3.",
        "> | v3 | 34.882 | (una cita literal de otro texto) |",
        "### 4.1 Pesos aprendidos\n\nTres modalidades y 10 clases.",
    ],
)
def test_the_lint_lets_settings_references_and_citations_through(fine):
    assert typed_results(fine) == []


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name[:2])
def test_no_result_typed_by_hand_in_the_prose(path):
    if path.parent.name[:2] in NOT_YET_LINTED:
        pytest.skip(f"{path.parent.name}: still being written (issue 26 lint not yet adopted)")
    assert lint_notebook(path) == []


# --- what a student sees ---------------------------------------------------------------------

_RAW_FIELD = re.compile(r"(?<![\\$\w{])\{[A-Za-z_]\w*(?:\.\w+)*(?:![rsa])?(?::[^{}\s]*)?\}(?!\})")


def _prose(cell) -> str:
    """A Markdown cell without its math and code (braces there are LaTeX or Python)."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]+\$|```.*?```|`[^`]*`", " ", cell.source, flags=re.S)
    return text


@pytest.mark.parametrize("path", RELEASE, ids=lambda p: p.parent.name[:2])
def test_release_prose_reads_before_running(path):
    """No raw ``{name:.3f}`` field in a release's Markdown; every placeholder says it is filled when
    the notebook runs; no output carries a ``[métrica]`` line; no code cell renders prose."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            raw = _RAW_FIELD.findall(_prose(cell))
            assert not raw, f"{path.name}, celda {index}: marcador crudo {raw[:3]}"
            for match in PLACEHOLDER.finditer(cell.source):
                assert match["text"] == UNFILLED, f"{path.name}, celda {index}: marcador sin texto natural {match[0]}"
        else:
            outputs = json.dumps(cell.get("outputs", []), ensure_ascii=False)
            assert "[métrica]" not in outputs and "[afirmación]" not in outputs, f"{path.name}, celda {index}"


# --- what the run fills ----------------------------------------------------------------------

_ENGLISH_DECIMAL = re.compile(r"(?<![\w.,])[+\-−]?\d+\.\d+(?![\w.])")
_SECTION_OR_VERSION = re.compile(r"(?<![\w.])[1-9]\d?\.\d{1,2}(?:\.\d+)?(?![\w.])")


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_executed_copy_has_every_placeholder_filled_in_spanish(executed, chapter):
    """In this run's FAST execution (conftest's ``executed``): no placeholder left, no ``[métrica]``
    line in any output, and no number with a decimal point in the prose (the Spanish format writes
    ``0,829``; a section number such as 8.3 is not a decimal)."""
    if chapter[:2] in NOT_YET_LINTED:
        pytest.skip(f"{chapter}: still being written (issue 26 prose not yet adopted)")
    result, path, _ = executed[chapter]
    assert result.status == "ok", f"{chapter} did not execute:\n{result.error}"
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            assert "(#=" not in cell.source, f"{chapter}, celda {index}: marcador sin rellenar"
            prose = re.sub(r"\[[^\[\]]*\]\((?:https?|doi):[^)]*\)", " ", _prose(cell))  # references
            prose = re.sub(r"\]\([^)]*\)", "]", prose)
            prose = re.sub(r"^\s*>.*$|https?://\S+|doi:\S+|arXiv:\S+|\bDOI: \S+", " ", prose, flags=re.M | re.I)
            english = [n for n in _ENGLISH_DECIMAL.findall(prose) if not _SECTION_OR_VERSION.fullmatch(n.lstrip("+-−"))]
            assert not english, f"{chapter}, celda {index}: números con punto decimal en la prosa {english[:5]}"
        else:
            outputs = json.dumps(cell.get("outputs", []), ensure_ascii=False)
            assert "[métrica]" not in outputs, f"{chapter}, celda {index}: una línea [métrica] en la salida"
