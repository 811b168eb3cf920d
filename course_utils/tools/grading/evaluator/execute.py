"""nbgrader's execute step with the trusted evaluator behind it.

:class:`ExecuteThenEvaluate` cuts every hidden block out of the graded cells, lets the kernel
run the notebook as nbgrader would (a kernel death costs only its cell, see
:class:`~..preprocessors.RestartDeadKernel`), and then, with the same kernel still running,
judges each graded cell by its hidden test (:func:`.hidden.judge`) over plain-data requests.
The verdicts go to ``resources["course_verdicts"]`` for :class:`.save_grades.SaveTrustedGrades`
and, as one output line per cell, into the notebook the teacher and the feedback show.
"""

from __future__ import annotations

import json
import time

from nbformat.v4 import new_code_cell, new_output
from nbgrader import utils
from traitlets import Integer

from ..hide_hidden_tests import VERDICT_ENAME, VERDICT_PREFIX
from ..preprocessors import RestartDeadKernel
from .hidden import HiddenTestError, Verdict, judge, split_hidden
from .kernel_side import MIME
from .proxy import Session

RESTORE = "__import__('course_utils.tools.grading.guard', fromlist=['restore']).restore({})"
SERVE = "__import__('course_utils.tools.grading.evaluator.kernel_side', fromlist=['serve']).serve({text!r})"
VERDICTS = "course_verdicts"
COST_LOG = "course-evaluator cost:"  # the log line the benchmark reads
SEEDS_LOG = "course-evaluator secret seeds:"  # each hidden test's student.rng seed in this grading
NO_ANSWER = "el kernel no respondió a la petición del evaluador"
SEVERAL_ANSWERS = (
    "el kernel publicó varias respuestas para una sola petición del evaluador (el código del estudiante imita "
    "al evaluador)"
)
TEST_ERROR = (
    "la prueba oculta de {grade_id} falló por una excepción suya ({error}), no por una comprobación ni por el "
    "código del estudiante: revisar si es un fallo de la prueba o algo inesperado que devolvió la entrega"
)
REVIEW_KEY = "course_evaluator_review"  # notebook metadata: why the evaluator asks for a manual review
OUT_OF_TIME = "se agotó el tiempo del evaluador para este notebook ({seconds} s): las pruebas ocultas no terminaron"
FLOODED = (
    "la salida imitó la del evaluador o la protección de las pruebas ({what}: más de {most} en una celda; "
    "las demás se descartaron)"
)


def verdict_output(verdict: Verdict):
    """The line the graded cell shows for the evaluator's decision (Spanish)."""
    points = f"{verdict.points:g}/{verdict.max_points:g}"
    if verdict.passed:
        return new_output("stream", name="stdout", text=f"{VERDICT_PREFIX}: {points} puntos.\n")
    text = f"{VERDICT_PREFIX}: {points} puntos — {verdict.message}"
    return new_output("error", ename=VERDICT_ENAME, evalue=text, traceback=[text])


class ExecuteThenEvaluate(RestartDeadKernel):
    """Run the notebook without its hidden tests, then judge it from outside the kernel."""

    always_kept = (*RestartDeadKernel.always_kept, MIME)  # and the kernel's answers to the evaluator

    def flooded(self, what: str) -> None:
        self._suspicious.append(FLOODED.format(what=what, most=self.max_always_kept))

    evaluation_timeout = Integer(
        300, help="seconds for all the hidden tests of a notebook (each request also has the cell timeout)"
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        hidden: dict[int, str] = {}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
                cell.source, hidden[index] = split_hidden(cell.source)
        self._hidden = hidden
        self._killers = set()
        self._suspicious: list[str] = []
        # nbconvert's ExecutePreprocessor.preprocess, with the evaluation inside the kernel's lifetime
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        verdicts: dict[str, Verdict] = {}
        with self.setup_kernel():
            info = self.wait_for_reply(self.kc.kernel_info())
            if info is not None:
                self.nb.metadata["language_info"] = info["content"]["language_info"]
            for index, cell in enumerate(self.nb.cells):
                self.preprocess_cell(cell, resources, index)
            self._deadline = time.monotonic() + self.evaluation_timeout
            self._restore_machinery()
            session = Session(self._ask)
            deadline = self._deadline = time.monotonic() + self.evaluation_timeout
            for index, source in hidden.items():
                cell = self.nb.cells[index]
                grade_id = cell.metadata.nbgrader["grade_id"]
                points = float(cell.metadata.nbgrader.get("points", 0))
                if not source.strip():
                    raise HiddenTestError(f"la celda calificada {grade_id} no tiene pruebas ocultas para el evaluador")
                if time.monotonic() > deadline:
                    verdict = Verdict(grade_id, 0.0, points, OUT_OF_TIME.format(seconds=self.evaluation_timeout))
                else:
                    verdict = judge(grade_id, points, source, session)
                verdicts[grade_id] = verdict
                cell.outputs.append(verdict_output(verdict))
                if verdict.test_error:
                    self._suspicious.append(TEST_ERROR.format(grade_id=grade_id, error=verdict.test_error))
        self.set_widgets_metadata()
        if self._suspicious:
            self.nb.metadata[REVIEW_KEY] = sorted(set(self._suspicious))
        self.log.info(
            "%s %d requests, %.3f s",
            COST_LOG,
            sum(v.requests for v in verdicts.values()),
            sum(v.seconds for v in verdicts.values()),
        )
        # into the teacher's log of this student (grading/<assignment>/logs/): replay with judge_cell(…, seed=…)
        self.log.info("%s %s", SEEDS_LOG, " ".join(f"{g}={v.seed}" for g, v in verdicts.items()))
        self.resources.setdefault(VERDICTS, {}).update(verdicts)
        return self.nb, self.resources

    def _ask(self, request: dict) -> dict:
        """Send one request to the kernel as a throw-away cell and read its answer: the one
        display of the evaluator's type, which ``serve`` publishes after the student's code
        returned. Anything else — no answer, several, a kernel that died or hung — is an error
        for this request; a kernel that died or stopped answering is started again with the
        notebook replayed, so the next hidden tests still run."""
        if time.monotonic() > self._deadline:  # a kernel that makes every request wait costs only its own marks
            return _error("TiempoAgotado", OUT_OF_TIME.format(seconds=self.evaluation_timeout))
        outputs = self._probe(SERVE.format(text=json.dumps(request, allow_nan=False)))
        if outputs is None:
            return _error("KernelMuerto", "el kernel murió o dejó de responder durante la evaluación")
        answers = [o for o in outputs if o.get("output_type") == "display_data" and MIME in o.get("data", {})]
        if not answers:
            if any(o.get("output_type") == "error" and "Timeout" in str(o.get("ename", "")) for o in outputs) or (
                any("Timeout" in str(o.get("evalue", "")) for o in outputs)
            ):
                self._revive()
            return _error("SinRespuesta", NO_ANSWER)
        if len(answers) > 1:
            self._suspicious.append(SEVERAL_ANSWERS)
            return _error("RespuestaDuplicada", SEVERAL_ANSWERS)
        payload = answers[0]["data"][MIME]
        try:
            answer = json.loads(payload) if isinstance(payload, str) else payload
        except ValueError:
            return _error("SinRespuesta", NO_ANSWER)
        return answer if isinstance(answer, dict) else {}

    def _restore_machinery(self) -> None:
        """Before the first request: the grading guard puts back what the notebook changed in the
        course's modules (a fake ``kernel_side`` in ``sys.modules``…); only data comes back either way."""
        self._probe(RESTORE)

    def _probe(self, source: str) -> list | None:
        """Run ``source`` in the kernel as a throw-away cell, never part of the notebook; its
        outputs, or None when the kernel died or stopped answering (it is then started again with
        the notebook's own cells replayed). Display updates the student's code sends meanwhile
        never reach the notebook's earlier outputs (they would show the hidden calls in the feedback)."""
        probe = new_code_cell(source)
        index = len(self.nb.cells)
        self.nb.cells.append(probe)
        self._display_id_map = {}
        try:
            self.execute_cell(probe, index, store_history=False)
        except Exception:  # noqa: BLE001 - dead (DeadKernelError) or deaf (a timeout nbclient raises)
            probe = None
        finally:
            del self.nb.cells[index]
            self._display_id_map = {}
        if probe is None:
            self._revive()
            return None
        return probe.get("outputs", [])

    def _revive(self) -> None:
        """A fresh kernel that ran the notebook's own cells again (outputs kept from the first
        run), so the remaining hidden tests still see the student's definitions."""
        from jupyter_core.utils import run_sync

        run_sync(self._restart_kernel)()
        self._replay(len(self.nb.cells))


def _error(kind: str, message: str) -> dict:
    return {"ok": False, "error": {"type": kind, "builtin": False, "message": message}}
