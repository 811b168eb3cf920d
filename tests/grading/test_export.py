"""The roster enters the gradebook, and the Moodle and Canvas exports read as those LMSs import
them: each file is parsed here the way the LMS documents it (Moodle's grade/import/csv
load_data.php: a header, one identity column mapped to email / idnumber / username, numeric
grades with '' or '-' for none, feedback columns; Canvas's gradebook import: Student, ID, SIS
User ID, SIS Login ID, Section first, 'Name (id)' assignment columns, a 'Points Possible' row,
read-only columns), and the values are checked against the gradebook."""

from __future__ import annotations

import csv
import datetime
import io
import re
import subprocess
import sys
import warnings

import pytest
from nbgrader.api import Gradebook

from course_utils.tools.environment import patched_environ, tool_environment
from course_utils.tools.grading.export import CANVAS_IDENTITY, LATE, MISSING, REVIEW, export_command
from course_utils.tools.grading.roster import RosterError, read_roster, store_roster

DUE = datetime.datetime(2026, 3, 1, 12, 0)
# chapter → {cell: points}
CHAPTERS = {"01_operaciones_fusion": {"ej1": 2.0, "ej2": 3.0}, "02_estrategias_fusion": {"ej1": 4.0}}
ROSTER = (
    "\ufeffid;Nombre;Apellidos;Correo;lms_id\n"  # a spreadsheet's export: BOM and ';'
    "ana;Ana;García López;ana@uni.es;101\n"
    "bruno;Bruno;Pérez;bruno@uni.es;\n"
    'carla;Carla;"Ruiz, de la Fuente";carla@uni.es;103\n'
    "david;David;Sanz;david@uni.es;104\n"
)


@pytest.fixture
def gradebook(tmp_path):
    """A class gradebook as a term leaves it: ana full marks on time, bruno late in chapter 01,
    carla held for review in chapter 02, david nothing submitted for chapter 02."""
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    roster = tmp_path / "lista.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    with warnings.catch_warnings(), patched_environ(PATH=tool_environment()["PATH"]):
        warnings.filterwarnings("ignore", message=".*not in session.*")
        store_roster(url, read_roster(roster))
        with Gradebook(url) as gb:
            for n, (chapter, cells) in enumerate(CHAPTERS.items()):
                gb.add_assignment(chapter, duedate=DUE + datetime.timedelta(days=7 * n))
                gb.add_notebook(chapter, chapter)
                for cell, pts in cells.items():
                    gb.add_grade_cell(cell, chapter, chapter, max_score=pts, cell_type="code")
                    gb.add_solution_cell(cell + "_sol", chapter, chapter)
            plan = {  # (student, chapter): (hours after the due date, fraction of each cell, held)
                ("ana", "01_operaciones_fusion"): (-5, 1.0, False),
                ("ana", "02_estrategias_fusion"): (-5, 1.0, False),
                ("bruno", "01_operaciones_fusion"): (26.5, 0.5, False),
                ("bruno", "02_estrategias_fusion"): (-1, 0.25, False),
                ("carla", "01_operaciones_fusion"): (-2, 1.0, False),
                ("carla", "02_estrategias_fusion"): (-2, 1.0, True),
                ("david", "01_operaciones_fusion"): (-3, 0.0, False),
            }
            for (student, chapter), (hours, fraction, held) in plan.items():
                due = gb.find_assignment(chapter).duedate
                sub = gb.add_submission(chapter, student, timestamp=due + datetime.timedelta(hours=hours))
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        grade.auto_score, grade.needs_manual_grade = fraction * grade.max_score, False
                        if held:  # what course grade autograde stores for a flagged submission
                            grade.manual_score, grade.needs_manual_grade = 0.0, True
            gb.db.commit()
    return tmp_path, url


def _export(lms: str, root, url, *extra: str):
    to = root / f"{lms}.csv"
    proc = subprocess.run(
        export_command(lms, root, url, to, list(extra)), cwd=root, env=tool_environment(), capture_output=True
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    raw = to.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "UTF-8 without BOM"
    return raw.decode("utf-8")


def moodle_import(text: str, map_from: str, map_to: str, items: dict[str, str], feedback: dict[str, str]):
    """Moodle's grade/import/csv logic (load_data.php): every data row must identify an existing
    user through the mapped column; a mapped grade column must be numeric or '' / '-'."""
    users = {"useremail": "email", "useridnumber": "idnumber", "username": "username"}
    assert map_to in users
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    assert map_from in header, f"no {map_from!r} column to identify users"
    assert len(set(header)) == len(header), "duplicate header: Moodle's mapping would collide"
    who = header.index(map_from)
    grades, notes = {}, {}
    for row in rows[1:]:
        if len(row) <= 1:
            continue
        assert len(row) == len(header)
        user = row[who].strip()
        assert user, "a row with a blank identifier: Moodle aborts (usermappingerrorusernotfound)"
        for column, item in items.items():
            value = row[header.index(column)].strip()
            if value in ("", "-"):
                grades[user, item] = None
                continue
            assert re.fullmatch(r"-?\d+(\.\d+)?", value), f"badgrade: {value!r}"
            grades[user, item] = float(value)
        for column, item in feedback.items():
            notes[user, item] = row[header.index(column)].strip()
    return grades, notes


def canvas_import(text: str):
    """Canvas's gradebook import: the identity columns first, a 'Points Possible' row, numeric
    scores in assignment columns; read-only columns are skipped. Returns ({assignment: points
    possible}, {(sis user id, assignment): score}, {sis user id: row})."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert header[:5] == CANVAS_IDENTITY, header[:5]
    assert rows[1][0].strip() == "Points Possible"
    readonly = {i for i, v in enumerate(rows[1]) if v == "(read only)"}
    assignments = [i for i in range(5, len(header)) if i not in readonly and header[i] != "Notes"]
    possible = {header[i]: float(rows[1][i]) for i in assignments}
    scores, by_user = {}, {}
    for row in rows[2:]:
        assert len(row) == len(header)
        assert row[1] or row[2] or row[3], "Canvas cannot match a row with no ID, SIS User ID or SIS Login ID"
        by_user[row[2]] = dict(zip(header, row))
        for i in assignments:
            assert re.fullmatch(r"\d+(\.\d+)?", row[i]), f"not a score: {row[i]!r}"
            scores[row[2], header[i]] = float(row[i])
    return possible, scores, by_user


def test_roster_enters_the_gradebook(gradebook):
    _, url = gradebook
    with Gradebook(url) as gb:
        carla = gb.find_student("carla")
        assert (carla.first_name, carla.last_name, carla.email, carla.lms_user_id) == (
            "Carla",
            "Ruiz, de la Fuente",
            "carla@uni.es",
            "103",
        )
        assert gb.find_student("bruno").lms_user_id is None


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "id,nombre,email\nana,Ana,ana@uni.es\nana,Ana B,anab@uni.es\n",
            r"lista\.csv, línea 3: el id «ana» ya aparece en la línea 2",
        ),
        ("id,nombre,email\nana,Ana,ana-at-uni.es\n", r"lista\.csv, línea 2: correo no válido «ana-at-uni\.es»"),
        ("id,nombre,email\nana maría,Ana,ana@uni.es\n", r"lista\.csv, línea 2: id no válido «ana maría»"),
        ("id,nombre\nana,Ana\n", r"lista\.csv, línea 1: faltan columnas en la cabecera \(email"),
        ("id,nombre,email\nana,Ana,ana@uni.es,extra\n", r"lista\.csv, línea 2: 4 campos y la cabecera tiene 3"),
        ("id,nombre,email\n", r"lista\.csv: la lista de clase no tiene ningún estudiante"),
    ],
)
def test_a_bad_roster_names_file_and_line_and_writes_nothing(tmp_path, text, expected):
    path = tmp_path / "lista.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=expected):
        read_roster(path)


def test_full_name_in_one_column_is_split(tmp_path):
    path = tmp_path / "lista.csv"
    path.write_text('usuario,nombre completo,email\nana,"García, Ana",a@u.es\nbea,Bea Sanz Ruiz,b@u.es\n')
    entries = {e.id: (e.first_name, e.last_name) for e in read_roster(path)}
    assert entries == {"ana": ("Ana", "García"), "bea": ("Bea", "Sanz Ruiz")}


def test_course_grade_roster_refuses_with_spanish_file_and_line(tmp_path):
    bad = tmp_path / "clase.csv"
    bad.write_text("id,nombre,email\nana,Ana,ana@uni.es\n,Sin Id,x@uni.es\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "course_utils.tools.cli", "grade", "roster", str(bad), "--course-root", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert f"{bad}, línea 3: falta el id del estudiante" in proc.stderr
    assert not (tmp_path / "gradebook.db").exists(), "a refused roster writes nothing"


def test_moodle_export_imports_by_email_and_by_idnumber(gradebook):
    root, url = gradebook
    text = _export("moodle", root, url)
    items = {c: c for c in CHAPTERS}
    feedback = {f"{c} (comentario)": c for c in CHAPTERS}
    grades, notes = moodle_import(text, "Email address", "useremail", {**items, "Total": "total"}, feedback)
    assert grades["ana@uni.es", "01_operaciones_fusion"] == 5.0
    assert grades["ana@uni.es", "total"] == 9.0
    assert grades["bruno@uni.es", "01_operaciones_fusion"] == 2.5
    assert grades["bruno@uni.es", "02_estrategias_fusion"] == 1.0
    assert grades["carla@uni.es", "02_estrategias_fusion"] == 0.0, "held points count 0 until released"
    assert grades["david@uni.es", "02_estrategias_fusion"] == 0.0
    assert notes["bruno@uni.es", "01_operaciones_fusion"] == f"{LATE} (1 d 2 h 30 min)"
    assert notes["carla@uni.es", "02_estrategias_fusion"] == f"{REVIEW} (4 puntos retenidos)"
    assert notes["david@uni.es", "02_estrategias_fusion"] == MISSING
    assert notes["ana@uni.es", "01_operaciones_fusion"] == ""
    by_idnumber, _ = moodle_import(text, "ID number", "useridnumber", items, {})
    assert by_idnumber["101", "01_operaciones_fusion"] == 5.0
    assert by_idnumber["bruno", "01_operaciones_fusion"] == 2.5, "no LMS id: the course id is the idnumber"
    with Gradebook(url) as gb:  # the same numbers as nbgrader's own totals
        for student in ("ana", "bruno", "carla"):
            for chapter in CHAPTERS:
                email = gb.find_student(student).email
                assert grades[email, chapter] == pytest.approx(gb.find_submission(chapter, student).score)


def test_canvas_export_has_the_required_columns_and_points_possible(gradebook):
    root, url = gradebook
    text = _export(
        "canvas",
        root,
        url,
        "--CanvasExportPlugin.section=Grupo A",
        "--CanvasExportPlugin.canvas_ids={'01_operaciones_fusion': '5501'}",
    )
    possible, scores, users = canvas_import(text)
    assert possible == {"01_operaciones_fusion (5501)": 5.0, "02_estrategias_fusion": 4.0}
    assert scores["ana", "01_operaciones_fusion (5501)"] == 5.0
    assert scores["bruno", "01_operaciones_fusion (5501)"] == 2.5
    assert scores["carla", "02_estrategias_fusion"] == 0.0
    assert users["carla"]["Student"] == "Ruiz, de la Fuente, Carla"
    assert users["ana"]["ID"] == "101" and users["bruno"]["ID"] == ""
    assert users["ana"]["SIS Login ID"] == "ana@uni.es" and users["ana"]["Section"] == "Grupo A"
    assert users["ana"]["Final Points"] == "9"
    assert LATE in users["bruno"]["Notes"] and "01_operaciones_fusion" in users["bruno"]["Notes"]
    assert REVIEW in users["carla"]["Notes"] and MISSING in users["david"]["Notes"]
    assert users["ana"]["Notes"] == ""


def test_course_grade_export_cli_writes_the_file(gradebook):
    root, url = gradebook
    (root / "nbgrader_config.py").write_text("")
    out = root / "para_moodle.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "course_utils.tools.cli",
            "grade",
            "export",
            "--lms",
            "moodle",
            "--to",
            str(out),
            "--course-root",
            str(root),
            "--db",
            url,
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("Username,ID number,First name")
