"""Hostile submissions graded in one parallel batch with well-behaved students.

For every case: grading completes, the student gets the score the rules say (0 for the
affected exercise, the rest graded; 0 with a reason when nothing can be graded), and the
well-behaved students get exactly the scores they get when graded alone. The gradebook passes
its integrity check afterwards."""
from __future__ import annotations

import shutil

import nbformat
import pytest

from course_utils.tools.grading.autograde import check_gradebook, grade_submissions, read_status
from course_utils.tools.grading.limits import GradingLimits
from fixture_course import ASSIGNMENT, CORRECT, build_course, submit

LIMITS = GradingLimits(cell_timeout=10, notebook_timeout=120, memory_mb=3072)
EJ2 = {"ej2_solucion": CORRECT["ej2_solucion"]}
WRONG_EJ1 = "def doble(x):\n    return x"
# Forks until the process limit stops it (at most 300 children, each gone after 5 s).
FORK_BOMB = ("import os, time\nfor _ in range(300):\n    try:\n        if os.fork() == 0:\n"
             "            time.sleep(5)\n            os._exit(0)\n    except OSError:\n        break\n")
# Each kernel runs in the bwrap sandbox (tests/grading/test_sandbox.py checks what it sees); these cases
# try to get out of it. A daemon that would outlive grading, links made at run time (never copied back).
RAW_SOCKET = "import _socket\ns = _socket.socket()\ns.settimeout(3)\ns.connect(('93.184.216.34', 80))\n"
CTYPES_CONNECT = ("import ctypes, socket, struct\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                  "fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)\n"
                  "addr = struct.pack('=H', socket.AF_INET) + struct.pack('!H', 80) + socket.inet_aton('93.184.216.34') + bytes(8)\n"
                  "if libc.connect(fd, addr, len(addr)) != 0:\n"
                  "    raise OSError(ctypes.get_errno(), 'Network is unreachable (connect con ctypes)')\n")
DAEMON = ("import os, subprocess, sys\nif os.fork() == 0:\n    os.setsid()\n"
          "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # demonio-de-la-entrega'])\n"
          "    os._exit(0)\nos.wait()\n")
LINKS_AT_RUN_TIME = ("import os\nos.symlink({SOLUTION!r}, 'robado.ipynb')\nos.symlink('/', 'raiz')\n"
                     "os.makedirs('carpeta')\nos.symlink('/no/existe', 'carpeta/roto')\nos.symlink('carpeta', 'enlace')\n"
                     "os.remove('tarea.ipynb')\nos.symlink({SOLUTION!r}, 'tarea.ipynb')\n")


def _move_test_before_solution(nb):
    cells = nb.cells
    i = next(k for k, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "ej1_pruebas")
    cells.insert(i - 1, cells.pop(i))


def _delete_cell(grade_id):
    def edit(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return edit


def _edit_cell(grade_id, source=None, new_id=None):
    def edit(nb):
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade_id") == grade_id:
                if source is not None:
                    cell.source = source
                if new_id is not None:
                    meta["grade_id"] = new_id
    return edit


# student → (how the submission is written, expected score out of 3, words expected in the reason)
CASES = {
    "ana_correcta": (dict(answers=CORRECT), 3, ""),
    "beto_parcial": (dict(answers={"ej1_solucion": CORRECT["ej1_solucion"]}), 1, ""),
    "celia_en_blanco": (dict(answers={}), 0, ""),
    "bucle_infinito": (dict(answers={"ej1_solucion": "while True:\n    pass", **EJ2}), 2, "tiempo"),
    "imprime_100_mb": (dict(answers={"ej1_solucion": "import sys\nsys.stdout.write('x' * (100 * 1024 * 1024))\n" + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
    "bucle_que_imprime": (dict(answers={"ej1_solucion": "while True:\n    print('x' * 1000)", **EJ2}), 2, ""),
    "sys_exit": (dict(answers={"ej1_solucion": "import sys\nsys.exit(1)\n" + CORRECT["ej1_solucion"], **EJ2}), 2, ""),
    "os_exit": (dict(answers={"ej1_solucion": "import os\nos._exit(1)", **EJ2}), 2, "kernel"),
    "kernel_matado": (dict(answers={"ej1_solucion": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", **EJ2}), 2, "kernel"),
    "bomba_de_memoria": (dict(answers={"ej1_solucion": "x = bytearray(8 * 1024 ** 3)\n" + CORRECT["ej1_solucion"], **EJ2}), 2, "memoria"),
    "prueba_visible_editada": (dict(answers={"ej1_solucion": WRONG_EJ1, **EJ2}, edit=_edit_cell("ej1_pruebas", source="pass")), 2, ""),
    "celdas_reordenadas": (dict(answers=CORRECT, edit=_move_test_before_solution), 2, ""),
    "prueba_borrada": (dict(answers={"ej1_solucion": CORRECT["ej1_solucion"], "ej2_solucion": "def suma(xs):\n    return 0"},
                            edit=_delete_cell("ej2_pruebas")), 1, "restaur"),
    "id_de_prueba_cambiado": (dict(answers={"ej1_solucion": CORRECT["ej1_solucion"], "ej2_solucion": "def suma(xs):\n    return 0"},
                                   edit=_edit_cell("ej2_pruebas", source="pass", new_id="ej2_trampa")), 0, "metadatos"),
    "redefine_check_close": (dict(answers={"ej1_solucion": WRONG_EJ1 + "\ncheck_close = lambda *a, **k: None", **EJ2}), 2, ""),
    "parchea_el_modulo": (dict(answers={"ej1_solucion": "import course_utils.checks as c\nc.check_close = lambda *a, **k: None\n" + WRONG_EJ1, **EJ2}), 2, ""),
    "traga_los_errores": (dict(answers={"ej1_solucion": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n" + WRONG_EJ1, **EJ2}), 2, ""),
    "silencia_tracebacks": (dict(answers={"ej1_solucion": "get_ipython().showtraceback = lambda *a, **k: None\n" + WRONG_EJ1, **EJ2}), 2, ""),
    "abre_un_socket": (dict(answers={"ej1_solucion": "import socket\nsocket.create_connection(('example.org', 80), timeout=3)\n" + CORRECT["ej1_solucion"], **EJ2}), 2, "red"),
    # the sandbox shows no gradebook: nothing is found, nothing written
    "escribe_en_el_gradebook": (dict(answers={"ej1_solucion": "import glob\nfor p in glob.glob('../../../*.db'):\n    open(p, 'w').write('basura')\n" + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
    "json_invalido": (dict(raw="{esto no es un notebook"), 0, "JSON"),
    "bomba_de_procesos_acotada": (dict(answers={"ej1_solucion": FORK_BOMB + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
    "lee_la_solucion": (dict(answers={"ej1_solucion": "print(open({SOLUTION!r}).read()[:40])\n" + CORRECT["ej1_solucion"], **EJ2}), 2, ""),
    "enlace_a_la_solucion": (dict(answers={"ej1_solucion": "print(open('robado.ipynb').read()[:40])\n" + CORRECT["ej1_solucion"], **EJ2}), 2, ""),
    "nombre_equivocado": (dict(answers=CORRECT, filename="Tarea (1).ipynb"), 0, "falta el notebook"),
    "socket_crudo": (dict(answers={"ej1_solucion": RAW_SOCKET + CORRECT["ej1_solucion"], **EJ2}), 2, "red"),
    "connect_con_ctypes": (dict(answers={"ej1_solucion": CTYPES_CONNECT + CORRECT["ej1_solucion"], **EJ2}), 2, "red"),
    "demonio_setsid": (dict(answers={"ej1_solucion": DAEMON + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
    "enlaces_en_ejecucion": (dict(answers={"ej1_solucion": LINKS_AT_RUN_TIME + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
}
WELL_BEHAVED = ("ana_correcta", "beto_parcial", "celia_en_blanco")
# The rest of a class of 50+ in the same batch (nbgrader skips its many-students test).
CLASSMATES = {f"clase_{i:02d}": (CORRECT, {"ej1_solucion": CORRECT["ej1_solucion"]}, {})[i % 3] for i in range(32)}
CLASSMATE_SCORES = {s: (3.0, 1.0, 0.0)[i % 3] for i, s in enumerate(CLASSMATES)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = build_course(tmp_path_factory.mktemp("clase"))
    solution = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for student, (how, _, _) in CASES.items():
        if "answers" in how:
            how = dict(how, answers={k: v.replace("{SOLUTION!r}", repr(str(solution))) for k, v in how["answers"].items()})
        submit(root, student, **how)
    (root / "submitted" / "enlace_a_la_solucion" / ASSIGNMENT / "robado.ipynb").symlink_to(solution)
    for student, answers in CLASSMATES.items():
        submit(root, student, answers)
    (root / "submitted" / "ana_correcta" / ASSIGNMENT / "notas.txt").write_text("fichero extra", encoding="utf-8")
    results = {r.student: r for r in grade_submissions(root, ASSIGNMENT, jobs=2, limits=LIMITS, show_progress=False)}

    alone_root = build_course(tmp_path_factory.mktemp("solos"))
    for student in WELL_BEHAVED:
        shutil.copytree(root / "submitted" / student, alone_root / "submitted" / student)
    alone = {r.student: r for r in grade_submissions(alone_root, ASSIGNMENT, jobs=1, limits=LIMITS, show_progress=False)}
    return root, results, alone


def test_every_case_is_graded_by_the_rules(graded):
    _, results, _ = graded
    cases = CASES
    wrong = {s: (results[s].score, expected, results[s].reason) for s, (_, expected, _) in cases.items()
             if results[s].score != expected}
    print(f"casos probados: {len(cases)} · calificados según las reglas: {len(cases) - len(wrong)}")
    assert not wrong


def test_student_code_cannot_read_the_solutions(graded):
    _, results, _ = graded
    assert results["lee_la_solucion"].score == 2.0


@pytest.mark.parametrize("student", [s for s, (_, _, words) in CASES.items() if words])
def test_the_teacher_reads_why(graded, student):
    root, results, _ = graded
    words = CASES[student][2]
    assert words.lower() in results[student].reason.lower()
    assert read_status(root, ASSIGNMENT)[student]["reason"] == results[student].reason


def test_well_behaved_students_are_unaffected(graded):
    _, results, alone = graded
    assert len(results) >= 50
    assert {s: results[s].score for s in WELL_BEHAVED} == {s: alone[s].score for s in WELL_BEHAVED}
    assert {s: results[s].score for s in CLASSMATES} == CLASSMATE_SCORES
    assert all(results[s].reason == "" for s in (*WELL_BEHAVED, *CLASSMATES))
    print(f"estudiantes no afectados: {len(WELL_BEHAVED) + len(CLASSMATES)} de "
          f"{len(WELL_BEHAVED) + len(CLASSMATES)} (en un lote de {len(results)})")


def test_feedback_for_each_student(graded):
    from course_utils.tools.release import nbgrader_command, run_nbgrader

    root, _, _ = graded
    run_nbgrader(nbgrader_command("generate_feedback", ASSIGNMENT, "--force", "--student=ana_correcta", root=root,
                                  extra=[f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}"]), cwd=root)
    html = (root / "feedback" / "ana_correcta" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert "3" in html and "ej1_pruebas" in html
    assert "Nota de la corrección automática" not in html, "no note when nothing went wrong"


@pytest.mark.parametrize("student", ["os_exit", "bucle_infinito", "abre_un_socket"])
def test_feedback_tells_the_student_why(graded, student):
    """Marks lost for reasons other than failed tests are explained in the feedback HTML too."""
    import html as html_lib

    from course_utils.tools.release import nbgrader_command, run_nbgrader

    root, results, _ = graded
    run_nbgrader(nbgrader_command("generate_feedback", ASSIGNMENT, "--force", f"--student={student}", root=root,
                                  extra=[f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}"]), cwd=root)
    page = (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert "Nota de la corrección automática" in page
    assert results[student].reason.split(";")[0] in html_lib.unescape(page)


def test_gradebook_is_sound_and_complete(graded):
    root, results, _ = graded
    assert check_gradebook(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT) == []
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        stored = {s.student.id: s.score for s in gb.find_assignment(ASSIGNMENT).submissions}
    assert stored == {s: r.score for s, r in results.items()}


def test_autograded_notebooks_show_the_guard_and_no_hidden_state(graded):
    root, _, _ = graded
    nb = nbformat.read(root / "autograded" / "ana_correcta" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("import course_utils.tools.grading.guard")


def test_reports_for_the_lms_and_the_teacher(graded):
    import pandas as pd

    from course_utils.tools.grading.reports import write_reports

    root, results, _ = graded
    paths = write_reports(root, ASSIGNMENT, f"sqlite:///{root / 'gradebook.db'}")
    table = pd.read_csv(paths["csv"])
    assert dict(zip(table["student"], table["score"])) == {s: r.score for s, r in results.items()}
    summary = paths["summary"].read_text(encoding="utf-8")
    assert "os_exit" in summary and "kernel" in summary and "ej1_pruebas" in summary
    assert paths["histogram"].stat().st_size > 1000 and paths["exercises"].stat().st_size > 1000
