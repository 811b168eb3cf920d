"""The hostile class: attacks on the grading, handed in as students hand them in (an LMS folder
taken by ``course grade collect``) and graded as root in one sandboxed batch, ``--jobs 2``,
beside honest classmates; the verdicts come from the trusted evaluator.

Every case declares what must happen (:class:`hostile_cases.Case`): the **fair score** — what
the notebook's real work deserves; for a forgery of the verdict or of the evaluator's channel,
what the notebook's own functions earn (points held for review count as given: a flag is not
enough) —, whether it is marked for manual review, the words of the teacher's reason and any
further condition (nothing leaked, a limit that binds, a record kept). The honest classmates
get exactly the scores they get when graded alone, the gradebook passes its integrity check and
no feedback page quotes a hidden test.

The attacks listed in issue 25 ("What was found") are here with ``origin="issue 25"``; the rest
are the red team's own. A case the defences do not yet meet is marked
``xfail(strict=True, reason=…)`` (:data:`KNOWN_FAILURES`): the suite stays green while the
failure is recorded, and fixing the defence makes the xfail fail until it is removed."""

from __future__ import annotations

import dataclasses
import html as html_lib
import os
import re
import shutil
from datetime import datetime, timedelta, timezone

import nbformat
import pytest

from course_utils.tools.grading.autograde import check_gradebook, grade_submissions, read_status
from course_utils.tools.grading.collect import collect_tree
from course_utils.tools.grading.limits import GradingLimits
from fixture_course import ASSIGNMENT, CORRECT, build_course, release_notebook
from hostile_cases import (
    ALWAYS_EQUAL_INT,
    ALWAYS_EQUAL_TENSOR,
    DEEP_ANSWER,
    EJ1_OK,
    EJ2,
    EMPTIES_TESTS,
    ENDLESS,
    EXHAUSTS_PROCESSES,
    FAKE_KERNEL_SIDE,
    FAKE_VERDICT,
    FILLS_DISK,
    HANGS,
    HIDDEN_INPUT,
    HUGE_ANSWER,
    HUNTS_HIDDEN_TESTS,
    INJECTED_ID,
    IPC_LINKS,
    JSON_REDIRECT,
    KILLS_IN_EVALUATION,
    LAUNCHER,
    MEMORISED,
    MIME_ANSWER,
    OWN_GRADED_CELL,
    OWN_WORK_CELL,
    OWN_WORK_DIRECT,
    OWN_WORK_DODGES,
    OWN_WORK_HONEST,
    OWN_WORK_MODULE_CELL,
    OWN_WORK_MODULE_DODGES,
    RAISES_INTERRUPT,
    RCE_FILE,
    RESTORE_REPLACED,
    SCRIPT_MARK,
    SCRIPT_MARKDOWN,
    SCRIPT_OUTPUT,
    SESSION_FORGERY,
    SPREAD_MEMORY,
    SPY,
    SPY_EJ2,
    STARTUP_THEN_EXIT,
    SUBMITTED_AT,
    TENSOR_NUMPY_ONES,
    TORCH_REBOUND,
    WRONG_EJ1,
    Case,
    _copy_of_test_at_the_end,
    _extra_cell,
    _foreign_kernelspec,
    _inflated_points,
    _same_cell_ids,
    build_inbox,
    nfd,
)

# the grading's limits for this batch (disk: 512 MiB for the working folder, home and /tmp together).
# 20 s a cell: only the two endless loops use it all, and a case that observes another limit (the
# memory of several processes, ~8 s of its own clock) must never be decided by this one on a loaded
# machine (CI, and here under load 10: at 10 s memoria_repartida's cell timed out instead)
LIMITS = GradingLimits(cell_timeout=20, notebook_timeout=120, memory_mb=3072, disk_mb=512)
# Starts 300 children (each waits on a pipe the kernel closes once it has counted them), then shows
# what limits it: it prints the RLIMIT_NPROC it runs under and what a fork does once its own soft
# limit is 0 (EAGAIN for an unprivileged process; a kernel left as root, which RLIMIT_NPROC does not
# bind, forks anyway). The test reads that line from the autograded notebook. This bomb stays under
# the limit to observe it; agota_los_procesos exhausts it (each student has a uid of its own: the
# classmates must not notice). Children are spawned, not forked: forking a kernel that holds PyTorch
# copies its page tables (~7 ms a child, seconds under CI's load), and the cell limit would
# then decide the case instead of the process limit it is about.
FORK_BOMB = (
    "import errno, os, resource\nlimite, tope = resource.getrlimit(resource.RLIMIT_NPROC)\n"
    "lectura, escritura = os.pipe()\nespera = [(os.POSIX_SPAWN_DUP2, lectura, 0), (os.POSIX_SPAWN_CLOSE, escritura)]\n"
    "hijos = []\nfor _ in range(300):\n    try:\n"
    "        hijos.append(os.posix_spawn('/bin/cat', ['cat'], {}, file_actions=espera))\n"
    "    except OSError:\n        break\n"
    "resource.setrlimit(resource.RLIMIT_NPROC, (0, tope))\ntry:\n    pid = os.fork()\n"
    "    if pid == 0:\n        os._exit(0)\n    os.waitpid(pid, 0)\n    parada = 'ninguna'\nexcept OSError as e:\n"
    "    parada = errno.errorcode.get(e.errno, str(e.errno))\n"
    "resource.setrlimit(resource.RLIMIT_NPROC, (limite, tope))\n"
    "os.close(escritura)\nos.close(lectura)\nfor pid in hijos:\n    os.waitpid(pid, 0)\n"
    "print(f'procesos: limite={limite} hijos={len(hijos)} con_limite_0={parada}')\n"
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


def _edits_markdown_at_the_end(text):
    def edit(nb):
        nb.cells.append(nbformat.v4.new_markdown_cell(text))

    return edit


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


# --- further conditions on a case's outcome (each returns '' when it holds) ------------------------------
def _printed(ctx, student, grade_id="ej1_solucion") -> str:
    path = ctx.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if not path.exists():
        return ""
    cells = nbformat.read(path, as_version=4).cells
    return "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
        for o in c.get("outputs", [])
    )


def _kept_submission_time(ctx, pages, student):
    from nbgrader.api import Gradebook

    with Gradebook(ctx.db_url) as gb:
        recorded = gb.find_submission(ASSIGNMENT, student).timestamp
    if recorded is None or recorded.strftime("%Y-%m-%d %H:%M") != SUBMITTED_AT.strftime("%Y-%m-%d %H:%M"):
        return f"the gradebook's submission time is {recorded}, not the {SUBMITTED_AT:%Y-%m-%d %H:%M} collect recorded"
    copied = ctx.root / "autograded" / student / ASSIGNMENT / "timestamp.txt"
    if not copied.read_text(encoding="utf-8").startswith(SUBMITTED_AT.strftime("%Y-%m-%d %H:%M")):
        return f"the copied timestamp.txt says {copied.read_text(encoding='utf-8')!r}"
    return ""


def _left_out(name):
    def check(ctx, pages, student):
        if (ctx.root / "submitted" / student / ASSIGNMENT / name).exists():
            return f"collect copied {name}"
        if not any(name in note and student in note for _, note in ctx.collected.notes):
            return f"collect did not say it left {name} out"
        return ""

    return check


def _limit_binds_processes(ctx, pages, student):
    seen = re.search(r"agotados: hijos=(\d+) parada=(\w+)", _printed(ctx, student))
    if not seen:
        return "the process bomb printed no report"
    children, stop = int(seen[1]), seen[2]
    if stop != "EAGAIN" or not LIMITS.max_processes - 64 <= children < LIMITS.max_processes:
        return f"{children} children, stopped by {stop}: not its own limit of {LIMITS.max_processes}"
    return ""


def _ipc_untouched(ctx, pages, student):
    if "JSON" in ctx.results[student].reason:
        return f"wrong reason: {ctx.results[student].reason}"
    if "enlaces en ipc: []" not in _printed(ctx, student):
        return f"links were made in the ipc folder: {_printed(ctx, student)!r}"
    return ""


def _no_hidden_call_in_feedback(ctx, pages, student):
    text = html_lib.unescape(pages.get(student, ""))
    shown = [call for call in (f"doble({HIDDEN_INPUT})", "suma([])") if call in text]
    return f"the feedback shows the evaluator's hidden calls {shown}" if shown else ""


def _no_forged_verdict_in_feedback(ctx, pages, student):
    # the student's own answer cell quotes the line in its source (shown as code): only an output counts
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", pages.get(student, "")))
    text = text.replace("print('Evaluador (pruebas ocultas): 1/1 puntos.')", "")
    if "Evaluador (pruebas ocultas): 1/1 puntos" in text:
        return "the feedback shows a verdict line the student printed (1/1) beside the evaluator's (0/1)"
    return ""


def _summary_names_only_the_flagged_about(classmate):
    """The teacher's summary names ``classmate`` only inside the «…» quote of the attacker's own
    id or file name, on the attacker's own line (read as the teacher reads it: Markdown escapes
    undone), its headings are not repeated and the attacker's reasons are one line each: the
    name a student chose may carry a classmate's id, but it cannot add a line, a heading or words
    outside its quote. (A faithful quote of that name contains the classmate's id: what must not
    happen is that it reads as the summary's own words about the classmate.)"""

    def check(ctx, pages, student):
        wrong = []
        for line in ctx.summary.splitlines():
            read = re.sub(r"\\(.)", r"\1", line)
            if classmate in read and (
                not line.startswith(f"- **{student}** (") or classmate in re.sub(r"«[^«»]*»", "«»", read)
            ):
                wrong.append(line)
        headings = [line for line in ctx.summary.splitlines() if line.startswith("#")]
        if len(headings) != len(set(headings)):
            wrong.append(f"repeated headings {headings}")
        r = ctx.results[student]
        if "\n" in r.reason + r.review:
            wrong.append(f"a reason of several lines: {r.reason + r.review!r}")
        return f"the teacher's summary accuses a classmate: {wrong}" if wrong else ""

    return check


_summary_names_only_the_flagged = _summary_names_only_the_flagged_about("clase_00")


def _no_code_ran_in_the_grader(ctx, pages, student):
    return f"the student's hidden block ran in the trusted process ({RCE_FILE})" if os.path.exists(RCE_FILE) else ""


def _max_score_kept(ctx, pages, student):
    r = ctx.results[student]
    return "" if r.max_score == 3 else f"max score {r.max_score:g} instead of 3"


def _found_nothing(ctx, pages, student):
    printed = _printed(ctx, student)
    if "con la prueba oculta o la solución: 0 " not in printed:
        return f"the kernel found hidden tests or solutions: {printed.strip()[-300:]!r}"
    return ""


def _memory_limit_binds(ctx, pages, student):
    """The student's processes never held more than its limit together: either they could not
    (the report printed says so) or the watch stopped them, and the teacher is told why."""
    stopped = re.search(
        r"ocuparon (\d+) MiB a la vez \((\d+) procesos; límite de (\d+) MiB", ctx.results[student].reason
    )
    if stopped:
        return "" if int(stopped[3]) == LIMITS.memory_mb and int(stopped[1]) > LIMITS.memory_mb else stopped[0]
    seen = re.search(r"memoria a la vez: (\d+) MiB en (\d+) procesos", _printed(ctx, student))
    if not seen:
        return (
            f"the memory test printed no report and no reason names the memory: {_printed(ctx, student)!r} "
            f"(reason: {ctx.results[student].reason!r})"
        )
    if int(seen[1]) > LIMITS.memory_mb:
        return f"the student's processes held {seen[1]} MiB at once, over its {LIMITS.memory_mb} MiB limit"
    return ""


def _submission_time_not_before_the_release(ctx, pages, student):
    from nbgrader.api import Gradebook

    with Gradebook(ctx.db_url) as gb:
        recorded = gb.find_submission(ASSIGNMENT, student).timestamp
    before = (SUBMITTED_AT - timedelta(days=30)).replace(tzinfo=None)  # the batch's assignment did not exist yet
    if recorded is not None and recorded.replace(tzinfo=None) < before and not ctx.results[student].review:
        return f"the gradebook's submission time is {recorded:%Y-%m-%d}, years before the assignment existed, unflagged"
    return ""


def _formgrader_page(ctx, student) -> str:
    """The HTML formgrader serves the teacher for this submission: its exporter built as the
    extension builds it when the teacher's Jupyter starts (``FormgradeExtension.initialize`` reads
    the course's ``nbgrader_config.py``, then ``HTMLExporter(config=…)``), its formgrade template."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension

    formgrader = FormgradeExtension()
    formgrader.initialize([], root=str(ctx.root))
    assert formgrader.config.HTMLExporter.template_name == "formgrade"
    config = formgrader.config
    resources = {
        "assignment_id": ASSIGNMENT,
        "notebook_id": ASSIGNMENT,
        "submission_id": "x",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": student,
        "last_name": "",
        "first_name": "",
        "notebook_path": "",
    }
    path = ctx.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return HTMLExporter(config=config).from_filename(str(path), resources=resources)[0]


def _scripts_in(page: str) -> list[tuple[str, str]]:
    """What a browser would run in ``page``: ``(where, code)`` for each ``<script>`` element's
    text, each event-handler attribute (``on…``) and each ``javascript:`` URL. (The student's
    source code, highlighted as text, is not code the page runs: it may quote the script.)"""
    from html.parser import HTMLParser

    found: list[tuple[str, str]] = []

    class Scripts(HTMLParser):
        inside = False

        def handle_starttag(self, tag, attrs):
            self.inside = tag == "script"
            for name, value in attrs:
                if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                    found.append((f"<{tag} {name}>", value or ""))

        def handle_endtag(self, tag):
            self.inside = False if tag == "script" else self.inside

        def handle_data(self, data):
            if self.inside:
                found.append(("<script>", data))

    Scripts().feed(page)
    return found


def _no_script_for_the_teacher(ctx, pages, student):
    ran = [where for where, code in _scripts_in(_formgrader_page(ctx, student)) if SCRIPT_MARK in code]
    return f"formgrader's page runs the student's script in the teacher's browser: {ran}" if ran else ""


# student → what is handed in and what must happen. Scores are out of 3 (doble 1, suma 2).
CASES: dict[str, Case] = {
    # -- well-behaved (the control group graded alone as well)
    "ana_correcta": Case("correct answers", 3, answers=CORRECT, extra_files={"notas.txt": "fichero extra"}),
    "beto_parcial": Case("ej1 only", 1, answers={"ej1_solucion": EJ1_OK}),
    "celia_en_blanco": Case("the blank release", 0, answers={}),
    # -- limits and crashes
    "bucle_infinito": Case(
        "endless loop at top level", 2, words="tiempo", answers={"ej1_solucion": "while True:\n    pass", **EJ2}
    ),
    "imprime_100_mb": Case(
        "prints 100 MB",
        3,
        answers={"ej1_solucion": "import sys\nsys.stdout.write('x' * (100 * 1024 * 1024))\n" + EJ1_OK, **EJ2},
    ),
    "bucle_que_imprime": Case(
        "endless printing loop", 2, answers={"ej1_solucion": "while True:\n    print('x' * 1000)", **EJ2}
    ),
    "sys_exit": Case("sys.exit in a cell", 2, answers={"ej1_solucion": "import sys\nsys.exit(1)\n" + EJ1_OK, **EJ2}),
    "os_exit": Case("os._exit in a cell", 2, words="kernel", answers={"ej1_solucion": "import os\nos._exit(1)", **EJ2}),
    "kernel_matado": Case(
        "SIGKILL to itself",
        2,
        words="kernel",
        answers={"ej1_solucion": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", **EJ2},
    ),
    "bomba_de_memoria": Case(
        "allocates 8 GiB",
        2,
        words="memoria",
        answers={"ej1_solucion": "x = bytearray(8 * 1024 ** 3)\n" + EJ1_OK, **EJ2},
    ),
    "bomba_de_procesos_acotada": Case(
        "300 processes, under the limit", 3, flag=True, answers={"ej1_solucion": FORK_BOMB + EJ1_OK, **EJ2}
    ),
    # -- the test cells themselves
    "prueba_visible_editada": Case(
        "visible test edited to pass",
        2,
        forgery=True,
        answers={"ej1_solucion": WRONG_EJ1, **EJ2},
        edit=_edit_cell("ej1_pruebas", source="pass"),
    ),
    "celdas_reordenadas": Case(
        "test cell moved above its solution", 3, answers=CORRECT, edit=_move_test_before_solution
    ),
    "prueba_borrada": Case(
        "test cell deleted",
        1,
        words="restaur",
        answers={"ej1_solucion": EJ1_OK, "ej2_solucion": "def suma(xs):\n    return 0"},
        edit=_delete_cell("ej2_pruebas"),
    ),
    "id_de_prueba_cambiado": Case(
        "test cell renamed (its grade_id)",
        0,
        words="metadatos",
        answers={"ej1_solucion": EJ1_OK, "ej2_solucion": "def suma(xs):\n    return 0"},
        edit=_edit_cell("ej2_pruebas", source="pass", new_id="ej2_trampa"),
    ),
    # -- in-kernel tampering with the test machinery (flagged, and the evaluator decides anyway)
    "redefine_check_close": Case(
        "rebinds check_close",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": WRONG_EJ1 + "\ncheck_close = lambda *a, **k: None", **EJ2},
    ),
    "parchea_el_modulo": Case(
        "patches course_utils.checks",
        2,
        flag=True,
        forgery=True,
        answers={
            "ej1_solucion": "import course_utils.checks as c\nc.check_close = lambda *a, **k: None\n" + WRONG_EJ1,
            **EJ2,
        },
    ),
    "traga_los_errores": Case(
        "set_custom_exc swallows errors",
        2,
        flag=True,
        forgery=True,
        answers={
            "ej1_solucion": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n" + WRONG_EJ1,
            **EJ2,
        },
    ),
    "silencia_tracebacks": Case(
        "showtraceback silenced",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": "get_ipython().showtraceback = lambda *a, **k: None\n" + WRONG_EJ1, **EJ2},
    ),
    "cambia_el_codigo_de_check_close": Case(
        "swaps check_close.__code__",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": CODE_OBJECT + WRONG_EJ1, **EJ2},
    ),
    "afloja_la_tolerancia": Case(
        "loosens check_close's defaults",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": LOOSE_TOLERANCE + WRONG_EJ1, **EJ2},
    ),
    "sustituye_restore": Case(
        "the guard's restore replaced",
        2,
        flag=True,
        forgery=True,
        origin="issue 25",
        answers={"ej1_solucion": RESTORE_REPLACED + WRONG_EJ1, **EJ2},
    ),
    "celda_con_el_id_del_guardian": Case(
        "a cell carrying the guard's id",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": WRONG_EJ1, **EJ2},
        edit=_forged_guard_cell,
    ),
    "vacia_las_pruebas": Case(
        "input transformer empties the test cells",
        2,
        flag=True,
        forgery=True,
        origin="issue 25",
        answers={"ej1_solucion": EMPTIES_TESTS + WRONG_EJ1, **EJ2},
    ),
    "allclose_siempre_cierto": Case(
        "np.allclose always True", 2, flag=True, forgery=True, answers={"ej1_solucion": ALLCLOSE + WRONG_EJ1, **EJ2}
    ),
    "isclose_interno": Case(
        "numpy's internal isclose patched",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": ISCLOSE_INSIDE + WRONG_EJ1, **EJ2},
    ),
    "parchea_builtins": Case(
        "builtins.abs patched", 2, flag=True, forgery=True, answers={"ej1_solucion": BUILTINS + WRONG_EJ1, **EJ2}
    ),
    "sys_modules_falso": Case(
        "a fake course_utils.checks in sys.modules",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": SYS_MODULES + WRONG_EJ1, **EJ2},
    ),
    "trigger_sql": Case(
        "plants a SQL trigger in any gradebook it finds",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": SQL_TRIGGER + WRONG_EJ1, **EJ2},
    ),
    "gc_referrers": Case(
        "rebinds check_close through gc",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": GC_REFERRERS + WRONG_EJ1, **EJ2},
    ),
    "inspect_getsource": Case(
        "reads the helpers' source", 2, flag=True, answers={"ej1_solucion": INSPECT_SOURCE + WRONG_EJ1, **EJ2}
    ),
    "globals_del_marco": Case(
        "writes the caller's globals",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": FRAME_GLOBALS + WRONG_EJ1, **EJ2},
    ),
    "exec_oculto": Case(
        "patch hidden in exec", 2, flag=True, forgery=True, answers={"ej1_solucion": EXEC_HIDDEN + WRONG_EJ1, **EJ2}
    ),
    "gancho_de_eventos": Case(
        "post_run_cell hook clears errors",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": EVENTS + WRONG_EJ1, **EJ2},
    ),
    "showtraceback_de_la_clase": Case(
        "showtraceback patched on the class",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": CLASS_TRACEBACK + WRONG_EJ1, **EJ2},
    ),
    "settrace": Case("sys.settrace", 2, flag=True, forgery=True, answers={"ej1_solucion": SETTRACE + WRONG_EJ1, **EJ2}),
    "sin_display_pub": Case(
        "display publisher removed",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": DISPLAY_PUB + WRONG_EJ1, **EJ2},
    ),
    "marca_falsa": Case(
        "a forged guard marker", 2, flag=True, forgery=True, answers={"ej1_solucion": FAKE_MARKER + WRONG_EJ1, **EJ2}
    ),
    # -- the sandbox
    "abre_un_socket": Case(
        "opens a socket",
        2,
        words="red",
        answers={
            "ej1_solucion": "import socket\nsocket.create_connection(('example.org', 80), timeout=3)\n" + EJ1_OK,
            **EJ2,
        },
    ),
    "red_silenciada": Case(
        "opens a socket, hides the error",
        3,
        words="red",
        answers={
            "ej1_solucion": "import socket\ntry:\n    socket.create_connection(('example.org', 80), timeout=3)\nexcept OSError:\n    pass\n"
            + EJ1_OK,
            **EJ2,
        },
    ),
    "socket_crudo": Case(
        "raw _socket", 2, flag=True, words="red", answers={"ej1_solucion": RAW_SOCKET + EJ1_OK, **EJ2}
    ),
    "connect_con_ctypes": Case(
        "connect() through ctypes", 2, flag=True, words="red", answers={"ej1_solucion": CTYPES_CONNECT + EJ1_OK, **EJ2}
    ),
    "demonio_setsid": Case("a setsid daemon", 3, flag=True, answers={"ej1_solucion": DAEMON + EJ1_OK, **EJ2}),
    "enlaces_en_ejecucion": Case(
        "links made at run time", 3, answers={"ej1_solucion": LINKS_AT_RUN_TIME + EJ1_OK, **EJ2}
    ),
    "escribe_en_el_gradebook": Case(
        "writes into any *.db it finds",
        3,
        answers={
            "ej1_solucion": "import glob\nfor p in glob.glob('../../../*.db'):\n    open(p, 'w').write('basura')\n"
            + EJ1_OK,
            **EJ2,
        },
    ),
    "lee_la_solucion": Case(
        "opens the solution notebook",
        2,
        answers={"ej1_solucion": "print(open({SOLUTION!r}).read()[:40])\n" + EJ1_OK, **EJ2},
    ),
    "enlace_a_la_solucion": Case(
        "hands in a link to the solution",
        2,
        extra_files={"robado.ipynb": "link:{SOLUTION}"},
        answers={"ej1_solucion": "print(open('robado.ipynb').read()[:40])\n" + EJ1_OK, **EJ2},
    ),
    "json_invalido": Case("not a notebook", 0, words="JSON", raw="{esto no es un notebook"),
    "reescribe_su_fecha": Case(
        "rewrites timestamp.txt from the kernel",
        3,
        check=_kept_submission_time,
        answers={"ej1_solucion": FORGED_TIMESTAMP + EJ1_OK, **EJ2},
    ),
    # -- honest code that must be neither punished nor flagged
    "correcta_con_userwarning": Case("correct, warns", 3, answers={"ej1_solucion": WARNS, **EJ2}),
    "correcta_que_escribe_en_stderr": Case("correct, writes to stderr", 3, answers={"ej1_solucion": STDERR, **EJ2}),
    # == issue 25, "What was found" =====================================================================
    "forja_session_send": Case(
        "blank notebook + kernel.session.send patched (errors dropped, error replies made ok)",
        0,
        flag=None,
        forgery=True,
        origin="issue 25",
        answers={"ej1_solucion": SESSION_FORGERY},
    ),
    "lanzador_entregado": Case(
        "unmodified blank release + a handed-in ipykernel_launcher.py (and sitecustomize.py) that forge the session",
        0,
        forgery=True,
        origin="issue 25",
        answers={},
        extra_files={"ipykernel_launcher.py": LAUNCHER, "sitecustomize.py": SESSION_FORGERY},
    ),
    "arranque_y_os_exit": Case(
        "writes the forgery as an IPython startup file in its home, then os._exit(0)",
        2,
        flag=None,
        words="kernel",
        forgery=True,
        origin="issue 25",
        answers={"ej1_solucion": STARTUP_THEN_EXIT, **EJ2},
    ),
    "tensor_numpy_unos": Case(
        "torch.Tensor.numpy patched to return ones, a wrong doble",
        2,
        flag=None,
        forgery=True,
        origin="issue 25",
        answers={"ej1_solucion": TENSOR_NUMPY_ONES, **EJ2},
    ),
    "int_siempre_igual": Case(
        "doble returns an int subclass whose comparisons always agree",
        2,
        flag=None,
        forgery=True,
        origin="issue 25",
        answers={"ej1_solucion": ALWAYS_EQUAL_INT, **EJ2},
    ),
    "fecha_entregada_2000": Case(
        "hands in timestamp.txt dated 2000-01-01",
        3,
        origin="issue 25",
        check=_kept_submission_time,
        answers=CORRECT,
        extra_files={"timestamp.txt": "2000-01-01 00:00:00.000000 UTC"},
    ),
    "agota_los_procesos": Case(
        "starts processes until its process limit refuses (hundreds), beside classmates graded with --jobs 2",
        3,
        flag=True,
        harm=True,
        origin="issue 25",
        check=_limit_binds_processes,
        answers={"ej1_solucion": EXHAUSTS_PROCESSES + EJ1_OK, **EJ2},
    ),
    "llena_el_disco": Case(
        "writes 400 MiB in its folder and 200 MiB in /tmp (quota 512 MiB)",
        2,
        words="disco",
        origin="issue 25",
        answers={"ej1_solucion": FILLS_DISK + EJ1_OK, **EJ2},
    ),
    "fichero_disperso_200_mb": Case(
        "hands in a 200 MB sparse file",
        3,
        origin="issue 25",
        check=_left_out("datos.bin"),
        answers=CORRECT,
        extra_files={"datos.bin": "sparse:209715200"},
    ),
    "carpeta_enlazada": Case(
        "a student folder that is a link to ana_correcta's", None, origin="issue 25", link_to="ana_correcta"
    ),
    "josé": Case("an accented id, handed in as NFD", 3, origin="issue 25", answers=CORRECT, folder=nfd("josé")),
    "keyboardinterrupt_lanzado": Case(
        "raises KeyboardInterrupt itself",
        2,
        words="lanzó KeyboardInterrupt",
        origin="issue 25",
        answers={"ej1_solucion": RAISES_INTERRUPT + EJ1_OK, **EJ2},
    ),
    "enlaces_en_ipc": Case(
        "links in the kernel's ipc folder (and its network log replaced)",
        3,
        origin="issue 25",
        check=_ipc_untouched,
        answers={"ej1_solucion": IPC_LINKS + EJ1_OK, **EJ2},
    ),
    "nombre_equivocado": Case(
        "hands in «tarea (1).ipynb»",
        3,
        words="se entregó",
        origin="issue 25",
        answers=CORRECT,
        filename="tarea (1).ipynb",
    ),
    # == the red team's own ==============================================================================
    "respuesta_por_mime": Case(
        "doble displays a well-formed evaluator answer (the right value) before returning its wrong one",
        2,
        flag=None,
        forgery=True,
        answers={"ej1_solucion": MIME_ANSWER, **EJ2},
    ),
    "json_loads_redirigido": Case(
        "json.loads patched in the kernel: requests for doble go to a hidden helper",
        2,
        flag=None,
        forgery=True,
        answers={"ej1_solucion": JSON_REDIRECT, **EJ2},
    ),
    "kernel_side_falso": Case(
        "a fake kernel_side module in sys.modules answers doble's requests",
        2,
        flag=True,
        forgery=True,
        answers={"ej1_solucion": FAKE_KERNEL_SIDE, **EJ2},
    ),
    "tabla_memorizada": Case(
        "doble is a table of the hidden test's inputs and answers, wrong elsewhere",
        2,
        flag=None,
        answers={"ej1_solucion": MEMORISED, **EJ2},
    ),
    "espia_de_peticiones": Case(
        "display updates from inside the functions copy every evaluator call into an earlier output",
        3,
        check=_no_hidden_call_in_feedback,
        answers={"ej1_solucion": SPY, "ej2_solucion": SPY_EJ2},
    ),
    "veredicto_impreso": Case(
        "a wrong doble prints the evaluator's full-marks line in the test cell",
        2,
        forgery=True,
        check=_no_forged_verdict_in_feedback,
        answers={"ej1_solucion": FAKE_VERDICT, **EJ2},
    ),
    "subclase_de_tensor": Case(
        "doble returns a tensor subclass whose comparisons always agree",
        2,
        flag=None,
        forgery=True,
        answers={"ej1_solucion": ALWAYS_EQUAL_TENSOR, **EJ2},
    ),
    "respuesta_enorme": Case(
        "doble returns 240 MB (under the wire's limit) to the evaluator",
        2,
        answers={"ej1_solucion": HUGE_ANSWER, **EJ2},
    ),
    "respuesta_profunda": Case(
        "json.dumps patched: doble's answers are 200,000 nested lists",
        2,
        flag=None,
        answers={"ej1_solucion": DEEP_ANSWER, **EJ2},
    ),
    "objeto_sin_fin": Case(
        "doble returns an object that converts to numbers forever (len 10**9, endless iterator)",
        2,
        answers={"ej1_solucion": ENDLESS, **EJ2},
    ),
    "cuelga_la_peticion": Case(
        "the evaluator's call to doble ignores SIGINT and never returns", 2, answers={"ej1_solucion": HANGS, **EJ2}
    ),
    "mata_el_kernel_al_evaluar": Case(
        "the evaluator's call to doble kills the kernel (and again in the replay)",
        2,
        words="kernel",
        answers={"ej1_solucion": KILLS_IN_EVALUATION, **EJ2},
    ),
    # the watch stops the student's whole sandbox in ej1's cell (its processes together over the
    # limit): ej1 earns nothing, ej2 its 2 points, the reason names the memory
    "memoria_repartida": Case(
        "three children hold 1,100 MiB each at once (limit 3,072 MiB per student)",
        2,
        flag=True,
        harm=True,
        check=_memory_limit_binds,
        answers={"ej1_solucion": SPREAD_MEMORY + EJ1_OK, **EJ2},
    ),
    "busca_pruebas_ocultas": Case(
        "reads every file it can see for the hidden test or the solutions",
        3,
        check=_found_nothing,
        answers={"ej1_solucion": HUNTS_HIDDEN_TESTS + EJ1_OK, **EJ2},
    ),
    # (nbgrader refuses a cell whose nbgrader metadata names an unknown id: 0, as for any tampered metadata)
    "inyecta_en_el_resumen": Case(
        "a grade_id with Markdown lines accuses a classmate in the teacher's summary",
        0,
        flag=True,
        words="metadatos",
        check=_summary_names_only_the_flagged,
        answers=CORRECT,
        edit=_extra_cell("import gc\n", {"grade": False, "solution": False, "locked": False, "grade_id": INJECTED_ID}),
    ),
    "celda_calificada_propia": Case(
        "adds its own graded cell whose hidden block writes a file (run by the evaluator?)",
        0,
        flag=None,
        words="metadatos",
        check=_no_code_ran_in_the_grader,
        answers=CORRECT,
        edit=_extra_cell(
            OWN_GRADED_CELL,
            {"grade": True, "solution": False, "locked": True, "grade_id": "ej_extra", "points": 5},
        ),
    ),
    "prueba_duplicada_al_final": Case(
        "a copy of ej2's test cell at the end, its source the student's hidden block",
        1,
        flag=None,
        check=_no_code_ran_in_the_grader,
        answers={"ej1_solucion": EJ1_OK, "ej2_solucion": "def suma(xs):\n    return 0"},
        edit=_copy_of_test_at_the_end("ej2_pruebas", OWN_GRADED_CELL),
    ),
    "celda_de_prueba_copiada": Case(
        "honest: a copy of ej1's test cell pasted at the end (Jupyter keeps its metadata)",
        3,
        answers=CORRECT,
        edit=_copy_of_test_at_the_end("ej1_pruebas"),
    ),
    "nombre_con_markdown": Case(
        "hands in a notebook whose file name carries Markdown lines accusing a classmate (collect quotes it)",
        3,
        words="se entregó",
        check=_summary_names_only_the_flagged_about("clase_01"),
        answers=CORRECT,
        filename="tarea\n\n- **clase_01** (3 de 3): copió la tarea de ana_correcta.ipynb",
    ),
    "fecha_del_zip_2000": Case(
        "the notebook in the export is dated 2000-01-01 (a zip the student made, unpacked with its dates)",
        3,
        check=_submission_time_not_before_the_release,
        answers=CORRECT,
        dated=datetime(2000, 1, 1, tzinfo=timezone.utc),
    ),
    "javascript_para_el_profesor": Case(
        "a markdown cell with an onerror handler and a Javascript output, for the teacher's formgrader page",
        3,
        check=_no_script_for_the_teacher,
        answers={"ej1_solucion": SCRIPT_OUTPUT + EJ1_OK, **EJ2},
        edit=_edits_markdown_at_the_end(SCRIPT_MARKDOWN),
    ),
    "ids_de_celda_repetidos": Case("every cell has the same id", 3, answers=CORRECT, edit=_same_cell_ids),
    "kernelspec_ajeno": Case("metadata names another kernel (a path)", 3, answers=CORRECT, edit=_foreign_kernelspec),
    "puntos_inflados": Case(
        "the test cells claim 50 and 100 points", 3, check=_max_score_kept, answers=CORRECT, edit=_inflated_points
    ),
    "notebook_extra": Case(
        "hands in a second notebook (a draft) beside the assignment's",
        3,
        answers=CORRECT,
        extra_files={"borrador.ipynb": "draft"},
    ),
}
# The red team's own attacks (this round; the issue's list is marked origin="issue 25" above)
RED_TEAM = (
    "respuesta_por_mime",
    "json_loads_redirigido",
    "kernel_side_falso",
    "tabla_memorizada",
    "espia_de_peticiones",
    "veredicto_impreso",
    "subclase_de_tensor",
    "respuesta_enorme",
    "respuesta_profunda",
    "objeto_sin_fin",
    "cuelga_la_peticion",
    "mata_el_kernel_al_evaluar",
    "memoria_repartida",
    "busca_pruebas_ocultas",
    "inyecta_en_el_resumen",
    "celda_calificada_propia",
    "prueba_duplicada_al_final",
    "celda_de_prueba_copiada",
    "ids_de_celda_repetidos",
    "kernelspec_ajeno",
    "puntos_inflados",
    "notebook_extra",
    "javascript_para_el_profesor",
    "fecha_del_zip_2000",
    "nombre_con_markdown",
)
CASES.update({name: dataclasses.replace(CASES[name], origin="red team") for name in RED_TEAM})
ISSUE_25 = {
    "forja_session_send",
    "lanzador_entregado",
    "arranque_y_os_exit",
    "tensor_numpy_unos",
    "int_siempre_igual",
    "vacia_las_pruebas",
    "sustituye_restore",
    "fecha_entregada_2000",
    "agota_los_procesos",
    "llena_el_disco",
    "fichero_disperso_200_mb",
    "carpeta_enlazada",
    "josé",
    "keyboardinterrupt_lanzado",
    "enlaces_en_ipc",
    "nombre_equivocado",
}
HONEST = ("correcta_con_userwarning", "correcta_que_escribe_en_stderr")
WELL_BEHAVED = ("ana_correcta", "beto_parcial", "celia_en_blanco")
# COURSE_HOSTILE_ONLY=case1,case2 grades only those cases and the well-behaved (a developer's
# quick loop: the class-wide tests then fail, as their counts no longer hold)
ONLY = {s for s in os.environ.get("COURSE_HOSTILE_ONLY", "").split(",") if s}
HOSTILE = [s for s in CASES if s not in WELL_BEHAVED and (not ONLY or s in ONLY)]
# The rest of a class of 50+ in the same batch (nbgrader skips its many-students test).
CLASSMATES = {f"clase_{i:02d}": (CORRECT, {"ej1_solucion": EJ1_OK}, {})[i % 3] for i in range(14)}
CLASSMATE_SCORES = {s: (3.0, 1.0, 0.0)[i % 3] for i, s in enumerate(CLASSMATES)}

# Cases the defences do not meet yet (reproduced, reported to the lead; each reason says what
# happens). Fixing the defence turns the case's xfail into a failure: remove it from here then.
KNOWN_FAILURES: dict[str, str] = {}


class Outcome:
    """What the batch left: results by student, the collect record, the gradebook, the reports."""

    def __init__(self, root, results, alone, collected, seconds):
        from course_utils.tools.grading.reports import write_reports

        self.root, self.results, self.alone, self.collected, self.seconds = root, results, alone, collected, seconds
        self.db_url = f"sqlite:///{root / 'gradebook.db'}"
        self.status = read_status(root, ASSIGNMENT)
        self.problems = check_gradebook(self.db_url, ASSIGNMENT)
        self.summary = write_reports(root, ASSIGNMENT, self.db_url)["summary"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    import time

    if os.path.lexists(RCE_FILE):
        os.remove(RCE_FILE)
    root = build_course(tmp_path_factory.mktemp("clase"))
    solution = str(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    cases = {
        s: dataclasses.replace(
            c,
            answers=None
            if c.answers is None
            else {k: v.replace("{SOLUTION!r}", repr(solution)) for k, v in c.answers.items()},
            extra_files={
                k: v.replace("{SOLUTION}", solution) if isinstance(v, str) else v for k, v in c.extra_files.items()
            },
        )
        for s, c in CASES.items()
        if not ONLY or s in ONLY or s in WELL_BEHAVED
    }
    release_notebook(root)
    inbox = tmp_path_factory.mktemp("entregas")
    build_inbox(root, inbox, cases, {} if ONLY else CLASSMATES)
    collected = collect_tree(inbox, root, ASSIGNMENT)
    start = time.perf_counter()
    results = {r.student: r for r in grade_submissions(root, ASSIGNMENT, jobs=2, limits=LIMITS, show_progress=False)}
    seconds = time.perf_counter() - start

    alone_root = build_course(tmp_path_factory.mktemp("solos"))
    for student in WELL_BEHAVED:
        shutil.copytree(root / "submitted" / student, alone_root / "submitted" / student)
    alone = {
        r.student: r for r in grade_submissions(alone_root, ASSIGNMENT, jobs=1, limits=LIMITS, show_progress=False)
    }
    return Outcome(root, results, alone, collected, seconds)


@pytest.fixture(scope="module")
def feedback(graded):
    """Every student's feedback page, as ``course grade feedback`` writes them (student → HTML)."""
    from course_utils.tools.grading.feedback import generate_feedback

    withheld = generate_feedback(graded.root, ASSIGNMENT, graded.db_url)
    pages = {
        p.parts[-3]: p.read_text(encoding="utf-8") for p in (graded.root / "feedback").glob(f"*/{ASSIGNMENT}/*.html")
    }
    return withheld, pages


def _problems(ctx: Outcome, pages: dict, student: str) -> list[str]:
    """Everything that differs from what the case must get ([] when it is graded by the rules)."""
    case, r = CASES[student], ctx.results.get(student)
    if case.fair is None:
        return [f"graded as a student: {r}"] if r is not None else []
    if r is None:
        return ["not graded at all"]
    problems = []
    automatic = r.score + r.held
    if automatic != case.fair:
        problems.append(
            f"automatic score {automatic:g} (gradebook {r.score:g} + held {r.held:g}), fair {case.fair:g} "
            f"(reason: {r.reason[:300]!r})"
        )
    if r.held and r.score > case.fair:
        problems.append(f"held points still in the gradebook: {r.score:g}")
    if case.flag is True and not r.review:
        problems.append("not marked for review")
    if case.flag is False and r.review:
        problems.append(f"marked for review: {r.review[:160]}")
    if case.words and case.words.lower() not in r.reason.lower():
        problems.append(f"the reason {r.reason!r} lacks {case.words!r}")
    if ctx.status.get(student, {}).get("review", "") != r.review:
        problems.append("status.csv disagrees with the result")
    problems += [p for p in ctx.problems if p.startswith(f"{student}:")]
    if case.check is not None and (extra := case.check(ctx, pages, student)):
        problems.append(extra)
    return problems


def _cases():
    return [
        pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[s])) if s in KNOWN_FAILURES else s
        for s in HOSTILE
    ]


@pytest.mark.parametrize("student", _cases())
def test_each_case_gets_what_it_must(graded, feedback, student):
    problems = _problems(graded, feedback[1], student)
    assert not problems, f"{student} ({CASES[student].what}): " + "; ".join(problems)


def test_summary_of_the_hostile_class(graded, feedback, capsys):
    """The red team's count, printed for the record: every case tried, how many got the fair
    score, were flagged, left the others unaffected and the gradebook intact; the cases that do
    not get what they must are exactly the recorded known failures."""
    ctx, pages = graded, feedback[1]
    failing = {s for s in HOSTILE if _problems(ctx, pages, s)}
    fair = [
        s
        for s in HOSTILE
        if (CASES[s].fair is None and s not in ctx.results)
        or (
            s in ctx.results
            and CASES[s].fair is not None
            and ctx.results[s].score + ctx.results[s].held == CASES[s].fair
        )
    ]
    flagged = [s for s in HOSTILE if s in ctx.results and ctx.results[s].review]
    unaffected = _classmates_unaffected(ctx) == []
    intact = [s for s in HOSTILE if not any(p.startswith(f"{s}:") for p in ctx.problems)] if not _schema(ctx) else []
    with capsys.disabled():
        print(
            f"\ntried {len(HOSTILE)} · fair score {len(fair)} · flagged {len(flagged)} · others unaffected "
            f"{len(HOSTILE) if unaffected else 0} · gradebook intact {len(intact)} "
            f"(batch of {len(ctx.results)} students, --jobs 2, {ctx.seconds:.0f} s; "
            f"{len(failing)} known failures: {', '.join(sorted(failing)) or 'none'})"
        )
    assert len(HOSTILE) >= 40
    assert sum(CASES[s].origin == "red team" for s in HOSTILE) >= 10
    assert {s for s in HOSTILE if CASES[s].origin == "issue 25"} == ISSUE_25
    assert failing == set(KNOWN_FAILURES), {s: _problems(ctx, pages, s) for s in failing ^ set(KNOWN_FAILURES)}
    assert all(CASES[s].fair is not None for s in HOSTILE if CASES[s].forgery)


def _schema(ctx):
    return [p for p in ctx.problems if ":" not in p.split(" ")[0]]


def _classmates_unaffected(ctx) -> list[str]:
    wrong = []
    for s in (*WELL_BEHAVED, *CLASSMATES):
        r = ctx.results.get(s)
        expected = ctx.alone[s].score if s in ctx.alone else CLASSMATE_SCORES[s]
        if r is None or r.score != expected or r.reason or r.review:
            wrong.append(f"{s}: {r}")
    return wrong


def test_classmates_are_untouched_by_the_batch(graded):
    """The process and memory hogs, the disk filler and the rest were graded beside these: the
    well-behaved get what they get alone, the classmates what their answers earn, no reason and
    no flag."""
    assert len(graded.results) >= 80
    assert _classmates_unaffected(graded) == []
    print(f"estudiantes no afectados: {len(WELL_BEHAVED) + len(CLASSMATES)} (en un lote de {len(graded.results)})")


def test_the_gradebook_is_sound_and_complete(graded):
    from nbgrader.api import Gradebook

    assert graded.problems == []
    with Gradebook(graded.db_url) as gb:
        stored = {s.student.id: s.score for s in gb.find_assignment(ASSIGNMENT).submissions}
    assert stored == {s: r.score for s, r in graded.results.items()}


def test_review_exactly_where_declared(graded):
    flagged = {s for s, r in graded.results.items() if r.review}
    must = {s for s in HOSTILE if CASES[s].flag is True}
    must_not = {s for s in CASES if CASES[s].flag is False} | set(CLASSMATES)
    assert flagged & must_not - set(KNOWN_FAILURES) == set(), "honest or merely broken code marked for review"
    assert must - flagged - set(KNOWN_FAILURES) == set(), "tampering not marked for review"


@pytest.mark.parametrize("student", HONEST)
def test_honest_output_on_stderr_keeps_full_marks(graded, student):
    assert (graded.results[student].score, graded.results[student].review) == (3.0, "")


def test_review_reaches_status_summary_and_feedback(graded, feedback):
    to_review = graded.summary.split("## Entregas para revisar a mano", 1)[1]
    _, pages = feedback
    flagged = [s for s in HOSTILE if CASES[s].flag is True and graded.results[s].review]
    for student in flagged:
        r = graded.results[student]
        print(f"  {student}: {r.score:g}/3 (+{r.held:g} retenidos; justa {CASES[student].fair:g}) · {r.review[:110]}")
        assert graded.status[student]["review"] == r.review
        assert f"**{student}**" in to_review
        if student in pages:  # a notebook nbgrader could not grade has no feedback page
            assert "Pendiente de revisión manual" in html_lib.unescape(pages[student]), student
    assert len(set(flagged) & set(pages)) >= len(flagged) - 2


def test_no_feedback_page_quotes_a_hidden_test(graded, feedback):
    from course_utils.tools.grading.feedback import hidden_test_lines, leaks

    withheld, pages = feedback
    needles = hidden_test_lines(graded.root, ASSIGNMENT)
    assert len(needles) == 9 and withheld == {}  # the def line, the six checks and two secret draws of the blocks
    graded_students = {
        s for s in graded.results if (graded.root / "autograded" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    }
    assert graded_students <= set(pages) and len(pages) >= 70
    assert {s: leaks(page, needles) for s, page in pages.items() if leaks(page, needles)} == {}
    print(f"páginas de realimentación revisadas: {len(pages)} · con alguna línea de prueba oculta: 0")


def test_the_fork_bomb_runs_under_the_process_limit(graded):
    """Inside the sandbox the bomb sees the grader's RLIMIT_NPROC, and the limit binds it (with
    its soft limit at 0 a fork fails with EAGAIN): a missing limit, or a kernel running as root
    (which RLIMIT_NPROC does not bind), fails here. Its 300 children did not stop its grading."""
    printed = _printed(graded, "bomba_de_procesos_acotada")
    seen = re.search(r"procesos: limite=(-?\d+) hijos=(\d+) con_limite_0=(\w+)", printed)
    assert seen, f"the bomb printed no report: {printed!r}"
    limit, children, fork_at_zero = int(seen[1]), int(seen[2]), seen[3]
    assert limit == LIMITS.max_processes, (
        f"RLIMIT_NPROC in the sandbox is {limit}, not the grader's {LIMITS.max_processes}"
    )
    assert fork_at_zero == "EAGAIN", f"a fork over the limit gave {fork_at_zero}: the limit does not bind the kernel"
    assert (
        children == 300
        and graded.results["bomba_de_procesos_acotada"].score + graded.results["bomba_de_procesos_acotada"].held == 3.0
    )


def test_collect_refuses_the_linked_folder_and_keeps_the_accented_id(graded):
    skipped = {p.name: why for p, why in graded.collected.skipped}
    assert "carpeta_enlazada" in skipped and "enlace" in skipped["carpeta_enlazada"]
    assert "josé" in graded.results and nfd("josé") not in graded.results
    assert (graded.root / "submitted" / "josé").is_dir()


@pytest.mark.parametrize(
    "student", ["os_exit", "bucle_infinito", "abre_un_socket", "bomba_de_memoria", "llena_el_disco"]
)
def test_feedback_tells_the_student_why(graded, feedback, student):
    """Marks lost for reasons other than failed tests are explained in the feedback HTML too."""
    page = feedback[1][student]
    assert "Nota de la corrección automática" in page
    assert graded.results[student].reason.split(";")[0] in html_lib.unescape(page)


def test_feedback_for_each_student(feedback):
    html = feedback[1]["ana_correcta"]
    assert "3" in html and "ej1_pruebas" in html
    assert "Nota de la corrección automática" not in html, "no note when nothing went wrong"


def test_autograded_notebooks_show_the_guard(graded):
    nb = nbformat.read(graded.root / "autograded" / "ana_correcta" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("import course_utils.tools.grading.guard")


def test_reports_for_the_lms_and_the_teacher(graded):
    import pandas as pd

    from course_utils.tools.grading.reports import write_reports

    paths = write_reports(graded.root, ASSIGNMENT, graded.db_url)
    table = pd.read_csv(paths["csv"])
    assert dict(zip(table["student"], table["score"])) == {s: r.score for s, r in graded.results.items()}
    summary = paths["summary"].read_text(encoding="utf-8")
    assert "os_exit" in summary and "kernel" in summary and "ej1_pruebas" in summary
    assert paths["histogram"].stat().st_size > 1000 and paths["exercises"].stat().st_size > 1000


# --- own_work: the kernel's report of forbidden calls, dodged (the evaluator's in-process session
# serves the same requests with the same watcher, kernel_side._watched_call) -----------------------------
OWN_WORK_KNOWN_FAILURES: dict[str, str] = {}


def _own_work_verdict(source: str, cell: str = OWN_WORK_CELL):
    from concurrent.futures import ThreadPoolExecutor

    from course_utils.tools.grading.evaluator.local import judge_cell
    from course_utils.tools.grading.scan import scan_source

    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - the red team's own attack code, run to be judged
    try:
        return judge_cell(cell, namespace, points=1), scan_source(source)
    finally:  # an attack's worker thread, woken later to exit, would count as working during the next call
        for value in namespace.values():
            if isinstance(value, ThreadPoolExecutor):
                value.shutdown(wait=True)


def test_own_work_sees_the_forbidden_call():
    honest, _ = _own_work_verdict(OWN_WORK_HONEST)
    direct, _ = _own_work_verdict(OWN_WORK_DIRECT)
    assert (honest.points, direct.points) == (1, 0.0), (honest, direct)
    assert "scaled_dot_product_attention" in direct.message


@pytest.mark.parametrize(
    "dodge",
    [
        pytest.param(d, marks=pytest.mark.xfail(strict=True, reason=OWN_WORK_KNOWN_FAILURES[d]))
        if d in OWN_WORK_KNOWN_FAILURES
        else d
        for d in OWN_WORK_DODGES
    ],
)
def test_own_work_cannot_be_dodged(dodge):
    """The forbidden routine reached another way: no points, or at least the scan flags it."""
    verdict, findings = _own_work_verdict(OWN_WORK_DODGES[dodge])
    assert verdict.points == 0 or findings, f"{dodge}: {verdict.points:g}/1 unflagged — {verdict.message!r}"


def test_own_work_with_the_course_forbidden_sees_its_own_answer_pass():
    honest, _ = _own_work_verdict(OWN_WORK_HONEST, OWN_WORK_MODULE_CELL)
    assert honest.points == 1, honest


@pytest.mark.parametrize("dodge", list(OWN_WORK_MODULE_DODGES))
def test_own_work_with_the_course_forbidden_cannot_be_dodged(dodge):
    """A worker thread started before the call, or a copy of the course's function under another
    module's name: no points (the watcher, not only the scan)."""
    verdict, _ = _own_work_verdict(OWN_WORK_MODULE_DODGES[dodge], OWN_WORK_MODULE_CELL)
    assert verdict.points == 0 and "ya resuelve el ejercicio" in verdict.message, verdict


@pytest.mark.parametrize("case", list(TORCH_REBOUND), ids=lambda case: f"{case[0][:2]}-{case[1]}")
def test_a_notebook_rebinding_torch_does_not_change_the_hidden_tests_objects(case):
    """The hidden tests build their objects with ``student.lib(module)``, never through the
    notebook's globals: a proxy bound to ``torch`` after a mistake gives back no point."""
    from support.exercises import chapter

    name, grade_id, mistake_name = case
    ch = chapter(name)
    mistake = next(w for w in ch.wrong[grade_id] if w.name.startswith(mistake_name))
    alone, full, _ = ch.hidden(grade_id, mistake.source, seed=0)
    rebound, _, message = ch.hidden(grade_id, mistake.source + "\n" + TORCH_REBOUND[case], seed=0)
    assert alone < full and rebound <= alone, (alone, rebound, message)


# --- every nbgrader path: plain `nbgrader autograde` (formgrader's Autograde button runs the same) ------
PLAIN_PATH_SPY = (
    "import glob, os, sqlite3\nvistos = []\n"
    "for p in glob.glob('../../../solutions/*/*.ipynb'):\n    vistos.append(open(p).read().count('pruebas_ocultas'))\n"
    "for p in glob.glob('../../../*.db'):\n    try:\n        con = sqlite3.connect(p)\n"
    "        con.execute('CREATE TRIGGER forja AFTER UPDATE ON grade BEGIN '\n"
    "                    'UPDATE grade SET auto_score = max_score WHERE id = NEW.id; END')\n"
    "        con.commit()\n        vistos.append('trigger')\n    except Exception:\n        pass\n"
    "print('uid', os.getuid(), 'visto', vistos)\n"
)


def test_plain_nbgrader_autograde_runs_the_student_in_the_sandbox(tmp_path):
    """``nbgrader autograde`` run by hand, or by formgrader's Autograde button, reads the same
    ``nbgrader_config.py`` as ``course grade``: the student's kernel must not run as the grader,
    read the hidden tests in ``solutions/`` or write the gradebook."""
    from course_utils.tools.grading.integrity import schema_problems
    from course_utils.tools.release import nbgrader_command, run_nbgrader
    from fixture_course import generate_assignment, submit

    root = build_course(tmp_path / "curso")
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    generate_assignment(root, db_url, root / "release")
    submit(root, "espia", {"ej1_solucion": PLAIN_PATH_SPY + WRONG_EJ1, **EJ2})
    run_nbgrader(nbgrader_command("autograde", ASSIGNMENT, "--force", "--student=espia", root=root), cwd=root)
    printed = _printed(type("C", (), {"root": root})(), "espia")
    seen = re.search(r"uid (\d+) visto (.*)", printed)
    assert seen, printed
    assert (int(seen[1]) != 0, seen[2], schema_problems(db_url)) == (True, "[]", [])


# --- the grading process itself: the static scan runs in `course grade`'s own process (a worker
# thread of the batch, no limits), on every notebook collect took -------------------------------------
SCAN_MEMORY_MB, SCAN_SECONDS = 1024, 120


def test_the_scan_of_a_collected_notebook_is_bounded(tmp_path):
    """The biggest notebook collect accepts (under its 20 MiB per file) is scanned within
    ``SCAN_MEMORY_MB`` and ``SCAN_SECONDS``, as ``course grade`` scans it (tamper.review_notes)."""
    import subprocess
    import sys

    folder = tmp_path / "entregas" / "celda_enorme"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a=1\n" * (19 * 2**20 // 5))])
    (folder / f"{ASSIGNMENT}.ipynb").write_text(nbformat.writes(nb, split_lines=False), encoding="utf-8")
    course = build_course(tmp_path / "curso")
    taken = collect_tree(tmp_path / "entregas", course, ASSIGNMENT).taken
    assert [s for s, _ in taken] == ["celda_enorme"], "collect refused the notebook: nothing to scan"
    script = (
        "import resource, sys\nfrom pathlib import Path\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({SCAN_MEMORY_MB} * 2 ** 20,) * 2)\n"
        "from course_utils.tools.grading.tamper import review_notes\nprint(repr(review_notes(Path(sys.argv[1]), None)))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, str(course / "submitted" / "celda_enorme" / ASSIGNMENT)],
            capture_output=True,
            text=True,
            timeout=SCAN_SECONDS,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the scan took more than {SCAN_SECONDS} s")
    assert done.returncode == 0, done.stderr[-500:]
