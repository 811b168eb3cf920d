"""Why a student lost marks other than by failed tests: teacher-readable (Spanish) notes from
nbgrader's log and the graded notebook, and the note put at the top of the feedback."""

from __future__ import annotations

from pathlib import Path

from .limits import GradingLimits
from .preprocessors import MISSING_CELL_MARK

KERNEL_DIED = "el kernel murió durante la ejecución (sys.exit/os._exit, memoria o una señal)"
BAD_JSON = "el notebook entregado no es JSON válido (fichero dañado)"
MISSING_NOTEBOOK = "falta el notebook de la tarea (¿nombre de fichero distinto?)"
BAD_METADATA = "se modificaron los metadatos de calificación del notebook (nbgrader lo rechaza)"
PROBLEMS = (  # (text in nbgrader's log, what a teacher should read)
    ("DeadKernelError", KERNEL_DIED),
    ("Kernel died", KERNEL_DIED),
    ("NotJSONError", BAD_JSON),
    ("Notebook does not appear to be JSON", BAD_JSON),
    ("JSONDecodeError", BAD_JSON),
    ("No submitted file", MISSING_NOTEBOOK),
    ("No notebooks found", MISSING_NOTEBOOK),
    ("failed to validate", BAD_METADATA),
    ("KeyError: 'grade_id'", BAD_METADATA),
    ("CellTimeoutError", "una celda superó el tiempo máximo por celda"),
    ("MemoryError", "se superó el límite de memoria"),
)
# Errors inside the graded notebook worth telling the teacher about (ordinary test failures are not).
CELL_ERRORS = {
    "KeyboardInterrupt": "superó el tiempo máximo por celda y se interrumpió",
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


def notebook_notes(notebook_dir: Path, limits: GradingLimits) -> list[str]:
    """Notes about notable errors in the autograded notebooks of ``notebook_dir``."""
    import nbformat

    notes = []
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
                elif out.get("ename") in CELL_ERRORS:
                    notes.append(f"{where}: " + CELL_ERRORS[out["ename"]].format(memory=limits.memory_mb))
    return notes


def explain(output: str, timed_out: bool, limits: GradingLimits, graded: bool, notebook_dir: Path | None = None) -> str:
    """Teacher-readable notes from nbgrader's log and the graded notebook; says why a student
    got 0 when nothing was saved."""
    if timed_out:
        return f"superó el tiempo máximo por notebook ({limits.notebook_timeout} s); se le asigna 0"
    notes = list(dict.fromkeys(reason for needle, reason in PROBLEMS if needle in output))
    if notebook_dir is not None and notebook_dir.is_dir():
        cell_notes = notebook_notes(notebook_dir, limits)
        # a dead kernel the grading survived is told once, at the cell where it happened
        if any("kernel murió" in note for note in cell_notes):
            notes = [note for note in notes if "kernel murió" not in note]
        notes = list(dict.fromkeys(cell_notes + notes))
    if graded:
        return "; ".join(notes)
    if not notes:
        tail = [line for line in output.strip().splitlines() if line.strip()][-3:]
        notes = ["nbgrader no pudo calificar la entrega (últimas líneas: " + " | ".join(tail)[-300:] + ")"]
    return "; ".join(notes) + "; se le asigna 0"


FEEDBACK_NOTE = "**Nota de la corrección automática:** {reason}."
REVIEW_NOTE = "**Pendiente de revisión manual:** {review}."


def feedback_note(reason: str, review: str) -> str:
    """The Markdown shown at the top of the student's feedback (empty when nothing to say)."""
    parts = ([FEEDBACK_NOTE.format(reason=reason)] if reason else []) + (
        [REVIEW_NOTE.format(review=review)] if review else []
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
