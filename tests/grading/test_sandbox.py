"""The bubblewrap sandbox really isolates each kernel — tested as CI grades, as root, no skip.

One small class is graded with the sandbox: a probe student reports what its kernel sees
(uid, capabilities, files, processes, the network: a server listening on the grader's own
loopback), another leaves a setsid daemon behind, another makes links at run time (to a
solution, a 0600 file, a folder with a dangling link, ``/``) and submits some too. Then the
sandbox is made unavailable: grading refuses with the reason, and ``--no-sandbox`` grades
with every report saying so."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from course_utils.tools.grading.autograde import NO_SANDBOX_NOTE, grade_submissions
from course_utils.tools.grading.limits import GradingLimits
from course_utils.tools.grading.sandbox import BWRAP_ENV, Sandbox, SandboxUnavailable
from course_utils.tools.grading.status import read_status, status_path
from fixture_course import ASSIGNMENT, CORRECT, build_course, submit
from test_hostile_submissions import DAEMON, LINKS_AT_RUN_TIME

LIMITS = GradingLimits(cell_timeout=20, notebook_timeout=120)
PROBE = r"""
import ctypes, json, os, socket, struct, _socket
def reaches(how):
    try:
        how()
        return True
    except OSError:
        return False
def by_socket():
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
def by_raw_socket():
    s = _socket.socket(); s.settimeout(2); s.connect(("127.0.0.1", {port})); s.close()
def by_ctypes():
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    addr = struct.pack("=H", socket.AF_INET) + struct.pack("!H", {port}) + socket.inet_aton("127.0.0.1") + bytes(8)
    if libc.connect(fd, addr, len(addr)) != 0:
        raise OSError(ctypes.get_errno(), "connect")
def visible(path):
    return os.path.exists(path)
pids = [p for p in os.listdir("/proc") if p.isdigit()]
cmdlines = [open(f"/proc/{{p}}/cmdline", "rb").read().decode(errors="replace") for p in pids]
caps = [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")][0]
workspaces = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.getcwd()))))
report = dict(uid=os.getuid(), euid=os.geteuid(), gid=os.getgid(), caps=caps,
              socket=reaches(by_socket), raw_socket=reaches(by_raw_socket), ctypes=reaches(by_ctypes),
              course=visible({course!r}), gradebook=visible({gradebook!r}), solution=visible({solution!r}),
              root_home=sorted(os.listdir("/root")) if os.path.isdir("/root") else [],
              workspaces=sorted(os.listdir(workspaces)), pids=len(pids),
              grader_visible=any("pytest" in c for c in cmdlines),
              can_write_usr=os.access("/usr/lib", os.W_OK),
              writable_tmp=[os.access(p, os.W_OK) for p in ("/tmp", "/dev/shm")], shm=os.listdir("/dev/shm"))
import multiprocessing
multiprocessing.Lock()    # needs a writable /dev/shm
print("SONDA " + json.dumps(report))
"""


class Listener:
    """A TCP server on the grader's loopback that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.sock.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener):
    root = build_course(tmp_path_factory.mktemp("aislada"))
    solution = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    secret = root / "secreto.txt"
    secret.write_text("contraseña del profesor", encoding="utf-8")
    os.chmod(secret, 0o600)
    probe = PROBE.format(
        port=listener.port, course=str(root), gradebook=str(root / "gradebook.db"), solution=str(solution)
    )
    submit(root, "ana", CORRECT)
    submit(root, "sonda", {"ej1_solucion": probe + CORRECT["ej1_solucion"], "ej2_solucion": CORRECT["ej2_solucion"]})
    submit(root, "demonio", {"ej1_solucion": DAEMON + CORRECT["ej1_solucion"], "ej2_solucion": CORRECT["ej2_solucion"]})
    links = LINKS_AT_RUN_TIME.replace("{SOLUTION!r}", repr(str(solution))) + f"os.symlink({str(secret)!r}, 'secreto')\n"
    folder = submit(
        root, "enlaces", {"ej1_solucion": links + CORRECT["ej1_solucion"], "ej2_solucion": CORRECT["ej2_solucion"]}
    ).parent
    (folder / "raiz").symlink_to("/")
    (folder / "secreto.txt").symlink_to(secret)
    (root / "otra").mkdir()
    (root / "otra" / "roto").symlink_to(root / "no-existe")
    (folder / "carpeta").symlink_to(root / "otra")
    modes = {p: p.stat().st_mode for p in (solution, secret)}
    results = {r.student: r for r in grade_submissions(root, ASSIGNMENT, jobs=2, limits=LIMITS, show_progress=False)}
    return root, results, modes


def _probe_report(root: Path) -> dict:
    nb = nbformat.read(root / "autograded" / "sonda" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                if line.startswith("SONDA "):
                    return json.loads(line[len("SONDA ") :])
    raise AssertionError("the probe printed nothing")


def test_every_student_is_graded(graded):
    _, results, _ = graded
    # the probe (ctypes, _socket, /proc) and the daemon (fork, setsid) are flagged for review:
    # their points are held until the teacher decides, not lost
    assert {s: r.score + r.held for s, r in results.items()} == {
        "ana": 3.0,
        "sonda": 3.0,
        "demonio": 3.0,
        "enlaces": 3.0,
    }
    assert {s for s, r in results.items() if r.held} == {"sonda", "demonio"}


def test_kernel_is_not_root_and_has_no_capabilities(graded):
    report = _probe_report(graded[0])
    assert report["uid"] != 0 and report["euid"] != 0 and report["gid"] != 0
    assert int(report["caps"], 16) == 0
    assert not report["can_write_usr"]
    assert report["writable_tmp"] == [True, True], "its own writable /tmp and /dev/shm"
    assert report["shm"] == []


def test_kernel_sees_no_course_gradebook_workspace_or_home(graded):
    root, _, _ = graded
    report = _probe_report(root)
    assert not report["course"] and not report["gradebook"] and not report["solution"]
    assert len(report["workspaces"]) == 1, "only its own workspace folder, not the other students'"
    bound = {Path(p).relative_to("/root").parts[0] for p in Sandbox.for_grading().readonly if p.startswith("/root/")}
    assert set(report["root_home"]) <= bound, "the grader's home shows only what is bound: Python, the course package"
    assert report["pids"] <= 5 and not report["grader_visible"], "its own processes only"


def test_nothing_outside_is_reachable_even_the_graders_loopback(graded, listener):
    report = _probe_report(graded[0])
    assert (report["socket"], report["raw_socket"], report["ctypes"]) == (False, False, False)
    assert listener.accepted == 0
    # the same server is reachable from outside the sandbox: the probe would have seen it
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()


def test_a_setsid_daemon_dies_with_the_kernel(graded):
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"demonio-de-la-entrega" in cmdline:
            alive.append(pid)
    assert alive == []


def test_links_are_never_followed_chmodded_or_copied(graded):
    root, results, modes = graded
    assert {p: p.stat().st_mode for p in modes} == modes
    delivered = root / "autograded" / "enlaces" / ASSIGNMENT
    assert all(p.is_file() and not p.is_symlink() for p in delivered.iterdir())
    assert sorted(p.name for p in delivered.iterdir()) <= [f"{ASSIGNMENT}.ipynb", "timestamp.txt"]
    assert "contraseña" not in (delivered / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8")
    assert set(read_status(root, ASSIGNMENT)) == set(results)


def test_feedback_holds_no_linked_file(graded):
    from course_utils.tools.release import nbgrader_command, run_nbgrader

    root, _, _ = graded
    run_nbgrader(
        nbgrader_command(
            "generate_feedback",
            ASSIGNMENT,
            "--force",
            "--student=enlaces",
            root=root,
            extra=[f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}"],
        ),
        cwd=root,
    )
    feedback = root / "feedback" / "enlaces" / ASSIGNMENT
    assert [p.name for p in feedback.iterdir()] == [f"{ASSIGNMENT}.html"]


@pytest.mark.parametrize("bwrap", ["/no/hay/bwrap", "/bin/false"])
def test_without_a_working_sandbox_nobody_is_graded(tmp_path, monkeypatch, bwrap):
    root = build_course(tmp_path / "curso")
    submit(root, "ana", CORRECT)
    monkeypatch.setenv(BWRAP_ENV, bwrap)
    with pytest.raises(SandboxUnavailable, match="--no-sandbox"):
        grade_submissions(root, ASSIGNMENT, jobs=1, limits=LIMITS, show_progress=False)
    assert not status_path(root, ASSIGNMENT).exists() and not (root / "gradebook.db").exists()


def test_the_command_refuses_and_no_sandbox_is_said_in_every_report(tmp_path):
    root = build_course(tmp_path / "curso")
    submit(root, "ana", CORRECT)
    course = [sys.executable, "-m", "course_utils.tools.cli", "grade"]
    env = {**os.environ, BWRAP_ENV: "/no/hay/bwrap"}
    refused = subprocess.run(
        [*course, "autograde", ASSIGNMENT, "--course-root", str(root), "--jobs", "1"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert refused.returncode != 0 and "bubblewrap" in refused.stderr and "--no-sandbox" in refused.stderr
    assert not status_path(root, ASSIGNMENT).exists()
    done = subprocess.run(
        [*course, "autograde", ASSIGNMENT, "--course-root", str(root), "--jobs", "1", "--no-sandbox"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert read_status(root, ASSIGNMENT)["ana"]["note"] == NO_SANDBOX_NOTE
    subprocess.run(
        [*course, "report", ASSIGNMENT, "--course-root", str(root)], check=True, env=env, capture_output=True
    )
    assert NO_SANDBOX_NOTE in (root / "grading" / ASSIGNMENT / "summary.md").read_text(encoding="utf-8")


def test_as_root_the_kernel_drops_to_nobody_without_a_user_namespace():
    argv = Sandbox(bwrap="bwrap", readonly=["/opt/py"], uid=65534).argv(
        ["python"], ["/w/home"], "/w/nb", binds={"/w/nb": "/w/run"}
    )
    assert "--unshare-user" not in argv, "a user namespace made by root maps the kernel back to uid 0 outside"
    tail = argv[argv.index("--") + 1 :]
    assert tail[:3] == ["setpriv", "--reuid=65534", "--regid=65534"] and "--no-new-privs" in tail
    assert tail[-1] == "python"
    assert {"--unshare-net", "--unshare-pid", "--die-with-parent"} <= set(argv)
    assert argv[argv.index("--chdir") + 1] == "/w/nb"
    assert ["--bind", "/w/run", "/w/nb"] == argv[argv.index("/w/run") - 1 : argv.index("/w/run") + 2]


def test_as_another_user_the_kernel_keeps_that_uid_in_a_user_namespace():
    argv = Sandbox(bwrap="bwrap", readonly=[], uid=None).argv(["python"], [], "/w")
    assert "--unshare-user" in argv and "setpriv" not in argv


FEATURES_IN_THE_SANDBOX = """
import os, numpy as np
from course_utils import features
texts = ["eres un tarado", "qué buen partido", "buen partido hoy", "tarado tú"] * 3
hit = features.tfidf_features(texts, max_features=20)[0]
miss = features.tfidf_features(texts + ["otro"], max_features=20)[0]
entry = next(p for p in os.listdir(features.cache_dir()) if p.startswith("tfidf-"))
try:
    open(os.path.join(features.cache_dir(), entry), "ab").close()
    written = "sí"
except OSError:
    written = "no"
print(f"{float(hit.sum()):.6f} {miss.shape[0]} {written} {sorted(os.listdir(features.cache_dir()))}")
"""


def test_kernels_read_the_course_feature_cache_and_cannot_write_it(tmp_path, monkeypatch):
    """A grading kernel reads the features earlier runs cached (ch04 computed them in every
    kernel: 4 s of 10), computes those it misses without error, and cannot change an entry
    another student's kernel would read."""
    from course_utils import features
    from course_utils.tools.grading.kernel import kernel_environment

    cache = tmp_path / "cache"
    monkeypatch.setenv(features.CACHE_ENV, str(cache))
    texts = ["eres un tarado", "qué buen partido", "buen partido hoy", "tarado tú"] * 3
    expected = features.tfidf_features(texts, max_features=20)[0]
    entries = sorted(p.name for p in cache.iterdir())
    sandbox = Sandbox.for_grading().for_student()
    assert sandbox.cache == str(cache.resolve())
    env = kernel_environment({"PATH": os.environ["PATH"]}, tmp_path, cache=sandbox.cache)
    argv = sandbox.argv([sys.executable, "-c", FEATURES_IN_THE_SANDBOX], [], "/tmp", scratch=["/tmp/home"], disk_mb=64)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    total, rows, written, listed = done.stdout.split(" ", 3)
    assert float(total) == pytest.approx(float(expected.sum()), abs=1e-5)
    assert int(rows) == len(texts) + 1 and written == "no" and listed.strip() == repr(entries)
    assert sorted(p.name for p in cache.iterdir()) == entries
