"""Numbers in the prose: one Spanish format, and Markdown placeholders that the run fills.

**One format.** :func:`number` writes every number the course renders in Spanish: decimal comma
(``0,829``), thousands grouped with a narrow no-break space from five digits on (``45 386``; a
four-digit number such as a year is not grouped, as the RAE recommends), the minus sign ``−``, a
space before ``%`` (``45,3 %``). Its ``spec`` is Python's format mini-language (``.3f``, ``+.3f``,
``.1%``, ``,.0f``): the digits are Python's, the writing is Spanish. Claims' intervals
(:mod:`course_utils.claims`) use it too; a list inside an interval is separated by ``;``
(``[0,012; 0,048]``), since the comma is the decimal mark.

**Placeholders.** A result stated in a Markdown cell is written as a link whose target starts
with ``#=``: ``[(al ejecutar)](#=nb02_mejor_fusion:.3f)``. Before running, a reader sees the
link's text, "(al ejecutar)"; ``course run`` (:mod:`course_utils.tools.runner`) replaces the
whole link, in the executed copy, by the value formatted with :func:`number`. The target is a
``str.format`` field: a recorded metric, a value given to :func:`course_utils.report.glue`, or a
claim's attribute (``#=nb04_fusionar_ayuda.estimate:+.3f``, ``.interval``, ``.verdict``,
``.threshold``) — so a threshold, an interval and a verdict word all come from the claim
itself and cannot contradict each other. A name that was never recorded is an error of the run.

**Alternatives.** A sentence that depends on a result is written in Markdown too, as a list of
the alternatives, each item opening with a link whose target is ``#?`` plus a field and the value
it stands for::

    - [Si la red gana:](#?nb04_red_signo=sube) la no linealidad aporta algo más que fusionar.
    - [Si pierde:](#?nb04_red_signo=baja) la red queda por debajo de la fusión lineal.
    - [Si no se distingue:](#?nb04_red_signo=ruido) la diferencia no sale del ruido.

Before running a reader sees every case, each with its condition; the run keeps the text of the
one item whose value equals the recorded field (as ``str``: a glued word, a claim's ``.held``)
and drops the list — exactly one must match, or the run fails naming the cell. Consecutive
items on another field are the next choice. The kept text may hold placeholders; it continues
the line before when it starts with punctuation (``, … ; : . )``), is an item itself inside a
bulleted list, and a line of its own (the same paragraph) otherwise; an empty text adds nothing.
"""

from __future__ import annotations

import json
import numbers
import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

NNBSP = "\u202f"  # narrow no-break space: thousands groups and the space before %
MINUS = "\u2212"
UNFILLED = "(al ejecutar)"  # what a placeholder's text says before the run fills it
PLACEHOLDER = re.compile(r"\[(?P<text>[^\[\]]*)\]\(#=(?P<field>[^()\s]+)\)")
# one item of a list of alternatives: "- [condición](#?campo=valor) texto"
ALTERNATIVE = re.compile(
    r"^[-*][ \t]+\[(?P<label>[^\[\]]*)\]\(#\?(?P<field>[^()\s=]+)=(?P<value>[^()\s]*)\)[ \t]*(?P<text>.*)$"
)
LIST_ITEM = re.compile(r"^[-*][ \t]+\S")


def number(value: Any, spec: str = "") -> str:
    """``value`` written in Spanish with Python's format ``spec``; non-numbers as ``format`` does.

    >>> number(0.8293, ".3f"), number(45386), number(-0.0651, "+.3f"), number(0.453, ".1%")
    ('0,829', '45\u202f386', '−0,065', '45,3\u202f%')
    """
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, str):
        # a text recorded where a number usually stands ("—" when a small data set cannot give it)
        # is written as it is, whatever numeric format the prose asks for
        try:
            return format(value, spec)
        except ValueError:
            return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return format(value, spec)
    if not spec:
        spec = "d" if isinstance(value, numbers.Integral) else ".4g"
    elif spec[-1:] == "d" and not isinstance(value, numbers.Integral):
        spec = spec[:-1] + ".0f"
    text = format(value, spec.replace(",", "").replace("_", ""))
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    match = re.match(r"(\D*?)(\d+)(.*)", text, re.S)
    if match and len(match.group(2)) >= 5:
        digits = match.group(2)
        head = len(digits) % 3 or 3
        grouped = NNBSP.join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])
        text = match.group(1) + grouped + match.group(3)
    text = text.replace("-", MINUS).replace(".", ",")
    return text + (NNBSP + "%" if percent else "")


class SpanishFormatter(string.Formatter):
    """``str.format`` whose numbers are written by :func:`number`."""

    def format_field(self, value: Any, format_spec: str) -> str:
        return number(value, format_spec)


FORMATTER = SpanishFormatter()


def field_name(field: str) -> str:
    """The recorded name a placeholder's field refers to (before ``.attr``, ``!conv``, ``:spec``)."""
    return re.split(r"[.\[!:]", field, maxsplit=1)[0]


def _require_recorded(fields: list[str], values: Mapping[str, Any], where: str) -> None:
    """``KeyError`` (Spanish, naming ``where``) for the fields whose name was never recorded."""
    missing = sorted({field_name(field) for field in fields} - set(values))
    if missing:
        raise KeyError(
            f"{where or 'texto'}: no se ha registrado {', '.join(missing)} "
            "(usa record_metric, record_claim o glue antes de citarlo en el texto)"
        )


def _render(formatter: string.Formatter, field: str, values: Mapping[str, Any], where: str) -> str:
    """``field`` (``name.attr:spec`` or ``name!s``) written by ``formatter``; ``ValueError``
    (Spanish, naming ``where``) when it cannot be."""
    try:
        return formatter.vformat("{" + field + "}", (), values)
    except (AttributeError, ValueError, IndexError, TypeError) as err:
        raise ValueError(f"{where or 'texto'}: no se puede escribir «{field}»: {err}") from err


def fill(markdown: str, values: Mapping[str, Any], where: str = "") -> str:
    """Replace every placeholder of ``markdown`` by its value (see the module's docstring).

    Raises ``KeyError`` (in Spanish, naming ``where``) for a name that was never recorded."""
    _require_recorded(placeholders(markdown), values, where)
    return PLACEHOLDER.sub(lambda match: _render(FORMATTER, match["field"], values, where), markdown)


def choose(markdown: str, values: Mapping[str, Any], where: str = "") -> str:
    """Replace each list of alternatives of ``markdown`` by the text of the item whose value is the
    recorded one (see the module's docstring). Raises ``KeyError``/``ValueError`` (Spanish, naming
    ``where``) for a field never recorded or a list where not exactly one item matches."""
    lines, out, i = markdown.split("\n"), [], 0
    while i < len(lines):
        first = ALTERNATIVE.match(lines[i])
        if not first:
            out.append(lines[i])
            i += 1
            continue
        items = []  # consecutive items on the same field: one choice
        while i < len(lines) and (item := ALTERNATIVE.match(lines[i])) and item["field"] == first["field"]:
            items.append(item)
            i += 1
        text = _chosen(items, values, where)
        after = lines[i] if i < len(lines) else ""
        if not text:
            continue
        if text[0] in ",.;:)" and out and out[-1].strip():
            out[-1] += text  # the sentence goes on
        elif (out and LIST_ITEM.match(out[-1])) or (LIST_ITEM.match(after) and not ALTERNATIVE.match(after)):
            out.append(f"- {text}")  # an item of the list it stands in
        else:
            out.append(text)
    return "\n".join(out)


def _chosen(items: list[re.Match], values: Mapping[str, Any], where: str) -> str:
    field = items[0]["field"]
    _require_recorded([field], values, where)
    recorded = _render(string.Formatter(), field + "!s", values, where)  # the value as str, not as a number
    chosen = [item["text"] for item in items if item["value"] == recorded]
    if len(chosen) != 1:
        options = ", ".join(item["value"] for item in items)
        raise ValueError(
            f"{where or 'texto'}: {field} vale «{recorded}» y {len(chosen)} alternativas lo esperan "
            f"(debe ser exactamente una; hay: {options})"
        )
    return chosen[0]


def alternatives(markdown: str) -> list[tuple[str, str]]:
    """The (field, value) of every alternative of ``markdown``, in order."""
    return [(m["field"], m["value"]) for m in map(ALTERNATIVE.match, markdown.split("\n")) if m]


def unlinked(markdown: str) -> str:
    """``markdown`` as a reader sees it before any run: each placeholder as its text, each
    alternative's condition as emphasis (for pages built without an execution)."""
    lines = [
        f"- *{m['label'].replace('*', '')}* {m['text']}" if (m := ALTERNATIVE.match(line)) else line
        for line in markdown.split("\n")
    ]
    return PLACEHOLDER.sub(lambda m: m["text"], "\n".join(lines))


def placeholders(markdown: str) -> list[str]:
    """The fields of the placeholders in ``markdown``, in order."""
    return [m["field"] for m in PLACEHOLDER.finditer(markdown)]


def values_from_metrics_file(path: Path) -> dict[str, Any]:
    """What a run recorded (metrics, glued values, claims as :class:`~course_utils.claims.Claim`),
    read from its JSON-lines metrics file; later records of a name win."""
    from .claims import Claim

    values: dict[str, Any] = {}
    if not Path(path).exists():
        return values
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if "value" in item:
            values[item["name"]] = item["value"]
        elif "glue" in item:
            values[item["name"]] = item["glue"]
        elif "claim" in item:
            values[item["name"]] = Claim.from_dict(item["claim"])
    return values


def fill_notebook(path: Path, values: Mapping[str, Any]) -> list[str]:
    """Fill the placeholders of every Markdown cell of the notebook at ``path`` in place.

    Returns the problems (Spanish, naming the cell); cells with a problem are left as they were."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    problems, changed = [], False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or not (PLACEHOLDER.search(cell.source) or alternatives(cell.source)):
            continue
        where = f"{Path(path).name}, celda {index} (Markdown)"
        try:
            cell.source = fill(choose(cell.source, values, where), values, where)
            changed = True
        except (KeyError, ValueError) as err:
            problems.append(str(err.args[0]) if err.args else str(err))
    if changed:
        nbformat.write(nb, str(path))
    return problems


def table_markdown(table: Any, spec: str = ".3f", index: bool = False) -> str:
    """A pandas DataFrame as a Markdown table whose numbers are written by :func:`number`
    (``spec`` for floats; integers as integers), to quote a whole table in the prose."""
    shown = table.copy()
    for column in shown.columns:
        values = shown[column]
        if values.dtype.kind in "fc":
            shown[column] = values.map(lambda v: number(v, spec))
        elif values.dtype.kind in "iu":
            shown[column] = values.map(number)
    if index and shown.index.dtype.kind in "fiu":
        shown.index = [number(v, spec if shown.index.dtype.kind == "f" else "") for v in shown.index]
    return shown.to_markdown(index=index)
