"""Why a submission needs manual review: the static scan of what was submitted and the guard's
markers in what was graded (see :mod:`.guard`). Runs in the grading process, on files only."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .guard import MARKER_MIME, RESTORE_PREFIX
from .scan import review_reason, scan_notebook
from .status import quoted

EVALUATOR_REVIEW = "course_evaluator_review"  # set by evaluator.execute (its REVIEW_KEY)
_NONCE = re.compile(re.escape(RESTORE_PREFIX) + r"(?:globals\(\), )?'([0-9a-f]+)'")
# A cell whose kernel died or that never ran cannot show the marker; it is graded 0 and explained elsewhere.
_NOT_RUN = {"DeadKernelError", "CellTimeoutError", "KeyboardInterrupt"}


def guard_notes(nb) -> list[str]:
    """Graded cells of an autograded notebook whose guard marker is missing, wrong or reports
    an alteration (Spanish, one per cell)."""
    notes = []
    for index, cell in enumerate(nb.cells):
        match = _NONCE.match(cell.source) if cell.cell_type == "code" else None
        if match is None:
            continue
        where = cell.metadata.get("nbgrader", {}).get("grade_id") or f"celda {index}"
        outputs = cell.get("outputs", [])
        if any(out.get("output_type") == "error" and out.get("ename") in _NOT_RUN for out in outputs):
            continue
        markers = [
            out["data"][MARKER_MIME]
            for out in outputs
            if out.get("output_type") == "display_data" and MARKER_MIME in out.get("data", {})
        ]
        mine = [m for m in markers if isinstance(m, dict) and m.get("nonce") == match.group(1)]
        if len(mine) != 1 or len(markers) != 1:
            notes.append(
                f"{where}: la protección de las pruebas no se ejecutó como debía (¿celda vaciada o "
                "protección sustituida?)"
            )
        elif mine[0].get("altered"):
            altered = [quoted(a, 60) for a in mine[0]["altered"]]  # names the kernel reported
            notes.append(
                f"{where}: antes de las pruebas se encontró alterado {', '.join(altered[:4])}"
                + (f" y {len(altered) - 4} más" if len(altered) > 4 else "")
                + " (se restauró)"
            )
    return notes


def review_notes(submitted_dir: Path, autograded_dir: Path | None) -> str:
    """The ``review`` text of one submission ('' when nothing calls for a manual review)."""
    reasons = []
    for path in sorted(Path(submitted_dir).glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - an unreadable notebook is reported by the grading itself
            continue
        reasons.append(review_reason(scan_notebook(nb)))
    if autograded_dir is not None and Path(autograded_dir).is_dir():
        for path in sorted(Path(autograded_dir).glob("*.ipynb")):
            try:
                autograded = nbformat.read(path, as_version=4)
                notes = guard_notes(autograded)
            except Exception:  # noqa: BLE001
                continue
            # the evaluator's own observations, written by nbgrader's process (never by the kernel)
            notes = [str(n) for n in autograded.metadata.get(EVALUATOR_REVIEW, [])][:3] + notes
            if notes:
                reasons.append("revisión manual: " + "; ".join(notes[:3]))
    return " · ".join(r for r in reasons if r)
