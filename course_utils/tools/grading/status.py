"""What happened to each student of a batch: :class:`StudentResult` and ``status.csv``.

``status.csv`` is the record of every student graded so far: grading a subset of the class
(``--student X``) replaces those students' rows and keeps everyone else's, review flags
included (:func:`merge_status`)."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import asdict, dataclass, fields
from pathlib import Path

STATUS_OK, STATUS_FAILED, STATUS_REFUSED = "ok", "fallo", "rechazada"
QUOTE_CHARS = 80  # a quoted name longer than this is cut (…): a reason stays one readable line


def quoted(text: object, limit: int = QUOTE_CHARS) -> str:
    """A string the student chose (a file or folder name, a link's target, a ``grade_id``) as
    it enters any reason or report: between «», on one line, at most ``limit`` characters.

    Every run of whitespace, control or format characters (newlines, tabs, U+2028, bidi
    overrides…) becomes one space, and « » inside become ‹ ›, so the name can neither add a
    line, a heading or a list item to a report nor close its own quote and go on as the
    report's words. The Markdown or HTML writer still escapes what it writes (a quote is
    plain text): :func:`.reports.one_line` for ``summary.md``; nbconvert for the pages."""
    kept = "".join(
        " " if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(text)
    )
    one = " ".join(kept.split()).replace("«", "‹").replace("»", "›")
    if len(one) > limit:
        one = one[: limit - 1].rstrip() + "…"
    return f"«{one}»"


@dataclass
class StudentResult:
    """One student's outcome. ``reason`` (Spanish, for the teacher and the student) says why
    marks were lost other than by failed tests; ``review`` (Spanish) says why the submission
    must be reviewed by hand; both are empty when there is nothing to say. ``score`` is what
    the class gradebook holds; ``held`` the automatic points withheld from it until the teacher
    reviews the submission (:func:`.gradebook.release_held`)."""

    student: str
    status: str  # "ok", "fallo" or "rechazada" (refused by collect: nothing to grade)
    score: float
    max_score: float
    seconds: float
    reason: str = ""
    review: str = ""
    held: float = 0.0


STATUS_FIELDS = [f.name for f in fields(StudentResult)]


def status_path(course_root: Path, assignment: str) -> Path:
    return Path(course_root) / "grading" / assignment / "status.csv"


def _rows(results: list[StudentResult], note: str) -> list[dict]:
    return [{**asdict(r), **({"note": note} if note else {})} for r in results]


def _write_rows(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    names = STATUS_FIELDS + (["note"] if any(row.get("note") for row in rows) else [])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names, extrasaction="ignore")
        writer.writeheader()
        for row in sorted(rows, key=lambda r: r["student"]):
            writer.writerow({name: row.get(name, "") for name in names})


def write_status(path: Path, results: list[StudentResult], note: str = "") -> None:
    """Write ``results`` as CSV; a non-empty ``note`` (e.g. graded without the sandbox) is
    added as a ``note`` column on every row, so no reader of the file can miss it."""
    _write_rows(path, _rows(results, note))


def merge_status(path: Path, results: list[StudentResult], note: str = "") -> None:
    """Write ``results`` into the existing ``status.csv`` at ``path``: their rows replace the
    same students' rows, every other student's row (score, reason, review, note) is kept."""
    rows = {}
    if path.is_file() and not path.is_symlink():
        with open(path, newline="", encoding="utf-8") as fh:
            rows = {row["student"]: row for row in csv.DictReader(fh)}
    rows.update({row["student"]: row for row in _rows(results, note)})
    _write_rows(path, list(rows.values()))


def read_status(course_root: Path, assignment: str) -> dict[str, dict]:
    """The last ``status.csv`` written for ``assignment``, by student."""
    path = status_path(course_root, assignment)
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}
