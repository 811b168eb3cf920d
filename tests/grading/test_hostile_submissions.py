"""Hostile submissions graded in one parallel batch with well-behaved students.

For every case: grading completes and the student gets the fair score (0 for the affected
exercise, the rest graded; 0 with a reason when nothing can be graded) or, for code that
reaches into the grading machinery, is marked for manual review (``review``, shown in
status.csv, summary.md and the feedback); no other case is marked. The well-behaved students
get exactly the scores they get when graded alone; the gradebook passes its integrity check;
no feedback page quotes a hidden test."""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from course_utils.tools.grading.autograde import check_gradebook, grade_submissions, read_status
from course_utils.tools.grading.limits import GradingLimits
from fixture_course import ASSIGNMENT, CORRECT, build_course, submit

LIMITS = GradingLimits(cell_timeout=10, notebook_timeout=120, memory_mb=3072)
EJ2 = {"ej2_solucion": CORRECT["ej2_solucion"]}
WRONG_EJ1 = "def doble(x):\n    return x"
# Forks 300 children (each gone after 5 s), then shows what limits it: it prints the RLIMIT_NPROC
# it runs under and what a fork does once its own soft limit is 0 (EAGAIN for an unprivileged
# process; a kernel left as root, which RLIMIT_NPROC does not bind, forks anyway). The test reads
# that line from the autograded notebook. The bomb stays well under the limit: RLIMIT_NPROC counts
# every process of the sandbox's user, so exhausting it would also stop the classmates' kernels.
FORK_BOMB = (
    "import errno, os, resource, time\nlimite, tope = resource.getrlimit(resource.RLIMIT_NPROC)\n"
    "hijos = 0\nfor _ in range(300):\n    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
    "    if pid == 0:\n        time.sleep(5)\n        os._exit(0)\n    hijos += 1\n"
    "resource.setrlimit(resource.RLIMIT_NPROC, (0, tope))\ntry:\n    pid = os.fork()\n"
    "    if pid == 0:\n        os._exit(0)\n    parada = 'ninguna'\nexcept OSError as e:\n"
    "    parada = errno.errorcode.get(e.errno, str(e.errno))\n"
    "resource.setrlimit(resource.RLIMIT_NPROC, (limite, tope))\n"
    "print(f'procesos: limite={limite} hijos={hijos} con_limite_0={parada}')\n"
)
# Each kernel runs in the bwrap sandbox (tests/grading/test_sandbox.py checks what it sees); these cases
# try to get out of it. A daemon that would outlive grading, links made at run time (never copied back).
RAW_SOCKET = "import _socket\ns = _socket.socket()\ns.settimeout(3)\ns.connect(('93.184.216.34', 80))\n"
CTYPES_CONNECT = (
    "import ctypes, socket, struct\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)\n"
    "addr = struct.pack('=H', socket.AF_INET) + struct.pack('!H', 80) + socket.inet_aton('93.184.216.34') + bytes(8)\n"
    "if libc.connect(fd, addr, len(addr)) != 0:\n"
    "    raise OSError(ctypes.get_errno(), 'Network is unreachable (connect con ctypes)')\n"
)
DAEMON = (
    "import os, subprocess, sys\nif os.fork() == 0:\n    os.setsid()\n"
    "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # demonio-de-la-entrega'])\n"
    "    os._exit(0)\nos.wait()\n"
)
LINKS_AT_RUN_TIME = (
    "import os\nos.symlink({SOLUTION!r}, 'robado.ipynb')\nos.symlink('/', 'raiz')\n"
    "os.makedirs('carpeta')\nos.symlink('/no/existe', 'carpeta/roto')\nos.symlink('carpeta', 'enlace')\n"
    "os.remove('tarea.ipynb')\nos.symlink({SOLUTION!r}, 'tarea.ipynb')\n"
)


# Tampering with the test machinery from a student cell (the guard undoes it; the scan and the
# guard's markers send the submission to manual review).
CODE_OBJECT = "from course_utils.checks import check_close\ncheck_close.__code__ = (lambda *a, **k: None).__code__\n"
LOOSE_TOLERANCE = "from course_utils.checks import check_close\ncheck_close.__defaults__ = ('x', 1e9, 1e9)\n"
RESTORE_REPLACED = "import course_utils.tools.grading.guard as g\ng.restore = lambda *a, **k: []\n"
EMPTIES_TESTS = (
    "get_ipython().input_transformers_cleanup.append(\n"
    "    lambda lines: [] if any('check_' in l for l in lines) else lines)\n"
)
ALLCLOSE = "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
ISCLOSE_INSIDE = "import numpy\nnumpy._core.numeric.isclose = lambda a, b, **k: numpy.ones(numpy.shape(a), bool)\n"
BUILTINS = "import builtins\nbuiltins.abs = lambda x: 0\n"
SYS_MODULES = (
    "import sys, types\nfake = types.ModuleType('course_utils.checks')\n"
    "fake.check_close = lambda *a, **k: None\nsys.modules['course_utils.checks'] = fake\n"
)
# looks for any SQLite file up the tree and plants a trigger that gives full marks
SQL_TRIGGER = (
    "import os, glob, sqlite3\nd = os.getcwd()\nfor _ in range(6):\n"
    "    for p in glob.glob(os.path.join(d, '*.db')) + glob.glob(os.path.join(d, '*', '*.db')):\n"
    "        try:\n            con = sqlite3.connect(p)\n"
    "            con.execute('CREATE TRIGGER forja AFTER UPDATE ON grade BEGIN '\n"
    "                        'UPDATE grade SET auto_score = max_score WHERE id = NEW.id; END')\n"
    "            con.commit()\n        except Exception:\n            pass\n    d = os.path.dirname(d)\n"
)
GC_REFERRERS = (
    "import gc\nfrom course_utils.checks import check_close\nfor d in gc.get_referrers(check_close):\n"
    "    if isinstance(d, dict):\n        for k, v in list(d.items()):\n"
    "            if v is check_close:\n                d[k] = lambda *a, **kw: None\n"
)
INSPECT_SOURCE = "import inspect\nimport course_utils.checks as c\n_ = inspect.getsource(c.check_close)\n"
FRAME_GLOBALS = "import sys\nsys._getframe(0).f_globals['check_close'] = lambda *a, **k: None\n"
EXEC_HIDDEN = "exec('import numpy as np; np.allclose = lambda *a, **k: True')\n"
EVENTS = (
    "def _quita_errores(result):\n    result.error_in_exec = None\n"
    "get_ipython().events.register('post_run_cell', _quita_errores)\n"
)
CLASS_TRACEBACK = "type(get_ipython()).showtraceback = lambda *a, **k: None\n"
SETTRACE = "import sys\nsys.settrace(lambda *a: None)\n"
DISPLAY_PUB = "get_ipython().display_pub = None\n"
FAKE_MARKER = (
    "from IPython.display import publish_display_data\n"
    "publish_display_data({'application/vnd.course-grading-guard+json': {'nonce': '', 'altered': []}})\n"
)
SUBMITTED_AT = "2026-11-20 10:00:00.000000 UTC"
FORGED_TIMESTAMP = (
    "import glob\nfor p in ['timestamp.txt', *glob.glob('../**/timestamp.txt', recursive=True)]:\n"
    "    try:\n        open(p, 'w').write('2000-01-01 00:00:00.000000 UTC')\n"
    "    except OSError:\n        pass\n"
)
# Honest code the grading must not punish nor flag.
WARNS = (
    "import warnings\ndef doble(x):\n    warnings.warn('doble: se convierte a float', UserWarning)\n    return 2 * x"
)
STDERR = "import sys\ndef doble(x):\n    print('calculando el doble de', x, file=sys.stderr)\n    return 2 * x"


def _forged_guard_cell(nb):
    """A first cell carrying the guard's id (nbgrader used to skip the real guard then)."""
    forged = nbformat.v4.new_code_cell("pass")
    forged["id"] = "course-grading-guard"
    nb.cells.insert(0, forged)


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
    "imprime_100_mb": (
        dict(
            answers={
                "ej1_solucion": "import sys\nsys.stdout.write('x' * (100 * 1024 * 1024))\n" + CORRECT["ej1_solucion"],
                **EJ2,
            }
        ),
        3,
        "",
    ),
    "bucle_que_imprime": (dict(answers={"ej1_solucion": "while True:\n    print('x' * 1000)", **EJ2}), 2, ""),
    "sys_exit": (dict(answers={"ej1_solucion": "import sys\nsys.exit(1)\n" + CORRECT["ej1_solucion"], **EJ2}), 2, ""),
    "os_exit": (dict(answers={"ej1_solucion": "import os\nos._exit(1)", **EJ2}), 2, "kernel"),
    "kernel_matado": (
        dict(answers={"ej1_solucion": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", **EJ2}),
        2,
        "kernel",
    ),
    "bomba_de_memoria": (
        dict(answers={"ej1_solucion": "x = bytearray(8 * 1024 ** 3)\n" + CORRECT["ej1_solucion"], **EJ2}),
        2,
        "memoria",
    ),
    "prueba_visible_editada": (
        dict(answers={"ej1_solucion": WRONG_EJ1, **EJ2}, edit=_edit_cell("ej1_pruebas", source="pass")),
        2,
        "",
    ),
    "celdas_reordenadas": (dict(answers=CORRECT, edit=_move_test_before_solution), 2, ""),
    "prueba_borrada": (
        dict(
            answers={"ej1_solucion": CORRECT["ej1_solucion"], "ej2_solucion": "def suma(xs):\n    return 0"},
            edit=_delete_cell("ej2_pruebas"),
        ),
        1,
        "restaur",
    ),
    "id_de_prueba_cambiado": (
        dict(
            answers={"ej1_solucion": CORRECT["ej1_solucion"], "ej2_solucion": "def suma(xs):\n    return 0"},
            edit=_edit_cell("ej2_pruebas", source="pass", new_id="ej2_trampa"),
        ),
        0,
        "metadatos",
    ),
    "redefine_check_close": (
        dict(answers={"ej1_solucion": WRONG_EJ1 + "\ncheck_close = lambda *a, **k: None", **EJ2}),
        2,
        "",
    ),
    "parchea_el_modulo": (
        dict(
            answers={
                "ej1_solucion": "import course_utils.checks as c\nc.check_close = lambda *a, **k: None\n" + WRONG_EJ1,
                **EJ2,
            }
        ),
        2,
        "",
    ),
    "traga_los_errores": (
        dict(
            answers={
                "ej1_solucion": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n" + WRONG_EJ1,
                **EJ2,
            }
        ),
        2,
        "",
    ),
    "silencia_tracebacks": (
        dict(answers={"ej1_solucion": "get_ipython().showtraceback = lambda *a, **k: None\n" + WRONG_EJ1, **EJ2}),
        2,
        "",
    ),
    "abre_un_socket": (
        dict(
            answers={
                "ej1_solucion": "import socket\nsocket.create_connection(('example.org', 80), timeout=3)\n"
                + CORRECT["ej1_solucion"],
                **EJ2,
            }
        ),
        2,
        "red",
    ),
    # the sandbox shows no gradebook: nothing is found, nothing written
    "escribe_en_el_gradebook": (
        dict(
            answers={
                "ej1_solucion": "import glob\nfor p in glob.glob('../../../*.db'):\n    open(p, 'w').write('basura')\n"
                + CORRECT["ej1_solucion"],
                **EJ2,
            }
        ),
        3,
        "",
    ),
    "json_invalido": (dict(raw="{esto no es un notebook"), 0, "JSON"),
    "bomba_de_procesos_acotada": (dict(answers={"ej1_solucion": FORK_BOMB + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
    "lee_la_solucion": (
        dict(answers={"ej1_solucion": "print(open({SOLUTION!r}).read()[:40])\n" + CORRECT["ej1_solucion"], **EJ2}),
        2,
        "",
    ),
    "enlace_a_la_solucion": (
        dict(answers={"ej1_solucion": "print(open('robado.ipynb').read()[:40])\n" + CORRECT["ej1_solucion"], **EJ2}),
        2,
        "",
    ),
    "nombre_equivocado": (dict(answers=CORRECT, filename="Tarea (1).ipynb"), 0, "falta el notebook"),
    "red_silenciada": (
        dict(
            answers={
                "ej1_solucion": "import socket\ntry:\n    socket.create_connection(('example.org', 80), timeout=3)\nexcept OSError:\n    pass\n"
                + CORRECT["ej1_solucion"],
                **EJ2,
            }
        ),
        3,
        "red",
    ),
    "socket_crudo": (dict(answers={"ej1_solucion": RAW_SOCKET + CORRECT["ej1_solucion"], **EJ2}), 2, "red"),
    "connect_con_ctypes": (dict(answers={"ej1_solucion": CTYPES_CONNECT + CORRECT["ej1_solucion"], **EJ2}), 2, "red"),
    "demonio_setsid": (dict(answers={"ej1_solucion": DAEMON + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
    "enlaces_en_ejecucion": (dict(answers={"ej1_solucion": LINKS_AT_RUN_TIME + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
    "cambia_el_codigo_de_check_close": (dict(answers={"ej1_solucion": CODE_OBJECT + WRONG_EJ1, **EJ2}), 2, ""),
    "afloja_la_tolerancia": (dict(answers={"ej1_solucion": LOOSE_TOLERANCE + WRONG_EJ1, **EJ2}), 2, ""),
    "sustituye_restore": (dict(answers={"ej1_solucion": RESTORE_REPLACED + WRONG_EJ1, **EJ2}), 2, ""),
    "celda_con_el_id_del_guardian": (dict(answers={"ej1_solucion": WRONG_EJ1, **EJ2}, edit=_forged_guard_cell), 2, ""),
    "vacia_las_pruebas": (dict(answers={"ej1_solucion": EMPTIES_TESTS + WRONG_EJ1, **EJ2}), 2, ""),
    "allclose_siempre_cierto": (dict(answers={"ej1_solucion": ALLCLOSE + WRONG_EJ1, **EJ2}), 2, ""),
    "isclose_interno": (dict(answers={"ej1_solucion": ISCLOSE_INSIDE + WRONG_EJ1, **EJ2}), 2, ""),
    "parchea_builtins": (dict(answers={"ej1_solucion": BUILTINS + WRONG_EJ1, **EJ2}), 2, ""),
    "sys_modules_falso": (dict(answers={"ej1_solucion": SYS_MODULES + WRONG_EJ1, **EJ2}), 2, ""),
    "trigger_sql": (dict(answers={"ej1_solucion": SQL_TRIGGER + WRONG_EJ1, **EJ2}), 2, ""),
    "gc_referrers": (dict(answers={"ej1_solucion": GC_REFERRERS + WRONG_EJ1, **EJ2}), 2, ""),
    "inspect_getsource": (dict(answers={"ej1_solucion": INSPECT_SOURCE + WRONG_EJ1, **EJ2}), 2, ""),
    "globals_del_marco": (dict(answers={"ej1_solucion": FRAME_GLOBALS + WRONG_EJ1, **EJ2}), 2, ""),
    "exec_oculto": (dict(answers={"ej1_solucion": EXEC_HIDDEN + WRONG_EJ1, **EJ2}), 2, ""),
    "gancho_de_eventos": (dict(answers={"ej1_solucion": EVENTS + WRONG_EJ1, **EJ2}), 2, ""),
    "showtraceback_de_la_clase": (dict(answers={"ej1_solucion": CLASS_TRACEBACK + WRONG_EJ1, **EJ2}), 2, ""),
    "settrace": (dict(answers={"ej1_solucion": SETTRACE + WRONG_EJ1, **EJ2}), 2, ""),
    "sin_display_pub": (dict(answers={"ej1_solucion": DISPLAY_PUB + WRONG_EJ1, **EJ2}), 2, ""),
    "marca_falsa": (dict(answers={"ej1_solucion": FAKE_MARKER + WRONG_EJ1, **EJ2}), 2, ""),
    # rewrites the submission time it was given (a late submission made to look early)
    "reescribe_su_fecha": (dict(answers={"ej1_solucion": FORGED_TIMESTAMP + CORRECT["ej1_solucion"], **EJ2}), 3, ""),
    "correcta_con_userwarning": (dict(answers={"ej1_solucion": WARNS, **EJ2}), 3, ""),
    "correcta_que_escribe_en_stderr": (dict(answers={"ej1_solucion": STDERR, **EJ2}), 3, ""),
}
# Cases that must be marked for manual review (code that reaches into the grading machinery);
# every other case must not be.
REVIEW = {
    "redefine_check_close",
    "parchea_el_modulo",
    "traga_los_errores",
    "silencia_tracebacks",
    "bomba_de_procesos_acotada",
    "socket_crudo",
    "connect_con_ctypes",
    "demonio_setsid",
    "cambia_el_codigo_de_check_close",
    "afloja_la_tolerancia",
    "sustituye_restore",
    "celda_con_el_id_del_guardian",
    "vacia_las_pruebas",
    "allclose_siempre_cierto",
    "isclose_interno",
    "parchea_builtins",
    "sys_modules_falso",
    "trigger_sql",
    "gc_referrers",
    "inspect_getsource",
    "globals_del_marco",
    "exec_oculto",
    "gancho_de_eventos",
    "showtraceback_de_la_clase",
    "settrace",
    "sin_display_pub",
    "marca_falsa",
}
HONEST = ("correcta_con_userwarning", "correcta_que_escribe_en_stderr")
WELL_BEHAVED = ("ana_correcta", "beto_parcial", "celia_en_blanco")
# The rest of a class of 50+ in the same batch (nbgrader skips its many-students test).
CLASSMATES = {f"clase_{i:02d}": (CORRECT, {"ej1_solucion": CORRECT["ej1_solucion"]}, {})[i % 3] for i in range(14)}
CLASSMATE_SCORES = {s: (3.0, 1.0, 0.0)[i % 3] for i, s in enumerate(CLASSMATES)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = build_course(tmp_path_factory.mktemp("clase"))
    solution = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for student, (how, _, _) in CASES.items():
        if "answers" in how:
            how = dict(
                how, answers={k: v.replace("{SOLUTION!r}", repr(str(solution))) for k, v in how["answers"].items()}
            )
        submit(root, student, **how)
    (root / "submitted" / "enlace_a_la_solucion" / ASSIGNMENT / "robado.ipynb").symlink_to(solution)
    for student, answers in CLASSMATES.items():
        submit(root, student, answers)
    (root / "submitted" / "ana_correcta" / ASSIGNMENT / "notas.txt").write_text("fichero extra", encoding="utf-8")
    (root / "submitted" / "reescribe_su_fecha" / ASSIGNMENT / "timestamp.txt").write_text(
        SUBMITTED_AT, encoding="utf-8"
    )
    results = {r.student: r for r in grade_submissions(root, ASSIGNMENT, jobs=2, limits=LIMITS, show_progress=False)}

    alone_root = build_course(tmp_path_factory.mktemp("solos"))
    for student in WELL_BEHAVED:
        shutil.copytree(root / "submitted" / student, alone_root / "submitted" / student)
    alone = {
        r.student: r for r in grade_submissions(alone_root, ASSIGNMENT, jobs=1, limits=LIMITS, show_progress=False)
    }
    return root, results, alone


@pytest.fixture(scope="module")
def feedback(graded):
    """Every student's feedback page, as ``course grade feedback`` writes them (student → HTML)."""
    from course_utils.tools.grading.feedback import generate_feedback

    root, results, _ = graded
    withheld = generate_feedback(root, ASSIGNMENT, f"sqlite:///{root / 'gradebook.db'}")
    pages = {p.parts[-3]: p.read_text(encoding="utf-8") for p in (root / "feedback").glob(f"*/{ASSIGNMENT}/*.html")}
    return withheld, pages


def test_every_case_is_graded_by_the_rules(graded):
    root, results, alone = graded
    hostile = [s for s in CASES if s not in WELL_BEHAVED]
    fair_or_flagged = [s for s in hostile if results[s].score == CASES[s][1] or (s in REVIEW and results[s].review)]
    others = (*WELL_BEHAVED, *CLASSMATES)
    unaffected = all(
        results[s].score == (alone[s].score if s in alone else CLASSMATE_SCORES[s])
        and not results[s].reason
        and not results[s].review
        for s in others
    )
    intact = check_gradebook(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT) == []
    print(
        f"casos hostiles probados: {len(hostile)} · con la nota justa o para revisión: {len(fair_or_flagged)} · "
        f"sin afectar a los demás: {len(hostile) if unaffected else 0} · con el gradebook íntegro: "
        f"{len(hostile) if intact else 0}"
    )
    assert len(hostile) >= 40
    wrong = {
        s: (results[s].score, CASES[s][1], results[s].reason, results[s].review)
        for s in hostile
        if s not in fair_or_flagged
    }
    assert not wrong
    assert unaffected and intact


def test_review_exactly_where_the_machinery_was_touched(graded):
    _, results, _ = graded
    flagged = {s for s, r in results.items() if r.review}
    assert flagged - REVIEW == set(), "honest or merely broken code marked for review"
    assert REVIEW - flagged == set(), "tampering not marked for review"


@pytest.mark.parametrize("student", HONEST)
def test_honest_output_on_stderr_keeps_full_marks(graded, student):
    _, results, _ = graded
    assert (results[student].score, results[student].review) == (3.0, "")


def test_review_reaches_status_summary_and_feedback(graded, feedback):
    import html as html_lib

    from course_utils.tools.grading.reports import write_reports

    root, results, _ = graded
    status = read_status(root, ASSIGNMENT)
    summary = write_reports(root, ASSIGNMENT, f"sqlite:///{root / 'gradebook.db'}")["summary"].read_text(
        encoding="utf-8"
    )
    to_review = summary.split("## Entregas para revisar a mano")[1]
    _, pages = feedback
    for student in sorted(REVIEW):
        print(
            f"  {student}: {results[student].score:g}/3 (justa {CASES[student][1]}) · {results[student].review[:110]}"
        )
        assert status[student]["review"] == results[student].review
        assert f"**{student}**" in to_review
        if student in pages:  # a notebook nbgrader could not grade has no feedback page
            assert "Pendiente de revisión manual" in html_lib.unescape(pages[student]), student
    assert len(REVIEW & set(pages)) >= len(REVIEW) - 2


def test_no_feedback_page_quotes_a_hidden_test(graded, feedback):
    from course_utils.tools.grading.feedback import hidden_test_lines, leaks

    root, results, _ = graded
    withheld, pages = feedback
    needles = hidden_test_lines(root, ASSIGNMENT)
    assert len(needles) == 2 and withheld == {}
    graded_students = {s for s in results if (root / "autograded" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()}
    assert graded_students <= set(pages) and len(pages) >= 50
    assert {s: leaks(page, needles) for s, page in pages.items() if leaks(page, needles)} == {}
    print(f"páginas de realimentación revisadas: {len(pages)} · con alguna línea de prueba oculta: 0")


def test_the_fork_bomb_runs_under_the_process_limit(graded):
    """Inside the sandbox the bomb sees the grader's RLIMIT_NPROC, and the limit binds it (with
    its soft limit at 0 a fork fails with EAGAIN): a missing limit, or a kernel running as root
    (which RLIMIT_NPROC does not bind), fails here. Its 300 children did not stop its grading."""
    root, results, _ = graded
    notebook = root / "autograded" / "bomba_de_procesos_acotada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    cells = [
        c
        for c in nbformat.read(notebook, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "ej1_solucion"
    ]
    printed = "".join(o.get("text", "") for c in cells for o in c.get("outputs", []))
    seen = re.search(r"procesos: limite=(-?\d+) hijos=(\d+) con_limite_0=(\w+)", printed)
    assert seen, f"the bomb printed no report: {printed!r}"
    limit, children, fork_at_zero = int(seen[1]), int(seen[2]), seen[3]
    assert limit == LIMITS.max_processes, (
        f"RLIMIT_NPROC in the sandbox is {limit}, not the grader's {LIMITS.max_processes}"
    )
    assert fork_at_zero == "EAGAIN", f"a fork over the limit gave {fork_at_zero}: the limit does not bind the kernel"
    assert children == 300 and results["bomba_de_procesos_acotada"].score == 3.0


def test_a_submission_cannot_rewrite_its_own_time(graded):
    """The gradebook keeps the time the submission arrived with, and so does the timestamp.txt
    copied back beside the graded notebook, whatever the kernel wrote."""
    from nbgrader.api import Gradebook

    root, results, _ = graded
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        recorded = gb.find_submission(ASSIGNMENT, "reescribe_su_fecha").timestamp
    assert recorded is not None and recorded.strftime("%Y-%m-%d %H:%M") == "2026-11-20 10:00"
    copied = root / "autograded" / "reescribe_su_fecha" / ASSIGNMENT / "timestamp.txt"
    assert copied.read_text(encoding="utf-8") == SUBMITTED_AT
    assert results["reescribe_su_fecha"].score == 3.0 and not results["reescribe_su_fecha"].review


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
    print(
        f"estudiantes no afectados: {len(WELL_BEHAVED) + len(CLASSMATES)} de "
        f"{len(WELL_BEHAVED) + len(CLASSMATES)} (en un lote de {len(results)})"
    )


def test_feedback_for_each_student(feedback):
    _, pages = feedback
    html = pages["ana_correcta"]
    assert "3" in html and "ej1_pruebas" in html
    assert "Nota de la corrección automática" not in html, "no note when nothing went wrong"


@pytest.mark.parametrize("student", ["os_exit", "bucle_infinito", "abre_un_socket", "bomba_de_memoria"])
def test_feedback_tells_the_student_why(graded, feedback, student):
    """Marks lost for reasons other than failed tests are explained in the feedback HTML too."""
    import html as html_lib

    _, results, _ = graded
    page = feedback[1][student]
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
