"""nbgrader preprocessors the course adds when it autogrades (see :mod:`.guard`)."""

from __future__ import annotations

import copy
import re
import secrets

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from .guard import ARM, MARKER_MIME, PREAMBLE, RESTORE, RESTORE_PREFIX
from .hide_hidden_tests import VERDICT_PREFIX

GUARD_CELL_ID = "course-grading-guard"  # prefix: the cell's id ends with a fresh random part
KERNEL_DIED = (
    "el kernel murió al ejecutar esta celda (os._exit, una señal o la memoria); se reinició, "
    "se repitieron las celdas anteriores y la calificación siguió"
)
RECEIVED_NOTE = "salida descartada al calificar: demasiada salida mientras se ejecutaba"


class GuardGradedTests(NbGraderPreprocessor):
    """Insert the guard cell (fresh, unguessable id) before any student code and a call to
    :func:`.guard.restore` with a fresh nonce at the top of every graded test cell. A submitted
    cell that carries the guard's id is dropped (the static scan reports it): the real guard
    always runs first."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not str(cell.get("id", "")).startswith(GUARD_CELL_ID)]
        uses_torch = any(re.search(r"\btorch\b", cell.source) for cell in nb.cells if cell.cell_type == "code")
        guard = new_code_cell("\n".join([PREAMBLE, *(["import torch"] if uses_torch else []), ARM]))
        guard["id"] = f"{GUARD_CELL_ID}-{secrets.token_hex(8)}"
        nb.cells.insert(0, guard)
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_grade(cell):
                lines = [line for line in cell.source.split("\n") if not line.startswith(RESTORE_PREFIX)]
                cell.source = "\n".join([RESTORE.format(nonce=secrets.token_hex(12)), *lines])
        return nb, resources


class StderrIsNotAFailure(NbGraderPreprocessor):
    """nbgrader gives 0 to a graded cell with any ``stderr`` output (``utils.determine_grade``),
    so a correct answer that emits a ``UserWarning`` lost its points. In this course a test
    fails by raising: ``stderr`` output of graded cells is kept, as ``stdout``, before the
    grades are saved."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    out["name"] = "stdout"
        return cell, resources


def _output_parts(out) -> list:
    """An output's (or an output message's) text, error value and traceback lines and representations."""
    return [out.get("text", ""), out.get("evalue", ""), *(out.get("traceback") or []), *out.get("data", {}).values()]


def _output_chars(out) -> int:
    """The characters an output holds (its text and every str representation: an image is base64)."""
    return sum(len(v) for v in _output_parts(out) if isinstance(v, str))


def _cut(text, limit: int) -> str:
    """``text`` (made a str) cut to ``limit`` characters, with a note of its length."""
    text = str(text)
    return (
        text
        if len(text) <= limit
        else text[:limit] + f"\n… [salida recortada al calificar: {len(text):,} caracteres]\n"
    )


class TruncateLargeOutputs(NbGraderPreprocessor):
    """Cut every text output to ``max_chars`` characters (nbgrader's ``LimitOutput`` counts
    lines, so one enormous line would pass), and drop the outputs of a cell past ``max_cell_chars``
    and of the notebook past ``max_notebook_chars`` (1,500 displays of 99 kB each once made a
    149 MB graded notebook and feedback page). Errors (cut), the guard's markers and the
    evaluator's verdicts are always kept: they decide the grade."""

    max_chars = 100_000
    max_cell_chars = 2_000_000
    max_notebook_chars = 20_000_000

    def preprocess(self, nb, resources):
        self._notebook_chars = 0
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        kept, cell_chars, dropped, note = [], 0, 0, None
        for out in cell.get("outputs", []):
            self._truncate(out)
            size = _output_chars(out)
            fits = cell_chars + size <= self.max_cell_chars and self._notebook_chars + size <= self.max_notebook_chars
            verdict = str(out.get("text", "")).startswith(VERDICT_PREFIX)
            marker = MARKER_MIME in out.get("data", {})  # the guard's: without it the cell is sent to review
            if out.get("output_type") == "error" or verdict or marker or fits:
                kept.append(out)
                cell_chars += size
                self._notebook_chars += size
            else:
                dropped += 1
                if note is None:  # where the first dropped output was: the verdict stays last
                    note = new_output("stream", name="stdout", text="")
                    kept.append(note)
        if note is not None:
            note["text"] = (
                f"… [{dropped:,} salidas omitidas al calificar: demasiada salida en la celda o el notebook]\n"
            )
            cell["outputs"] = kept
        return cell, resources

    def _truncate(self, out) -> None:
        """Cut one output's stream text, error value and traceback lines and each str
        representation to ``max_chars``."""
        if out.get("output_type") == "error":
            out["evalue"] = _cut(out.get("evalue", ""), self.max_chars)
            out["traceback"] = [_cut(line, self.max_chars) for line in out.get("traceback", [])]
        if out.get("output_type") == "stream":
            out["text"] = _cut(out.get("text", ""), self.max_chars)
        for key, value in list(out.get("data", {}).items()):
            if isinstance(value, str):
                out["data"][key] = _cut(value, self.max_chars)


def _content_chars(content: dict) -> int:
    """Characters an output message of the kernel carries: every part (those that are not text, such
    as JSON representations, written out) and its metadata, which a student could fill too."""
    parts = [*_output_parts(content), content.get("metadata", {})]
    return sum(len(part) if isinstance(part, str) else len(str(part)) for part in parts)


class BoundedOutputs(Execute):
    """nbgrader's ``Execute`` holding a bounded amount of output *while the cells run*. The grader
    runs under the student's memory limit: an endless ``print`` loop, displays with megabytes of
    metadata or a loop of huge errors once ended the grading itself in a ``MemoryError`` or a
    too-large file (0 for the whole notebook). Per cell execution it keeps ``max_received_chars``
    of streams and displays (metadata counted), at most ``max_errors`` errors, each cut to
    ``max_error_chars``, and at most ``max_always_kept`` displays whose every type is in
    ``always_kept`` (the guard's marker, the evaluator's answers: never counted against the
    rest); over the whole notebook ``max_received_notebook_chars`` of streams and displays.
    What is dropped leaves one note in the cell; imitations of the always-kept displays past
    their number go to :meth:`flooded`. The count starts again with each cell, so one cell's flood
    never touches the next cell's guard marker. :class:`TruncateLargeOutputs` then cuts what was
    kept to the graded notebook's limits."""

    max_received_chars = 4_000_000
    max_received_notebook_chars = 100_000_000
    max_errors = 10
    max_error_chars = 100_000
    max_always_kept = 4
    always_kept: tuple[str, ...] = (MARKER_MIME,)  # MIME types of displays never dropped
    # after a cell's reply, nbclient waits this long for the output still on its way; a cell that
    # printed 70,000 short lines and ended in time outran nbclient's 4 s and failed the whole notebook
    # (`course grade` sets it to the cell limit)
    iopub_timeout = Integer(60, help="seconds to wait for a cell's outputs after its reply").tag(config=True)
    _received_outs, _received_notebook = None, 0  # the outputs list being counted; all counted so far

    def preprocess(self, nb, resources=None, km=None):
        self._received_outs, self._received_notebook = None, 0
        return super().preprocess(nb, resources, km)

    def flooded(self, what: str) -> None:
        """Called when displays imitating the always-kept ones were dropped (a subclass reports it)."""

    def output(self, outs, msg, display_id, cell_index):
        kind, content = msg.get("msg_type"), msg.get("content", {})
        if kind not in ("stream", "display_data", "execute_result", "update_display_data", "error"):
            return super().output(outs, msg, display_id, cell_index)
        if outs is not self._received_outs:  # another cell (or probe) started
            self._received_outs, self._received, self._errors, self._kept = outs, 0, 0, 0
        size = _content_chars(content)
        data = content.get("data", {})
        if kind == "error":
            self._errors += 1
            if self._errors <= self.max_errors:
                content["evalue"] = _cut(content.get("evalue", ""), self.max_error_chars)
                traceback = [_cut(line, self.max_error_chars) for line in (content.get("traceback") or [])][:100]
                content["traceback"] = traceback if sum(map(len, traceback)) <= 5 * self.max_error_chars else []
                return super().output(outs, msg, display_id, cell_index)
        elif data and set(data) <= set(self.always_kept) and size - sum(map(len, map(str, data.values()))) < 10_000:
            self._kept += 1
            if self._kept <= self.max_always_kept:
                return super().output(outs, msg, display_id, cell_index)
            self.flooded(", ".join(sorted(data)))
        else:
            self._received += size
            self._received_notebook += size
            if self._received <= self.max_received_chars and (
                self._received_notebook <= self.max_received_notebook_chars
            ):
                return super().output(outs, msg, display_id, cell_index)
        if not any(RECEIVED_NOTE in str(out.get("text", "")) for out in outs[-3:]):
            outs.append(new_output("stream", name="stdout", text=f"… [{RECEIVED_NOTE}]\n"))
        return None


class RestartDeadKernel(BoundedOutputs):
    """nbgrader's ``Execute``, except that a cell that kills the kernel (``os._exit``, a signal,
    the memory limit) costs only what depends on it: the cell gets a ``DeadKernelError`` output,
    the kernel restarts, the cells before it run again (their outputs kept as they were) and
    grading goes on. nbgrader alone gives up on the whole notebook, a 0 for every exercise."""

    max_restarts = 3

    def preprocess(self, nb, resources=None, km=None):
        self._killers: set[int] = set()
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            if len(self._killers) >= self.max_restarts:
                raise
            self._killers.add(index)
            cell.outputs = [
                new_output(
                    "error", ename="DeadKernelError", evalue=KERNEL_DIED, traceback=[f"DeadKernelError: {KERNEL_DIED}"]
                )
            ]
            self.nb.cells[index] = cell
            run_sync(self._restart_kernel)()
            self._replay(index)
            return cell, self.resources

    async def _restart_kernel(self) -> None:
        await ensure_async(self.km.restart_kernel(now=True))
        self.kc.stop_channels()
        await self.async_start_new_kernel_client()

    def _replay(self, upto: int) -> None:
        """Run cells ``0 … upto-1`` again in the new kernel, except those that killed it; the
        notebook keeps the outputs of their first run."""
        for i in range(upto):
            original = self.nb.cells[i]
            if i in self._killers or original.cell_type != "code":
                continue
            self.execute_cell(copy.deepcopy(original), i, store_history=False)
            self.nb.cells[i] = original


MISSING_CELL_MARK = "# RESTAURADA AL CALIFICAR"
