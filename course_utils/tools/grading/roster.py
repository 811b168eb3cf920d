"""The class roster in the gradebook: who each student id is (name, e-mail, the LMS's own id).

``course grade roster FILE.csv`` reads a CSV with a header row and writes nbgrader's own student
fields (``first_name``, ``last_name``, ``email``, ``lms_user_id``) into the class gradebook, so
that formgrader shows names instead of "None, None" and the LMS exports
(:mod:`.export`) carry the identifiers Moodle and Canvas match rows by. Nothing beyond
nbgrader's schema is added (the integrity check refuses foreign tables).

Columns (case-insensitive; Spanish or English names; order free):

=====================  =====================================================  ========
column                 meaning                                                required
=====================  =====================================================  ========
``id`` / ``usuario``   the student id: the hub's user name, ``submitted/<id>``  yes
``nombre``             first name(s), or the full name when no ``apellidos``   yes
``apellidos``          family name(s)                                          no
``email`` / ``correo`` e-mail address (Moodle matches rows by it)              yes
``lms_id``             the LMS's own user id (Canvas "ID", Moodle "id")        no
=====================  =====================================================  ========

A full name in one column is split as ``"Apellidos, Nombre"`` when it has a comma and at the
first space otherwise. Every problem is reported in Spanish with the file and the line, and
nothing is written when there is one: a roster is all right or not taken.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook

# the same ids collect accepts (letters of any script, digits, _ . @ -; not starting with "." or "-")
_STUDENT_ID = re.compile(r"^[^\W][\w.@-]*$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
ALIASES = {
    "id": ("id", "usuario", "username", "user", "student", "estudiante"),
    "first_name": ("nombre", "first_name", "first name", "name", "nombre completo", "full name"),
    "last_name": ("apellidos", "apellido", "last_name", "last name", "surname"),
    "email": ("email", "e-mail", "correo", "correo electrónico", "email address"),
    "lms_id": ("lms_id", "lms id", "id lms", "canvas_id", "moodle_id"),
}
REQUIRED = ("id", "first_name", "email")


class RosterError(ValueError):
    """A roster that cannot be taken; the message (Spanish) names the file and the lines."""


@dataclass(frozen=True)
class Entry:
    id: str
    first_name: str
    last_name: str
    email: str
    lms_id: str = ""


def _column_map(header: list[str], path: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = " ".join(raw.strip().lower().split())
        for field, names in ALIASES.items():
            if name in names:
                if field in found:
                    raise RosterError(f"{path}, línea 1: dos columnas dicen lo mismo ({field}): «{raw.strip()}»")
                found[field] = index
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        expected = "; ".join(f"{f}: {' / '.join(ALIASES[f][:3])}" for f in missing)
        raise RosterError(
            f"{path}, línea 1: faltan columnas en la cabecera ({expected}); cabecera leída: {', '.join(header)}"
        )
    return found


def _split_name(full: str) -> tuple[str, str]:
    if "," in full:
        last, first = (part.strip() for part in full.split(",", 1))
        return first, last
    first, _, last = full.partition(" ")
    return first.strip(), last.strip()


def read_roster(path: Path) -> list[Entry]:
    """The roster at ``path``, validated; :class:`RosterError` (Spanish, file and line) otherwise.
    Accepts UTF-8 with or without BOM (a spreadsheet's export) and ``,`` or ``;`` separators."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"{path}: no existe el fichero de la lista de clase") from None
    except UnicodeDecodeError as err:
        raise RosterError(f"{path}: no está en UTF-8 (byte {err.start}); guárdelo como «CSV UTF-8»") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RosterError(f"{path}, línea 1: el fichero está vacío; se esperaba una cabecera (id, nombre, email)")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    rows = list(csv.reader(lines, delimiter=delimiter))
    columns = _column_map(rows[0], path)
    entries: list[Entry] = []
    errors: list[str] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(field: str, row: list[str] = row) -> str:
            index = columns.get(field)
            return row[index].strip() if index is not None and index < len(row) else ""

        where = f"{path}, línea {number}"
        if len(row) > len(rows[0]):
            errors.append(f"{where}: {len(row)} campos y la cabecera tiene {len(rows[0])} (¿una coma sin comillas?)")
            continue
        student = unicodedata.normalize("NFC", cell("id"))
        first, last, email = cell("first_name"), cell("last_name"), cell("email")
        if "last_name" not in columns:
            first, last = _split_name(first)
        if not student:
            errors.append(f"{where}: falta el id del estudiante")
        elif not _STUDENT_ID.match(student):
            errors.append(f"{where}: id no válido «{student}» (letras, cifras, _ . @ -; sin espacios)")
        elif student in seen_ids:
            errors.append(f"{where}: el id «{student}» ya aparece en la línea {seen_ids[student]}")
        if not first:
            errors.append(f"{where}: falta el nombre")
        if not _EMAIL.match(email):
            errors.append(f"{where}: correo no válido «{email}»")
        elif email.lower() in seen_emails:
            errors.append(f"{where}: el correo «{email}» ya aparece en la línea {seen_emails[email.lower()]}")
        seen_ids.setdefault(student, number)
        seen_emails.setdefault(email.lower(), number)
        entries.append(Entry(student, first, last, email, cell("lms_id")))
    if errors:
        raise RosterError("\n".join(errors))
    if not entries:
        raise RosterError(f"{path}: la lista de clase no tiene ningún estudiante (solo la cabecera)")
    return entries


def store_roster(db_url: str, entries: list[Entry]) -> tuple[int, int]:
    """Write ``entries`` into nbgrader's students of the gradebook at ``db_url`` (created when
    missing, fields updated when present). Returns ``(added, updated)``."""
    added = updated = 0
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.filterwarnings("ignore", message=".*not in session.*")
        known = {s.id for s in gb.students}
        for entry in entries:
            gb.update_or_create_student(
                entry.id,
                first_name=entry.first_name,
                last_name=entry.last_name or None,
                email=entry.email,
                lms_user_id=entry.lms_id or None,
            )
            if entry.id in known:
                updated += 1
            else:
                added += 1
    return added, updated


def students_without_roster(db_url: str) -> list[str]:
    """Students in the gradebook with no name or e-mail (graded but not in any roster)."""
    with Gradebook(db_url) as gb:
        return sorted(s.id for s in gb.students if not s.email or not s.first_name)
