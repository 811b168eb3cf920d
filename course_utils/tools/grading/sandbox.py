"""The operating-system sandbox for students' notebook kernels, built from bubblewrap (bwrap).

Each kernel runs in its own network namespace (only a loopback: nothing outside is reachable,
whatever module or ``ctypes`` call is used), its own PID namespace (processes it leaves
behind, daemons included, die with it; nobody else's processes are visible), on a read-only
view of the system (``/usr``, ``/etc``), the Python installation, the ``course_utils`` package
and the course data. What it may write lies on one size-limited ``tmpfs`` made for each start
of the kernel (its ``/tmp``, which holds its working folder and its home when they lie under
``/tmp``, as they do in a grading batch), plus a small ``/dev/shm``: the student's disk quota,
empty at every start, gone when the kernel ends. It never sees the course tree, a gradebook,
another workspace or the grader's home. It never runs as root: under a root grader it switches
to a uid of its own (:func:`student_uid`: one per student, so that ``RLIMIT_NPROC`` counts that
student's processes only) inside the sandbox (``setpriv``, no capabilities, no new privileges);
under another user it keeps that user's uid in a user namespace.

nbgrader and every gradebook stay outside; the kernel talks to nbgrader over ZeroMQ ``ipc``
sockets in a folder shared with the sandbox (see :mod:`.kernel`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

NETGUARD_DIR = Path(__file__).parent / "netguard"
SANDBOX_UID = SANDBOX_GID = 65534  # "nobody" on Debian and most Linux systems (the probe's uid)
# Each student's kernel runs under a uid of its own drawn from this range (no passwd entry needed:
# setpriv and the kernel take numeric ids), so that one student's processes never count against
# another's RLIMIT_NPROC, in this batch or in another one running beside it.
STUDENT_UID_BASE, STUDENT_UID_SPAN = 200_000, 1 << 24
SHM_MB = 64  # /dev/shm (POSIX semaphores, shared memory): a tmpfs of its own, at most this size
BWRAP_ENV = "COURSE_BWRAP"  # path of bwrap (tests point it at nothing)
_SYSTEM = ("/usr", "/etc", "/opt")
_MERGED = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or cannot start a sandbox here; the message says why (es / en)."""


def bwrap_path() -> str | None:
    """The bwrap executable (``$COURSE_BWRAP`` or ``bwrap`` on PATH), or None."""
    name = os.environ.get(BWRAP_ENV, "bwrap")
    return shutil.which(name)


def student_uid() -> int:
    """A fresh uid for one student's kernels (random in a range no system account uses)."""
    return STUDENT_UID_BASE + secrets.randbelow(STUDENT_UID_SPAN)


def _real(path: str | Path) -> str:
    return os.path.realpath(path)


def _python_paths() -> list[str]:
    """What a kernel needs to import Python, the course package and its dependencies."""
    import course_utils

    paths = {_real(sys.base_prefix), _real(sys.prefix), _real(Path(course_utils.__file__).parent)}
    return sorted(paths)


@dataclass
class Sandbox:
    """How kernels are sandboxed: what they read, where they write, which uid they run as."""

    bwrap: str
    readonly: list[str] = field(default_factory=list)
    uid: int | None = SANDBOX_UID  # None: keep the grader's (non-root) uid
    cache: str = ""  # the course's feature cache, read-only inside ("": none; kernels compute)

    @classmethod
    def for_grading(cls, data_dir: Path | None = None, bwrap: str | None = None) -> Sandbox:
        """The sandbox for grading with this Python: read-only system, Python, course_utils,
        ``data_dir`` (default: the course data) and the course's feature cache; raise :class:`SandboxUnavailable` without bwrap."""
        from ...config import cache_dir as course_cache
        from ...config import data_dir as course_data

        found = bwrap or bwrap_path()
        if found is None:
            raise SandboxUnavailable(
                "no se encuentra bubblewrap (bwrap): instálelo (apt-get install bubblewrap) o califique sin "
                "aislamiento con --no-sandbox / bubblewrap (bwrap) was not found: install it or pass --no-sandbox"
            )
        data = _real(data_dir or course_data())
        readonly = _python_paths() + ([data] if os.path.isdir(data) else [])
        # features computed from the course data by earlier runs (content-keyed, read-only: no
        # student can write an entry another one reads); without it each kernel computes them
        cache = _real(course_cache())
        if os.path.isdir(cache):
            readonly.append(cache)
        return cls(
            bwrap=found,
            readonly=readonly,
            uid=SANDBOX_UID if os.geteuid() == 0 else None,
            cache=cache if os.path.isdir(cache) else "",
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Sandbox:
        return cls(**json.loads(text))

    def for_student(self) -> Sandbox:
        """This sandbox with a uid of the student's own (:func:`student_uid`) under a root
        grader; unchanged under another user (whose uid the kernels keep)."""
        return self if self.uid is None else replace(self, uid=student_uid())

    def argv(
        self,
        command: list[str],
        writable: list[str],
        workdir: str,
        binds: dict[str, str] | None = None,
        scratch: list[str] | None = None,
        disk_mb: int | None = None,
        readonly: list[str] | None = None,
    ) -> list[str]:
        """``command`` wrapped in bwrap: the read-only paths (the sandbox's and ``readonly``),
        ``writable`` host folders (same path inside), ``binds`` (inside path → outside folder,
        writable), ``scratch`` folders made empty and writable inside (on ``/tmp`` when they lie
        under it, else each on a tmpfs of its own), started in ``workdir``.

        ``disk_mb`` limits the sandbox's ``/tmp`` (and so whatever scratch folder lies under it)
        to that many MiB, and ``/dev/shm`` to at most :data:`SHM_MB`; nothing the kernel writes
        there reaches the grader's disk."""
        scratch = list(scratch or [])
        size = ["--size", str(disk_mb * 1024 * 1024)] if disk_mb else []
        shm = ["--size", str(min(disk_mb, SHM_MB) * 1024 * 1024)] if disk_mb else []
        args = [
            self.bwrap,
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "calificacion",
        ]
        if self.uid is None:
            args += ["--unshare-user"]
        for path in _SYSTEM:
            if os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in _MERGED:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        args += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--perms",
            "1777",
            *shm,
            "--tmpfs",
            "/dev/shm",
            "--perms",
            "1777",
            *size,
            "--tmpfs",
            "/tmp",
        ]
        extra_readonly = list(readonly or [])
        targets = [*self.readonly, *extra_readonly, *writable, *(binds or {}), *scratch]
        for folder in _ancestors(targets):  # traversable, whatever the modes outside (/root is 0700)
            if folder not in scratch:
                args += ["--perms", "0755", "--dir", folder]
        for folder in scratch:
            if _under_tmp(folder):
                args += ["--perms", "1777", "--dir", folder]
            else:
                args += ["--perms", "1777", *size, "--tmpfs", folder]
        for path in [*self.readonly, *extra_readonly]:
            args += ["--ro-bind", path, path]
        for path in writable:
            args += ["--bind", path, path]
        for inside, outside in (binds or {}).items():
            args += ["--bind", outside, inside]
        args += ["--chdir", workdir, "--"]
        if self.uid is not None:
            args += [
                "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.uid}",
                "--clear-groups",
                "--no-new-privs",
                "--bounding-set=-all",
                "--inh-caps=-all",
            ]
        return args + command

    def hand_over(self, *paths: Path) -> None:
        """Give the sandbox's uid the folders it writes to (no-op when it keeps the grader's)."""
        if self.uid is None:
            return
        for top in paths:
            for item in [top, *top.rglob("*")]:
                os.chown(item, self.uid, self.uid, follow_symlinks=False)


def _under_tmp(path: str) -> bool:
    return Path(path).is_relative_to("/tmp") and Path(path) != Path("/tmp")


def _ancestors(paths: list[str]) -> list[str]:
    """The folders above ``paths`` that the sandbox must create, shallowest first."""
    found = {
        str(parent)
        for path in paths
        for parent in Path(path).parents
        if str(parent) not in ("/", "/tmp") and not str(parent).startswith(_SYSTEM)
    }
    return sorted(found, key=lambda p: (p.count("/"), p))


# Run in the sandbox by :func:`probe`: the interpreter and the course import, the uid is not
# root, nothing outside is reachable.
_PROBE = r"""
import os, socket, sys
import course_utils.checks, ipykernel
assert os.getuid() != 0 and os.geteuid() != 0, "uid 0"
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("192.0.2.1", 80))
except OSError:
    pass
else:
    sys.exit("network reachable")
print("ok")
"""


USERNS_HELP = "docs/instructors.md, «Grading on Ubuntu 23.10 or later»"
_NAMESPACE_WORDS = (
    "namespace",
    "uid map",
    "setting up uid",
    "rtm_newaddr",
    "operation not permitted",
    "permission denied",
    "creating new namespace",
)


def _sysctl(proc_sys: Path, name: str) -> str | None:
    try:
        return (proc_sys / name).read_text().strip()
    except OSError:
        return None


def probe_failure(detail: str, proc_sys: Path = Path("/proc/sys")) -> str:
    """The probe's failure in words that name its real cause: the course's Python or package not
    importable inside the sandbox, user namespaces refused (AppArmor's restriction on Ubuntu ≥ 23.10,
    or a kernel setting), a uid 0 inside, the network reachable, or bwrap's own message."""
    low = detail.lower()
    tail = (
        " — o califique sin aislamiento con --no-sandbox / the sandbox cannot start here; fix it or pass --no-sandbox"
    )
    missing = re.search(r"No module named '([\w.]+)'", detail)
    if missing:
        return (
            f"el aislamiento arranca, pero dentro no se puede importar {missing.group(1)!r}: el entorno de Python "
            f"del curso ({sys.prefix}) o el paquete course_utils están en una ruta que el aislamiento no monta "
            f"(instale el curso en un entorno bajo /usr, /opt, /home o la carpeta del curso, sin enlaces fuera de "
            f"ellas); bubblewrap funciona. Detalle: {detail[-200:]}" + tail
        )
    if any(word in low for word in _NAMESPACE_WORDS):
        if _sysctl(proc_sys, "kernel/apparmor_restrict_unprivileged_userns") == "1":
            cause = (
                "AppArmor impide a los programas sin perfil crear espacios de nombres de usuario "
                "(kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 23.10 o posterior): dé a bwrap un perfil "
                f"que lo permita ({USERNS_HELP})"
            )
        elif _sysctl(proc_sys, "kernel/unprivileged_userns_clone") == "0":
            cause = "el núcleo no permite espacios de nombres de usuario sin privilegios (kernel.unprivileged_userns_clone=0)"
        elif _sysctl(proc_sys, "user/max_user_namespaces") == "0":
            cause = "el núcleo no permite espacios de nombres de usuario (user.max_user_namespaces=0)"
        else:
            cause = (
                "bwrap no puede crear espacios de nombres (dentro de un contenedor, su perfil seccomp o AppArmor "
                f"lo impide: {USERNS_HELP})"
            )
        return f"el aislamiento (bubblewrap) no puede arrancar: {cause}. Mensaje de bwrap: {detail[-200:]}" + tail
    if "uid 0" in detail:
        return (
            "dentro del aislamiento el núcleo corre como root (uid 0): califique como un usuario sin privilegios" + tail
        )
    if "network reachable" in detail:
        return "dentro del aislamiento la red es accesible: bwrap no aisló la red" + tail
    return f"el aislamiento (bubblewrap) no funciona en esta máquina: {detail}" + tail


def probe(sandbox: Sandbox, scratch: Path) -> float:
    """Start one sandbox as a kernel would be started; return the seconds it took, or raise
    :class:`SandboxUnavailable` saying why it cannot be used."""
    scratch.mkdir(parents=True, exist_ok=True)
    sandbox.hand_over(scratch)
    command = sandbox.argv([sys.executable, "-I", "-c", _PROBE], [str(scratch)], str(scratch))
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"},
        )
    except (OSError, subprocess.SubprocessError) as err:
        done = None
        detail = str(err)
    seconds = time.perf_counter() - start
    if done is None or done.returncode != 0 or done.stdout.strip() != "ok":
        if done is not None:
            detail = (done.stderr.strip() or done.stdout.strip())[-400:]
        raise SandboxUnavailable(probe_failure(detail))
    return seconds


def start_overhead(sandbox: Sandbox, scratch: Path, runs: int = 5) -> float:
    """What the sandbox adds to starting one kernel: the median time of a Python start inside
    bwrap minus the median outside (seconds; each student starts one kernel, more on restarts)."""
    scratch.mkdir(parents=True, exist_ok=True)
    sandbox.hand_over(scratch)
    plain = [sys.executable, "-c", "pass"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(scratch)}

    def median_seconds(command: list[str]) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, check=True, env=env, capture_output=True)
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    return median_seconds(sandbox.argv(plain, [str(scratch)], str(scratch))) - median_seconds(plain)
