"""What happened to each student of a batch: :class:`StudentResult` and ``status.csv``."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass
class StudentResult:
    """One student's outcome. ``reason`` (Spanish, for the teacher and the student) says why
    marks were lost other than by failed tests; ``review`` (Spanish) says why the submission
    must be reviewed by hand; both are empty when there is nothing to say."""

    student: str
    status: str  # "ok" or "fallo"
    score: float
    max_score: float
    seconds: float
    reason: str = ""
    review: str = ""


STATUS_FIELDS = [f.name for f in fields(StudentResult)]


def status_path(course_root: Path, assignment: str) -> Path:
    return Path(course_root) / "grading" / assignment / "status.csv"


def write_status(path: Path, results: list[StudentResult], note: str = "") -> None:
    """Write ``results`` as CSV; a non-empty ``note`` (e.g. graded without the sandbox) is
    added as a ``note`` column on every row, so no reader of the file can miss it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = STATUS_FIELDS + (["note"] if note else [])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        for r in results:
            writer.writerow({**asdict(r), **({"note": note} if note else {})})


def read_status(course_root: Path, assignment: str) -> dict[str, dict]:
    """The last ``status.csv`` written for ``assignment``, by student."""
    path = status_path(course_root, assignment)
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}
