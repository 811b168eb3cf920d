"""Why a student lost marks other than by failed tests: teacher-readable (Spanish) notes from
nbgrader's log and the graded notebook, and the note put at the top of the feedback."""

from __future__ import annotations

import re
from pathlib import Path

from .limits import GradingLimits
from .preprocessors import MISSING_CELL_MARK

KERNEL_DIED = "el kernel murió durante la ejecución (sys.exit/os._exit, memoria o una señal)"
BAD_JSON = "el notebook entregado no es JSON válido (fichero dañado)"
MISSING_NOTEBOOK = "falta el notebook de la tarea (¿nombre de fichero distinto?)"
BAD_METADATA = "se modificaron los metadatos de calificación del notebook (nbgrader lo rechaza)"
GRADER_OUT_OF_MEMORY = (
    "la calificación misma se quedó sin memoria o sin espacio al recibir la salida del notebook "
    "(se superó el límite de memoria del estudiante): revísala a mano"
)
PROBLEMS = (  # (text in nbgrader's log, what a teacher should read)
    ("DeadKernelError", KERNEL_DIED),
    ("Kernel died", KERNEL_DIED),
    # nbformat's own words for an unreadable notebook (a bare JSONDecodeError may come from
    # anything else, e.g. a kernel's connection file)
    ("NotJSONError", BAD_JSON),
    ("Notebook does not appear to be JSON", BAD_JSON),
    ("No submitted file", MISSING_NOTEBOOK),
    ("No notebooks found", MISSING_NOTEBOOK),
    ("failed to validate", BAD_METADATA),
    ("KeyError: 'grade_id'", BAD_METADATA),
    ("CellTimeoutError", "una celda superó el tiempo máximo por celda"),
    # in nbgrader's log, the grader's own: the kernel's errors stay in the notebook
    ("MemoryError", GRADER_OUT_OF_MEMORY),
    ("File too large", GRADER_OUT_OF_MEMORY),
)
# nbclient's line in nbgrader's log when a cell ran out of time (the kernel is then interrupted,
# and the cell shows a KeyboardInterrupt). The kernel's own output never reaches that log.
CELL_TIMEOUT_LOG = "Timeout waiting for execute reply"
CELL_TIMEOUT = "superó el tiempo máximo por celda ({cell} s) y se interrumpió"
RAISED_INTERRUPT = "lanzó KeyboardInterrupt ella misma (no fue el límite de tiempo)"
TIMEOUT_OR_INTERRUPT = (
    "se interrumpió (límite de tiempo por celda de {cell} s o KeyboardInterrupt lanzado por el código)"
)
# Errors inside the graded notebook worth telling the teacher about (ordinary test failures are not).
CELL_ERRORS = {
    "MemoryError": "se quedó sin memoria (límite de {memory} MiB)",
    "SystemExit": "llamó a sys.exit()",
    "DeadKernelError": "el kernel murió en esta celda (os._exit, una señal o la memoria); se reinició, se repitieron "
    "las celdas anteriores y la calificación siguió",
}
# Error texts of a connection refused by the sandbox (no network) or by the network guard.
NETWORK_ERRORS = (
    "network access blocked",
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Name or service not known",
    "[Errno 101]",
    "[Errno -3]",
)
NETWORK_NOTE = "intentó conectarse a la red (bloqueado)"
# A limit of the student's own sandbox reached inside a cell: (words in the error, the true reason).
LIMIT_ERRORS = (
    (("[Errno 28]", "No space left on device", "[Errno 122]", "Disk quota exceeded"), "disk"),
    (("[Errno 27]", "File too large"), "file"),
    (("can't start new thread", "[Errno 11] Resource temporarily unavailable"), "processes"),
)
LIMIT_NOTES = {
    "disk": "se llenó su espacio de disco (límite de {disk} MiB para la carpeta de trabajo, el HOME y /tmp juntos)",
    "file": "un fichero superó el tamaño máximo por fichero ({file_size} MiB)",
    "processes": "alcanzó el límite de {processes} procesos e hilos de la entrega (no pudo crear más)",
}


def kernel_exit_note(codes: list[int], limits: GradingLimits) -> str:
    """What the exit statuses of kernels that ended by themselves say (Spanish; '' for none).
    The sandbox passes the kernel's exit code on, and 128 + N when signal N ended it."""
    told = []
    for code in codes:
        if code == 137:
            why = "recibió SIGKILL (memoria del sistema agotada o una señal)"
        elif code == 134:
            why = f"abortó (SIGABRT; a menudo falta de memoria en una biblioteca, límite de {limits.memory_mb} MiB)"
        elif code == 139:
            why = "falló con una violación de segmento (SIGSEGV)"
        elif code == 153:
            why = f"superó el tamaño máximo por fichero ({limits.file_size_mb} MiB; SIGXFSZ)"
        elif code > 128:
            why = f"terminó por la señal {code - 128}"
        else:
            why = f"terminó él mismo con el código {code} (sys.exit/os._exit)"
        told.append(why)
    return "el kernel " + ", luego ".join(dict.fromkeys(told)) if told else ""


def limit_reason(text: str, limits: GradingLimits) -> str:
    """The limit an error text shows was reached (Spanish), or '' when it shows none."""
    for needles, kind in LIMIT_ERRORS:
        if any(needle in text for needle in needles):
            return LIMIT_NOTES[kind].format(
                disk=limits.disk_mb, file_size=limits.file_size_mb, processes=limits.max_processes
            )
    return ""


def notebook_notes(notebook_dir: Path, limits: GradingLimits, cell_timeouts: int | None = None) -> list[str]:
    """Notes about notable errors in the autograded notebooks of ``notebook_dir``.

    ``cell_timeouts``: how many cells nbgrader's log says ran out of time (None: unknown). A
    cell showing ``KeyboardInterrupt`` is the time limit only when the log says a cell timed
    out; with no timeout in the log, the code raised it itself."""
    import nbformat

    notes = []
    interrupted = []
    for path in sorted(notebook_dir.glob("*.ipynb")):
        if path.is_symlink():
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - a damaged output notebook is reported elsewhere
            continue
        for index, cell in enumerate(nb.cells):
            where = cell.metadata.get("nbgrader", {}).get("grade_id") or f"celda {index}"
            if MISSING_CELL_MARK in cell.source:
                notes.append(f"{where}: faltaba en la entrega y se restauró desde el gradebook")
            for out in cell.get("outputs", []):
                if out.get("output_type") != "error":
                    continue
                text = out.get("ename", "") + " " + out.get("evalue", "")
                if any(needle in text for needle in NETWORK_ERRORS):
                    notes.append(f"{where}: {NETWORK_NOTE}")
                elif limit_reason(text, limits):
                    notes.append(f"{where}: {limit_reason(text, limits)}")
                elif out.get("ename") == "KeyboardInterrupt":
                    interrupted.append(len(notes))
                    notes.append(where)
                elif out.get("ename") in CELL_ERRORS:
                    notes.append(f"{where}: " + CELL_ERRORS[out["ename"]].format(memory=limits.memory_mb))
    for index in interrupted:
        if cell_timeouts is None or 0 < cell_timeouts < len(interrupted):
            why = TIMEOUT_OR_INTERRUPT
        else:
            why = CELL_TIMEOUT if cell_timeouts else RAISED_INTERRUPT
        notes[index] = f"{notes[index]}: " + why.format(cell=limits.cell_timeout)
    return notes


def explain(
    output: str,
    timed_out: bool,
    limits: GradingLimits,
    graded: bool,
    notebook_dir: Path | None = None,
    kernel_exits: list[int] | None = None,
) -> str:
    """Teacher-readable notes from nbgrader's log, the graded notebook and the exit statuses
    of kernels that ended by themselves; says why a student got 0 when nothing was saved."""
    if timed_out:
        return f"superó el tiempo máximo por notebook ({limits.notebook_timeout} s); se le asigna 0"
    notes = list(dict.fromkeys(reason for needle, reason in PROBLEMS if needle in output))
    if notebook_dir is not None and notebook_dir.is_dir():
        cell_notes = notebook_notes(notebook_dir, limits, output.count(CELL_TIMEOUT_LOG))
        # a dead kernel the grading survived is told once, at the cell where it happened
        if any("kernel murió" in note for note in cell_notes):
            notes = [note for note in notes if "kernel murió" not in note]
        notes = list(dict.fromkeys(cell_notes + notes))
    if kernel_exits and any("kernel murió" in note for note in notes):
        notes.append(kernel_exit_note(kernel_exits, limits))
    if graded:
        return "; ".join(notes)
    if not notes:
        tail = [line for line in output.strip().splitlines() if line.strip()][-3:]
        notes = ["nbgrader no pudo calificar la entrega (últimas líneas: " + " | ".join(tail)[-300:] + ")"]
    return "; ".join(notes) + "; se le asigna 0"


FEEDBACK_NOTE = "**Nota de la corrección automática:** {reason}."
REVIEW_NOTE = "**Pendiente de revisión manual:** {review}."


# inline Markdown only (a note is one line): with the brackets escaped no link or image can form
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$])")


def markdown_literal(text: str) -> str:
    """``text`` as Markdown that renders exactly as written: a reason can quote what the
    student's code printed (nbgrader's last lines), which must never become a link, HTML or math."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.replace("&", "&amp;").splitlines()))


def feedback_note(reason: str, review: str) -> str:
    """The Markdown shown at the top of the student's feedback (empty when nothing to say)."""
    parts = ([FEEDBACK_NOTE.format(reason=markdown_literal(reason))] if reason else []) + (
        [REVIEW_NOTE.format(review=markdown_literal(review))] if review else []
    )
    return "\n\n".join(parts)


def note_in_notebooks(notebook_dir: Path, reason: str, review: str = "") -> None:
    """Put the reason (and the review request) at the top of each autograded notebook, so that
    nbgrader's feedback HTML shows the student why marks were lost besides failed tests."""
    import nbformat

    note = feedback_note(reason, review)
    if not note:
        return
    for path in notebook_dir.glob("*.ipynb"):
        if path.is_symlink():
            continue
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
        nbformat.write(nb, path)
