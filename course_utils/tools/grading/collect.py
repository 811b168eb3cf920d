"""Bring students' submissions into nbgrader's ``submitted/<student>/<assignment>/`` layout
from a folder tree ``<student>/<file>.ipynb`` (or ``<student>/<assignment>/…``), reporting
what was taken and what was left out and why — every message in Spanish, naming the student
and the file. For an LMS zip, use nbgrader's own ``zip_collect`` (see the README for the
file-name pattern of a Moodle export).

What collect decides, and the grading then trusts:

- **The submission time.** A ``timestamp.txt`` handed in by the student is dropped; collect
  records the time itself — the notebook's modification time in the source tree (as the LMS
  export wrote it) or, with ``time_from="now"``, the moment of collection — writes nbgrader's ``timestamp.txt`` from it and keeps it in the collect record
  (``grading/<assignment>/collected.csv``), which autograde uses (late penalties work). A
  submission put in ``submitted/`` by nbgrader's own exchange (``nbgrader collect``) keeps the
  exchange's ``timestamp.txt``. A modification time in the future, or older than
  ``max_age_days`` (a zip the student made, unpacked with its dates: 2000-01-01), is not taken:
  collect records its own clock and says so in a note (status, summary and feedback).
- **Names the student chose** (folders, files, links' targets) enter every message quoted
  (:func:`.status.quoted`): one line, between «», so they cannot add lines to a report.
- **Who the students are.** A student folder that is a symbolic link is refused (it would grade
  another student's work as a phantom student); a folder name is normalised to Unicode NFC and
  kept (``josé`` is a valid id); two folders that normalise to the same id are both refused.
- **What is taken.** Regular files only (links, FIFOs… are reported and left out), each at most
  ``max_file_mb`` (by its apparent size: a sparse file is never copied out to its full size),
  at most ``max_total_mb`` per student.
- **Which notebook is the assignment's.** When the assignment has one notebook and the student
  handed in exactly one other ``.ipynb`` (``tarea (1).ipynb``, ``Copia de tarea.ipynb``), it is
  taken as the assignment's with a note the student sees (status and feedback); with several
  and none of the right name, the submission is refused with a message the student sees.
"""

from __future__ import annotations

import csv
import os
import re
import stat
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .status import quoted
from .workspace import copy_regular_file, remove_tree

# Letters (any script), digits, _ . @ - ; starting with a letter, digit or _ (never "." or "..").
_STUDENT_ID = re.compile(r"^[^\W][\w.@-]*$")
MANIFEST = "collected.csv"
MANIFEST_FIELDS = ["student", "status", "submitted_at", "note"]
COLLECTED, REFUSED = "recogida", "rechazada"
TIMESTAMP = "timestamp.txt"
_SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", "__MACOSX"}


@dataclass(frozen=True)
class CollectLimits:
    """What one student may hand in (MiB)."""

    max_file_mb: float = 20
    max_total_mb: float = 100
    # the oldest a notebook's date may be and still be its submission time (days before the
    # collection: longer than a term, much shorter than a date the student made up)
    max_age_days: float = 180


@dataclass
class Collected:
    taken: list[tuple[str, Path]]
    skipped: list[tuple[Path, str]]  # folders not collected, refused submissions: why (Spanish)
    notes: list[tuple[Path, str]] = field(default_factory=list)  # files left out, renames, normalised names


def manifest_path(course_root: Path, assignment: str) -> Path:
    return Path(course_root) / "grading" / assignment / MANIFEST


def read_manifest(course_root: Path, assignment: str) -> dict[str, dict]:
    """What collect recorded for ``assignment``, by student (empty when it never ran)."""
    path = manifest_path(course_root, assignment)
    if not path.is_file() or path.is_symlink():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def _write_manifest(course_root: Path, assignment: str, rows: dict[str, dict]) -> None:
    path = manifest_path(course_root, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = {**read_manifest(course_root, assignment), **rows}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS)
        writer.writeheader()
        for student in sorted(merged):
            writer.writerow({k: merged[student].get(k, "") for k in MANIFEST_FIELDS})


def nbgrader_timestamp(seconds: float) -> str:
    """``seconds`` since the epoch as nbgrader writes a ``timestamp.txt`` (UTC)."""
    return f"{datetime.fromtimestamp(seconds, timezone.utc):%Y-%m-%d %H:%M:%S.%f} UTC"


def _assignment_notebooks(course_root: Path, assignment: str) -> list[str]:
    folder = Path(course_root) / "solutions" / assignment
    found = sorted(p.name for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    return found or [f"{assignment}.ipynb"]


def _walk(folder: Path, rel: Path, found: list[tuple[Path, os.stat_result]], odd: list[tuple[Path, str]]) -> None:
    """Regular files under ``folder`` (never following a link); anything else goes to ``odd``."""
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            path = rel / entry.name
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                odd.append((path, "es un enlace simbólico"))
            elif stat.S_ISDIR(info.st_mode):
                if entry.name not in _SKIPPED_DIRS:
                    _walk(folder / entry.name, path, found, odd)
            elif stat.S_ISREG(info.st_mode):
                found.append((path, info))
            else:
                odd.append((path, "no es un fichero normal"))


def _mib(size: float) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def collect_tree(
    source: Path,
    course_root: Path,
    assignment: str,
    limits: CollectLimits | None = None,
    time_from: str = "mtime",
) -> Collected:
    """Copy each ``source/<student>/`` folder's files into ``submitted/<student>/<assignment>/``,
    write its ``timestamp.txt`` and the collect record; see the module's docstring."""
    if time_from not in ("mtime", "now"):
        raise ValueError(f"time_from must be 'mtime' or 'now', not {time_from!r}")
    source, course_root = Path(source), Path(course_root)
    limits = limits or CollectLimits()
    if not source.is_dir():
        raise SystemExit(f"No existe la carpeta de entregas {source}")
    expected = _assignment_notebooks(course_root, assignment)
    now = time.time()
    taken: list[tuple[str, Path]] = []
    skipped: list[tuple[Path, str]] = []
    notes: list[tuple[Path, str]] = []
    records: dict[str, dict] = {}

    candidates: dict[str, list[Path]] = {}
    for folder in sorted(source.iterdir()):
        if folder.is_symlink():
            skipped.append(
                (
                    folder,
                    f"la carpeta {quoted(folder.name)} es un enlace simbólico (a {quoted(os.readlink(folder))}): no se recoge "
                    "(una carpeta por estudiante, sin enlaces)",
                )
            )
            continue
        if folder.name.startswith(".") or folder.name in _SKIPPED_DIRS:
            skipped.append((folder, f"{quoted(folder.name)} es un fichero o carpeta oculta: no se recoge"))
            continue
        if not folder.is_dir():
            skipped.append(
                (
                    folder,
                    f"{quoted(folder.name)} no es una carpeta de estudiante (se esperaba <estudiante>/{expected[0]}): "
                    "no se recoge",
                )
            )
            continue
        student = unicodedata.normalize("NFC", folder.name)
        if not _STUDENT_ID.match(student):
            skipped.append(
                (
                    folder,
                    f"el nombre de la carpeta {quoted(folder.name)} no es un identificador válido (letras, números, "
                    "_ . @ -, sin espacios): no se recoge",
                )
            )
            continue
        candidates.setdefault(student, []).append(folder)

    for student, folders in sorted(candidates.items()):
        if len(folders) > 1:
            names = ", ".join(quoted(f.name) for f in folders)
            for folder in folders:
                skipped.append(
                    (
                        folder,
                        f"las carpetas {names} dan el mismo identificador {quoted(student)} al normalizarlas (NFC): no se "
                        "recoge ninguna; deje solo una",
                    )
                )
            continue
        folder = folders[0]
        if folder.name != student:
            notes.append((folder, f"{student}: el nombre de la carpeta se normalizó a NFC ({quoted(student)})"))
        dest = course_root / "submitted" / student / assignment
        refusal, note, files = _select(folder, student, assignment, expected, limits, notes)
        remove_tree(dest)  # collect decides what this student's submission is now
        if refusal:
            skipped.append((folder, f"{student}: {refusal}"))
            records[student] = {"student": student, "status": REFUSED, "submitted_at": "", "note": refusal}
            continue
        dest.mkdir(parents=True)
        for src, rel in files:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            copy_regular_file(src, dest / rel)
        notebook_times = [src.lstat().st_mtime for src, rel in files if str(rel) in expected]
        seconds, untrusted = _submission_seconds(notebook_times if time_from == "mtime" else [], now, limits)
        if untrusted:
            notes.append((folder, f"{student}: {untrusted}"))
            note = "; ".join(filter(None, [note, untrusted]))
        submitted_at = nbgrader_timestamp(seconds)
        (dest / TIMESTAMP).write_text(submitted_at, encoding="utf-8")
        records[student] = {"student": student, "status": COLLECTED, "submitted_at": submitted_at, "note": note}
        taken.append((student, dest))
    _write_manifest(course_root, assignment, records)
    return Collected(taken, skipped, notes)


def _submission_seconds(notebook_times: list[float], now: float, limits: CollectLimits) -> tuple[float, str]:
    """``(submission time, note)``: the newest of the notebooks' dates in the export, or —
    when there is none (``time_from="now"``) or it cannot be the submission time (in the
    future, or older than ``limits.max_age_days``: a date the student's own zip carried) —
    collect's clock, with a note saying why (Spanish, '' when the date was taken)."""
    if not notebook_times:
        return now, ""
    seconds = max(notebook_times)
    if seconds > now + 60:
        why = "es posterior a la recogida"
    elif seconds < now - limits.max_age_days * 86400:
        why = f"es anterior en más de {limits.max_age_days:g} días a la recogida"
    else:
        return min(seconds, now), ""
    when = f"{datetime.fromtimestamp(seconds, timezone.utc):%Y-%m-%d %H:%M} UTC"
    return now, (
        f"la fecha del notebook en la entrega ({when}) {why}: no puede ser la hora de entrega; "
        f"se registra la hora de la recogida ({datetime.fromtimestamp(now, timezone.utc):%Y-%m-%d %H:%M} UTC)"
    )


def _select(
    folder: Path,
    student: str,
    assignment: str,
    expected: list[str],
    limits: CollectLimits,
    notes: list[tuple[Path, str]],
) -> tuple[str, str, list[tuple[Path, Path]]]:
    """``(refusal, note for the student, [(source file, name in the submission)])`` of one
    student's folder; the files left out are told in ``notes``."""
    inner = folder / assignment
    if inner.is_symlink():
        return f"{quoted(folder.name + '/' + assignment)} es un enlace simbólico: no se recoge", "", []
    if not inner.is_dir():
        inner = folder
    found: list[tuple[Path, os.stat_result]] = []
    odd: list[tuple[Path, str]] = []
    _walk(inner, Path(), found, odd)
    for rel, why in odd:
        notes.append((inner / rel, f"{student}: {quoted(str(rel))} {why}: no se recoge"))
    left_out: list[str] = []
    files: list[tuple[Path, Path]] = []
    total = 0.0
    for rel, info in found:
        if rel == Path(TIMESTAMP):
            notes.append(
                (
                    inner / rel,
                    f"{student}: se descarta el {quoted(TIMESTAMP)} entregado: la hora de entrega la registra la recogida",
                )
            )
            continue
        if info.st_size > limits.max_file_mb * 1024 * 1024:
            why = f"{quoted(str(rel))} ocupa {_mib(info.st_size)} MiB, más que el límite de {limits.max_file_mb:g} MiB por fichero"
        elif total + info.st_size > limits.max_total_mb * 1024 * 1024:
            why = f"{quoted(str(rel))} supera el límite de {limits.max_total_mb:g} MiB por entrega"
        else:
            total += info.st_size
            files.append((inner / rel, rel))
            continue
        notes.append((inner / rel, f"{student}: {why}: no se recoge"))
        left_out.append(why)
    notebooks = [rel for _, rel in files if rel.suffix == ".ipynb"]
    missing = [name for name in expected if Path(name) not in notebooks]
    if not missing:
        return "", "", files
    too_big = "; ".join(w for w in left_out if ".ipynb" in w)
    if not notebooks:
        why = (
            f"no contiene ningún notebook (.ipynb) que recoger ({too_big})"
            if too_big
            else "no contiene ningún notebook (.ipynb)"
        )
        return f"{why}; se esperaba {quoted(expected[0])}", "", []
    if len(expected) == 1 and len(notebooks) == 1:
        handed = notebooks[0]
        files = [(src, Path(expected[0]) if rel == handed else rel) for src, rel in files]
        note = f"se entregó {quoted(str(handed))} en lugar de {quoted(expected[0])}; se calificó como {quoted(expected[0])}"
        notes.append((inner / handed, f"{student}: {note}"))
        return "", note, files
    if len(expected) == 1:
        names = ", ".join(quoted(str(rel)) for rel in notebooks)
        return (
            f"entregó varios notebooks ({names}) y ninguno se llama {quoted(expected[0])}: no se sabe cuál calificar; "
            f"entregue solo {quoted(expected[0])}",
            "",
            [],
        )
    note = "faltan " + ", ".join(quoted(name) for name in missing) + " (nombre de fichero distinto): se califican con 0"
    notes.append((inner, f"{student}: {note}"))
    return "", note, files
