"""nbgrader preprocessor for ``generate_feedback``: the feedback never shows a hidden test.

nbgrader's feedback is the autograded notebook as HTML, hidden tests and their tracebacks
included (nbgrader issues #917, #1363). Here each graded test cell keeps only its visible
part and, when it failed, one line: the exception's name and its (Spanish) message. Every
other output loses any line that quotes a hidden test, and the grading guard's cell and
markers are dropped.
"""

from __future__ import annotations

import re

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from .evaluator.hidden import split_hidden as evaluator_split
from .guard import MARKER_MIME, RESTORE_PREFIX

VERDICT_ENAME, VERDICT_PREFIX = "PruebaOculta", "Evaluador (pruebas ocultas)"  # see evaluator/execute.py

REDACTED = "[línea oculta: cita una prueba oculta]"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def split_hidden(source: str) -> tuple[list[str], list[str]]:
    """``(visible lines, hidden lines)`` of a test cell's source (the grading guard's lines
    dropped; the hidden block replaced by the evaluator's note)."""
    kept, hidden = evaluator_split(source)
    return [line for line in kept.split("\n") if not line.startswith(RESTORE_PREFIX)], hidden.split(
        "\n"
    ) if hidden else []


def hidden_needles(lines: list[str], visible: set[str]) -> set[str]:
    """The hidden lines worth searching for: non-trivial and not also visible, whole or inside a
    longer visible line (``tab = f(x)`` hidden, ``_tab = f(x)`` in a visible test: quoting it
    tells a student nothing, and searching for it withheld every page of the chapter)."""
    shown = "\n".join(visible)
    return {s for s in (line.strip() for line in lines) if len(s) >= 8 and s not in shown}


def quotes_hidden(text: str, needles: set[str]) -> bool:
    return any(needle in text for needle in needles)


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden tests, their tracebacks and any output quoting them from the feedback."""

    def preprocess(self, nb, resources):
        visible, hidden = set(), []
        for cell in nb.cells:
            shown, secret = split_hidden(cell.source) if utils.is_grade(cell) else (cell.source.split("\n"), [])
            visible |= {line.strip() for line in shown}
            hidden += secret
        needles = hidden_needles(hidden, visible)
        cells = []
        for cell in nb.cells:
            if str(cell.get("id", "")).startswith("course-grading-guard"):
                continue
            if cell.cell_type == "code" and utils.is_grade(cell):
                cell.source = "\n".join(split_hidden(cell.source)[0]).strip("\n")
                cell.outputs = self._failure_only(cell.get("outputs", []), needles)
            elif cell.cell_type == "code":
                cell.outputs = [
                    self._scrub(out, needles)
                    for out in cell.get("outputs", [])
                    if MARKER_MIME not in out.get("data", {})
                ]
            cells.append(cell)
        nb.cells = cells
        return nb, resources

    @staticmethod
    def _redact(text: str, needles: set[str]) -> str:
        return "\n".join(REDACTED if quotes_hidden(line, needles) else line for line in text.split("\n"))

    def _failure_only(self, outputs, needles):
        """The visible tests' first failure as ``name: message`` (no traceback), then the
        evaluator's verdict line (:mod:`.evaluator.execute`), each redacted."""
        shown = []
        for out in outputs:
            if out.get("output_type") == "error" and out is not (outputs[-1] if outputs else None):
                ename = out.get("ename", "Error")
                evalue = self._redact(_ANSI.sub("", out.get("evalue", "")), needles)
                shown = [new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])]
                break
        # the evaluator's verdict is the cell's last output (added after the kernel ran); a line the
        # student's code printed to look like one is dropped
        last = outputs[-1] if outputs else {}
        if last.get("output_type") == "error" and last.get("ename") == VERDICT_ENAME:
            evalue = self._redact(_ANSI.sub("", last.get("evalue", "")), needles)
            shown.append(new_output("error", ename=VERDICT_ENAME, evalue=evalue, traceback=[evalue]))
        elif last.get("output_type") == "stream" and str(last.get("text", "")).startswith(VERDICT_PREFIX):
            shown.append(new_output("stream", name="stdout", text=last["text"]))
        return shown

    def _scrub(self, out, needles):
        if "text" in out:
            out["text"] = self._redact(out["text"], needles)
        if "traceback" in out:
            out["traceback"] = [self._redact(_ANSI.sub("", line), needles) for line in out["traceback"]]
        if "evalue" in out:
            out["evalue"] = self._redact(out["evalue"], needles)
        for key, value in list(out.get("data", {}).items()):
            if isinstance(value, str):
                out["data"][key] = self._redact(value, needles)
        return out
