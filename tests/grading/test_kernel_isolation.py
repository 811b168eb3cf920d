"""What a student hands in or writes beside the notebook never runs in a kernel, and each
student's limits are that student's own — with real sandboxed kernels, as CI grades (root).

One batch (``--jobs 2``): files handed in beside the notebook that Python or IPython would load
(``ipykernel_launcher.py``, ``sitecustomize.py``, ``usercustomize.py``, a ``json.py`` and a
``numpy.py`` shadowing modules), an IPython startup file written during the run followed by
``os._exit(0)`` (the automatic restart must not run it), links planted in the kernel's IPC
folder, a disk filled past the quota, a raised ``KeyboardInterrupt``, and a process bomb held
while a classmate is graded beside it. Each probe prints what its kernel saw; the test reads it
from the autograded notebook."""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from course_utils.tools.grading.autograde import grade_submissions
from course_utils.tools.grading.diagnosis import RAISED_INTERRUPT
from course_utils.tools.grading.limits import GradingLimits
from course_utils.tools.grading.sandbox import STUDENT_UID_BASE
from fixture_course import ASSIGNMENT, CORRECT, build_course, submit

pytestmark = pytest.mark.slow  # grades a class in the sandbox (deselected by `run.py test-fast`)

LIMITS = GradingLimits(cell_timeout=60, notebook_timeout=240, max_processes=64, disk_mb=48)
EJ2 = CORRECT["ej2_solucion"]

# Handed in beside the notebook: each would mark the environment if Python ran it.
PLANTED = {
    name: (f"import os\nos.environ['ALTERADO'] = os.environ.get('ALTERADO', '') + ' {name}'\n" + extra)
    for name, extra in {
        "ipykernel_launcher.py": "from ipykernel import kernelapp\nkernelapp.launch_new_instance()\n",
        "sitecustomize.py": "",
        "usercustomize.py": "",
        "json.py": "",
        "numpy.py": "",
    }.items()
}
# The startup files IPython would run (its own README aside).
STARTUP_FILES = (
    "sorted(p.name for p in (pathlib.Path.home() / '.ipython' / 'profile_default' / 'startup').glob('*')"
    " if p.suffix in ('.py', '.ipy'))"
)
LOOKS = (
    "import os, pathlib, sys, json as _json\n"
    "print('SONDA ' + _json.dumps(dict(alterado=os.environ.get('ALTERADO', ''), ls=sorted(os.listdir('.')),\n"
    f"    startup={STARTUP_FILES}, path=sys.path, safe_path=sys.flags.safe_path,\n"
    "    no_user_site=sys.flags.no_user_site, uid=os.getuid(),\n"
    "    variables=sorted(k for k in os.environ if k.startswith(('PYTHONSTARTUP', 'PYTHONUSERBASE', 'PYTHONHOME'))))))\n"
)
# Writes an IPython startup file that would define the answer, and kills the kernel: nbgrader's
# restart must start from an empty home. The next cell prints whether the startup file ran.
STARTUP = (
    "import os, pathlib\n"
    "startup = pathlib.Path.home() / '.ipython' / 'profile_default' / 'startup'\n"
    "startup.mkdir(parents=True, exist_ok=True)\n"
    "(startup / '00-trampa.py').write_text('ARRANQUE_ALTERADO = True\\ndef doble(x):\\n    return 2 * x\\n')\n"
    "(pathlib.Path.home() / '.ipython' / 'profile_default' / 'ipython_kernel_config.py').write_text(\n"
    "    \"c.InteractiveShellApp.exec_lines = ['CONFIG_ALTERADA = True']\")\n"
    "pathlib.Path('sitecustomize.py').write_text('import os\\nos.environ[\"ALTERADO\"] = \"sitecustomize\"')\n"
    "os._exit(0)\n"
)
AFTER_RESTART = (
    "import os, pathlib, json as _json\n"
    "print('SONDA ' + _json.dumps(dict(arranque=globals().get('ARRANQUE_ALTERADO', False),\n"
    "    config=globals().get('CONFIG_ALTERADA', False), alterado=os.environ.get('ALTERADO', ''),\n"
    f"    startup={STARTUP_FILES}, ls=sorted(os.listdir('.')))))\n"
)
# Plants links in the kernel's IPC folder (found from the kernel's own command line) and
# replaces its connection file; the next exercise kills the kernel, which is then restarted
# from that folder.
IPC_LINKS = (
    "import os, sys, json as _json\n"
    "conexion = sys.argv[sys.argv.index('-f') + 1]\n"
    "ipc = os.path.dirname(conexion)\n"
    "hechos = {}\n"
    "for nombre, accion in [('enlace', lambda: os.symlink('/etc/passwd', os.path.join(ipc, 'enlace'))),\n"
    "                       ('conexion', lambda: (os.remove(conexion), os.symlink('/etc/passwd', conexion))),\n"
    "                       ('fichero', lambda: open(os.path.join(ipc, 'grande'), 'wb').write(b'x' * 1000))]:\n"
    "    try:\n        accion()\n        hechos[nombre] = True\n    except OSError as err:\n"
    "        hechos[nombre] = type(err).__name__\n"
    "print('SONDA ' + _json.dumps(hechos), flush=True)\n"
)
# Fills the disk: the working folder and /tmp share one quota; nothing reaches the grader's disk.
FILLS_DISK = (
    "import os, json as _json\n"
    "same = len({os.stat(p).st_dev for p in ('.', '/tmp', os.path.expanduser('~'))}) == 1\n"
    "quota = os.statvfs('/tmp').f_blocks * os.statvfs('/tmp').f_frsize\n"
    "print('SONDA ' + _json.dumps(dict(same_device=same, quota=quota)), flush=True)\n"
    "try:\n"
    "    with open('/tmp/relleno', 'wb') as a, open('relleno', 'wb') as b:\n"
    "        for _ in range(200):\n"
    "            a.write(b'x' * 1024 * 1024)\n            b.write(b'x' * 1024 * 1024)\n"
    "            a.flush()\n            b.flush()\n"
    "finally:\n"
    "    for p in ('/tmp/relleno', 'relleno'):\n        os.remove(p)\n"
)
# Holds every process its uid may have for a while, then reports the fork that failed.
BOMB = (
    "import os, time\nhijos = 0\nfallo = None\n"
    "while fallo is None:\n"
    "    try:\n        pid = os.fork()\n    except OSError as err:\n        fallo = err\n        break\n"
    "    if pid == 0:\n        time.sleep(40)\n        os._exit(0)\n    hijos += 1\n"
    'print(f\'SONDA {{"hijos": {hijos}, "uid": {os.getuid()}}}\', flush=True)\n'
    "time.sleep(15)\n"
    "raise fallo\n"
)
# An honest classmate that starts processes and threads while the bomb holds its own.
NEIGHBOUR = (
    "import os, subprocess, sys, threading, time, json as _json\n"
    "vistos = []\n"
    "for _ in range(4):\n"
    "    time.sleep(3)\n"
    "    hilo = threading.Thread(target=lambda: None)\n    hilo.start()\n    hilo.join()\n"
    "    vistos.append(subprocess.run([sys.executable, '-c', 'print(1)'], capture_output=True, text=True).stdout)\n"
    "print('SONDA ' + _json.dumps(dict(vistos=vistos, uid=os.getuid())))\n"
)

CLASS = {
    # first in the batch, graded side by side by the two workers
    "a_bomba": {"ej1_solucion": BOMB + CORRECT["ej1_solucion"], "ej2_solucion": EJ2},
    "a_vecina": {"ej1_solucion": NEIGHBOUR + CORRECT["ej1_solucion"], "ej2_solucion": EJ2},
    "arranque": {"ej1_solucion": STARTUP, "ej2_solucion": AFTER_RESTART + EJ2},
    "disco": {"ej1_solucion": FILLS_DISK + CORRECT["ej1_solucion"], "ej2_solucion": EJ2},
    "interrumpe": {"ej1_solucion": "raise KeyboardInterrupt\n" + CORRECT["ej1_solucion"], "ej2_solucion": EJ2},
    "ipc_enlaces": {"ej1_solucion": IPC_LINKS + CORRECT["ej1_solucion"], "ej2_solucion": "import os\nos._exit(0)"},
    "lanzador": {"ej1_solucion": LOOKS + CORRECT["ej1_solucion"], "ej2_solucion": EJ2},
    "senal": {"ej1_solucion": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "ej2_solucion": EJ2},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = build_course(tmp_path_factory.mktemp("aislamiento"))
    for student, answers in CLASS.items():
        submit(root, student, answers)
    for name, source in PLANTED.items():
        (root / "submitted" / "lanzador" / ASSIGNMENT / name).write_text(source, encoding="utf-8")
    (root / "submitted" / "lanzador" / ASSIGNMENT / "zz-alterado.pth").write_text(
        "import os; os.environ['ALTERADO'] = 'pth'\n", encoding="utf-8"
    )
    results = {r.student: r for r in grade_submissions(root, ASSIGNMENT, jobs=2, limits=LIMITS, show_progress=False)}
    return root, results


def _probe(root, student) -> dict:
    """What ``student``'s probe printed (one line, read from the autograded notebook)."""
    path = root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert path.is_file(), f"{student}: nothing was graded (its kernel never ran the notebook)"
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                if line.startswith("SONDA "):
                    found.append(json.loads(line[len("SONDA ") :]))
    assert len(found) == 1, f"{student}: its probe printed {len(found)} reports, not one (did its cell run?)"
    return found[0]


def test_files_handed_in_beside_the_notebook_never_run(graded):
    root, results = graded
    seen = _probe(root, "lanzador")
    assert seen["alterado"] == "", f"a handed-in file ran in the kernel: {seen['alterado']}"
    assert seen["ls"] == [f"{ASSIGNMENT}.ipynb"], "only the assignment's notebook enters the kernel's folder"
    assert seen["safe_path"] == 1 and seen["no_user_site"] == 1
    assert "" not in seen["path"] and not any(p.startswith(str(root)) or "/autograded/" in p for p in seen["path"])
    assert seen["variables"] == [] and seen["startup"] == []
    assert (results["lanzador"].status, results["lanzador"].score) == ("ok", 3.0)


def test_a_startup_file_written_before_a_restart_does_not_run_after_it(graded):
    root, results = graded
    after = _probe(root, "arranque")
    assert after == {"arranque": False, "config": False, "alterado": "", "startup": [], "ls": [f"{ASSIGNMENT}.ipynb"]}
    # ej1 died with the kernel and was never defined by the student: only ej2 (2 points) counts
    assert results["arranque"].score + results["arranque"].held == 2.0
    assert "el kernel terminó él mismo con el código 0" in results["arranque"].reason


def test_a_kernel_death_says_how_the_kernel_ended(graded):
    _, results = graded
    assert "el kernel recibió SIGKILL" in results["senal"].reason
    assert results["senal"].score + results["senal"].held == 2.0


def test_links_in_the_ipc_folder_cannot_be_made_and_the_reason_is_true(graded):
    root, results = graded
    done = _probe(root, "ipc_enlaces")
    assert done == {"enlace": "PermissionError", "conexion": "PermissionError", "fichero": "PermissionError"}
    result = results["ipc_enlaces"]
    assert result.status == "ok" and result.score + result.held == 1.0, "the kernel restarted and ej1 was graded"
    assert "JSON" not in result.reason and "kernel" in result.reason


def test_the_disk_quota_is_one_tmpfs_and_its_exhaustion_is_told(graded):
    root, results = graded
    seen = _probe(root, "disco")
    assert seen["same_device"], "the working folder, HOME and /tmp share one quota"
    assert seen["quota"] <= LIMITS.disk_mb * 1024 * 1024
    result = results["disco"]
    assert result.status == "ok" and result.score + result.held == 2.0
    assert f"se llenó su espacio de disco (límite de {LIMITS.disk_mb} MiB" in result.reason


def test_a_raised_keyboard_interrupt_is_not_called_a_time_limit(graded):
    _, results = graded
    result = results["interrumpe"]
    assert RAISED_INTERRUPT in result.reason and "tiempo máximo" not in result.reason
    assert result.score + result.held == 2.0


def test_a_process_bomb_costs_only_its_author(graded):
    root, results = graded
    bomb = _probe(root, "a_bomba")
    assert 10 < bomb["hijos"] < LIMITS.max_processes, "the bomb reached its own limit"
    assert f"alcanzó el límite de {LIMITS.max_processes} procesos" in results["a_bomba"].reason
    neighbour = _probe(root, "a_vecina")
    assert neighbour["vistos"] == ["1\n"] * 4, "the classmate could start processes beside the bomb"
    # its own subprocess asks for a look (the scan flags every way to start a process); the bomb costs it nothing
    vecina = results["a_vecina"]
    assert (vecina.status, vecina.score + vecina.held, vecina.reason) == ("ok", 3.0, "")
    assert "crea procesos (subprocess)" in vecina.review


def test_each_student_runs_under_a_uid_of_its_own(graded):
    root, _ = graded
    assert os.geteuid() == 0, "CI grades as root: per-student uids need it"
    uids = [_probe(root, student)["uid"] for student in ("lanzador", "a_bomba", "a_vecina")]
    assert all(uid >= STUDENT_UID_BASE for uid in uids)
    assert len(set(uids)) == 3, "the bomb's processes never counted against a classmate's limit"
