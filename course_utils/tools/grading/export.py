"""Grades an LMS imports: nbgrader export plugins for Moodle's and Canvas's grade-import CSV.

Both are nbgrader :class:`~nbgrader.plugins.ExportPlugin` subclasses, so nbgrader's own
command runs them::

    nbgrader export --exporter=course_utils.tools.grading.export.MoodleExportPlugin --to moodle.csv
    nbgrader export --exporter=course_utils.tools.grading.export.CanvasExportPlugin --to canvas.csv

(``course grade export --lms moodle|canvas`` runs exactly that.) One row per student of the
gradebook, one score column per chapter (nbgrader assignment), the total, and per chapter
whether the submission was late, is waiting for a manual review (points held, or cells that
need a manual grade) or is missing. The names and e-mails come from the roster
(:mod:`.roster`, ``course grade roster``).

**Moodle** (Grades → Import → CSV file; ``grade/import/csv`` in Moodle's source): the first row
is the header; the teacher maps one column to identify the user — ``Email address`` to
*email address*, ``ID number`` to *idnumber* or ``Username`` to *username* — and each chapter's
column to a grade item (or *new grade item*); a grade is a number (``.`` decimal) and an empty
cell or ``-`` means no grade; the ``… (comentario)`` columns map to that item's *feedback*, so
the late and review flags reach the student beside the grade. ``Total`` is for checking: Moodle
computes its own course total (map it to *ignore*, or to a manual item).

**Canvas** (Grades → Import): the header must start with ``Student, ID, SIS User ID, SIS Login
ID, Section``; each assignment column is ``Name (canvas id)`` (a name without an id creates a new
assignment on import); the second row, ``Points Possible``, gives each column's maximum
(``(read only)`` under columns Canvas computes itself). Canvas matches a row by ``ID`` (the
roster's ``lms_id``), else ``SIS User ID`` (the course's student id) or ``SIS Login ID`` (the
e-mail). ``Final Points`` is read-only (Canvas keeps its own total); the flags go to the
``Notes`` custom column (shown in Canvas when the gradebook's *Notes* column is enabled).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Dict, Unicode

MOODLE_IDENTITY = ["Username", "ID number", "First name", "Last name", "Email address"]
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"
LATE, REVIEW, MISSING = "entrega tarde", "pendiente de revisión a mano", "sin entrega"


def points(value: float | None) -> str:
    """A score as both LMSs read it: ``.`` decimal, no exponent, at most 2 decimals."""
    if value is None:
        return ""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _duration(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts)


@dataclass
class Mark:
    """One student's result on one chapter, as the exports show it."""

    score: float
    max_score: float
    submitted: bool
    seconds_late: float = 0.0
    penalty: float = 0.0
    held: float = 0.0
    needs_review: bool = False

    @property
    def late(self) -> bool:
        return self.seconds_late > 0

    def flags(self) -> list[str]:
        if not self.submitted:
            return [MISSING]
        found = []
        if self.late:
            found.append(
                f"{LATE} ({_duration(self.seconds_late)}"
                + (f", penalización {points(self.penalty)} puntos" if self.penalty else "")
                + ")"
            )
        if self.needs_review:
            found.append(REVIEW + (f" ({points(self.held)} puntos retenidos)" if self.held else ""))
        return found


@dataclass
class StudentRow:
    id: str
    first_name: str
    last_name: str
    email: str
    lms_id: str
    marks: dict[str, Mark] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(m.score for m in self.marks.values())

    def notes(self) -> str:
        return "; ".join(f"{a}: {', '.join(m.flags())}" for a, m in self.marks.items() if m.flags())


def _held(grade) -> bool:  # the same test as gradebook._is_held (a hold of course grade autograde)
    return grade.auto_score is not None and grade.manual_score == 0 and bool(grade.needs_manual_grade)


def class_rows(gb: Gradebook, assignments: list[str] | None = None, students: list[str] | None = None):
    """``(assignments, rows)``: the chapters (by due date, then name) with their maximum, and one
    :class:`StudentRow` per student (sorted by id) with a :class:`Mark` per chapter."""
    chosen = [a for a in gb.assignments if not assignments or a.name in assignments]
    chosen.sort(key=lambda a: (a.duedate is None, a.duedate or 0, a.name))
    maxima = {a.name: float(a.max_score) for a in chosen}
    rows = []
    for student in sorted(gb.students, key=lambda s: s.id):
        if students and student.id not in students:
            continue
        row = StudentRow(
            student.id,
            student.first_name or "",
            student.last_name or "",
            student.email or "",
            student.lms_user_id or "",
        )
        for name, max_score in maxima.items():
            try:
                sub = gb.find_submission(name, student.id)
            except MissingEntry:
                row.marks[name] = Mark(0.0, max_score, submitted=False)
                continue
            held = sum(g.auto_score for nb in sub.notebooks for g in nb.grades if _held(g))
            row.marks[name] = Mark(
                float(sub.score),
                max_score,
                submitted=True,
                seconds_late=float(sub.total_seconds_late or 0.0),
                penalty=float(sub.late_submission_penalty or 0.0),
                held=float(held),
                needs_review=bool(sub.needs_manual_grade),
            )
        rows.append(row)
    return maxima, rows


def moodle_table(maxima: dict[str, float], rows: list[StudentRow]) -> list[list[str]]:
    header = [*MOODLE_IDENTITY, *maxima, "Total", *(f"{a} (comentario)" for a in maxima)]
    table = [header]
    for r in rows:
        table.append(
            [
                r.id,
                r.lms_id or r.id,
                r.first_name,
                r.last_name,
                r.email,
                *(points(r.marks[a].score) for a in maxima),
                points(r.total),
                *(", ".join(r.marks[a].flags()) for a in maxima),
            ]
        )
    return table


def canvas_table(
    maxima: dict[str, float], rows: list[StudentRow], canvas_ids: dict[str, str], section: str
) -> list[list[str]]:
    def column(a: str) -> str:
        return f"{a} ({canvas_ids[a]})" if a in canvas_ids else a

    header = [*CANVAS_IDENTITY, *(column(a) for a in maxima), "Final Points", "Notes"]
    table = [header, [CANVAS_POINTS_ROW, "", "", "", "", *(points(m) for m in maxima.values()), "(read only)", ""]]
    for r in rows:
        name = ", ".join(filter(None, [r.last_name, r.first_name])) or r.id
        table.append(
            [
                name,
                r.lms_id,
                r.id,
                r.email,
                section,
                *(points(r.marks[a].score) for a in maxima),
                points(r.total),
                r.notes(),
            ]
        )
    return table


def write_csv(path: Path, table: list[list[str]]) -> None:
    """UTF-8 without BOM, ``,`` separated, every field that needs it quoted (RFC 4180)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(table)


class _LMSExport(ExportPlugin):
    default_name = "grades.csv"

    def _rows(self, gradebook: Gradebook):
        return class_rows(gradebook, [str(a) for a in self.assignment] or None, [str(s) for s in self.student] or None)

    def _destination(self) -> Path:
        return Path(self.to or self.default_name)


class MoodleExportPlugin(_LMSExport):
    """Moodle's *Import grades from CSV*: see the module's docstring for the mapping."""

    default_name = "moodle.csv"

    def export(self, gradebook: Gradebook) -> None:
        dest = self._destination()
        maxima, rows = self._rows(gradebook)
        write_csv(dest, moodle_table(maxima, rows))
        self.log.info("Notas para Moodle: %s (%d estudiantes, %d capítulos)", dest, len(rows), len(maxima))


class CanvasExportPlugin(_LMSExport):
    """Canvas's gradebook import CSV: see the module's docstring for the columns."""

    default_name = "canvas.csv"
    section = Unicode("", help="the Canvas section written in every row's Section column").tag(config=True)
    canvas_ids = Dict(
        {}, help="Canvas's assignment id per nbgrader assignment (column 'Name (id)'); without one Canvas creates it"
    ).tag(config=True)

    def export(self, gradebook: Gradebook) -> None:
        dest = self._destination()
        maxima, rows = self._rows(gradebook)
        write_csv(dest, canvas_table(maxima, rows, {k: str(v) for k, v in self.canvas_ids.items()}, self.section))
        self.log.info("Notas para Canvas: %s (%d estudiantes, %d capítulos)", dest, len(rows), len(maxima))


EXPORTERS = {"moodle": MoodleExportPlugin, "canvas": CanvasExportPlugin}


def export_command(lms: str, course_root: Path, db_url: str, to: Path, extra: list[str] | None = None) -> list[str]:
    """``nbgrader export --exporter=…`` for ``lms`` (``moodle`` or ``canvas``)."""
    from ..release import nbgrader_command

    plugin = EXPORTERS[lms]
    return nbgrader_command(
        "export",
        f"--exporter={plugin.__module__}.{plugin.__name__}",
        f"--to={to}",
        root=course_root,
        extra=[f"--CourseDirectory.db_url={db_url}", *(extra or [])],
    )
