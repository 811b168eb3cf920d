"""The kernel manager nbgrader uses while grading: it starts each notebook kernel inside the
sandbox (:mod:`.sandbox`) and talks to it over ZeroMQ ``ipc`` sockets, because TCP on the
loopback does not cross network namespaces.

Nothing the student handed in beside the notebook reaches the kernel, and nothing the kernel
wrote survives a restart. At every start (the first one and each automatic restart after a
kernel death) the kernel gets:

- a working folder, a home and a ``/tmp`` that are empty ``tmpfs`` folders of the sandbox
  (one disk quota, :attr:`SandboxedKernelManager.disk_mb`), into which only the assignment's
  notebooks (a trusted copy from the workspace) and the files the assignment declares
  (:attr:`SandboxedKernelManager.extra_files`, none by default) are copied before Python
  starts: a handed-in ``ipykernel_launcher.py``, ``sitecustomize.py``, ``torch.py`` or an
  IPython startup file written during the previous run is simply not there;
- Python started with ``-P -s`` (no working folder, no user site on ``sys.path``) and an
  environment with no ``PYTHON*`` variable of the grader's but ``PYTHONPATH`` = the network
  guard (read-only), ``IPYTHONDIR`` and every config folder inside the fresh home;
- the ``ipc`` folder (its sockets, the connection file, the network guard's log — the only
  things the grader reads back) writable only until the kernel has bound its sockets: before
  any student code runs it is locked (root-owned, read-only), so nothing can be planted there.

The kernel's own stdout/stderr go to a file of the grader's (``kernel-output.log``), never into
nbgrader's log, whose lines decide the reasons reported to the teacher.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, Unicode

from .limits import GradingLimits
from .memory import MEMORY_LOG, start_watch
from .process import NETWORK_LOG
from .sandbox import NETGUARD_DIR, Sandbox
from .workspace import copy_regular_file, remove_tree

SANDBOXED = "course_utils.tools.grading.kernel.SandboxedKernelManager"
UNSANDBOXED = "jupyter_client.manager.AsyncKernelManager"  # course grade --no-sandbox only
KERNEL_HOME = "/tmp/home"  # the kernel's HOME inside the sandbox (on its /tmp quota)
KERNEL_INPUT = "kernel-input"  # the workspace folder holding what is copied into the kernel's folder
KERNEL_OUTPUT = "kernel-output.log"  # the kernel's own stdout/stderr, in the workspace (grader-owned)
KERNEL_EXITS = "kernel-exits.log"  # exit status of each kernel that ended by itself (one per line)
STUDENT_USER = "estudiante"  # USER/LOGNAME of the kernel: its uid has no passwd entry
# Variables of the grader's environment that could make the kernel's Python or IPython load code
# or configuration from somewhere: dropped, then set again (below) to safe values.
_UNSAFE_PREFIXES = ("PYTHON", "LD_", "JUPYTER", "IPYTHON", "MPL", "MATPLOTLIB")
_UNSAFE = {"BASH_ENV", "ENV", "PERL5LIB", "PERL5OPT", "RUBYOPT", "NODE_OPTIONS"}
# Copy what was staged into the (empty) working folder, then start the kernel in its place.
_PRELUDE = 'cp -R -- "$0"/. . 2>/dev/null; exec "$@"'


def kernel_environment(env: dict[str, str], ipc: Path, home: str = KERNEL_HOME, cache: str = "") -> dict[str, str]:
    """The kernel's environment from nbgrader's: no variable that could load code or config
    from the student's reach, every home-like folder inside ``home`` (empty at each start), the
    network guard's log in ``ipc``, the working folder kept off ``sys.path``, the feature cache
    ``cache`` (read-only in the sandbox; default: one inside ``home``)."""
    old_home = env.get("HOME", "")
    kept = {
        key: (home + value[len(old_home) :] if old_home and value.startswith(old_home) else value)
        for key, value in env.items()
        if not key.startswith(_UNSAFE_PREFIXES) and key not in _UNSAFE
    }
    kept.update(
        {
            "HOME": home,
            "TMPDIR": "/tmp",
            "USER": STUDENT_USER,
            "LOGNAME": STUDENT_USER,
            "IPYTHONDIR": f"{home}/.ipython",
            "JUPYTER_CONFIG_DIR": f"{home}/.jupyter",
            "JUPYTER_DATA_DIR": f"{home}/.local/share/jupyter",
            "JUPYTER_RUNTIME_DIR": f"{home}/.local/share/jupyter/runtime",
            "MPLCONFIGDIR": f"{home}/.matplotlib",
            "PYTHONPATH": str(NETGUARD_DIR),
            "PYTHONSAFEPATH": "1",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "COURSE_NETGUARD_LOG": str(ipc / NETWORK_LOG),
            "COURSE_CACHE_DIR": cache or f"{home}/cache",
        }
    )
    return kept


def safe_python(command: list[str]) -> list[str]:
    """The kernel command with ``-P -s`` after the interpreter: the working folder never goes
    on ``sys.path`` (a handed-in ``ipykernel_launcher.py`` would run instead of ipykernel's),
    nor the user's site-packages."""
    if not command or not Path(command[0]).name.startswith("python"):
        raise ValueError(f"the kernel command does not start with a Python interpreter: {command!r}")
    return [command[0], "-P", "-s", *command[1:]]


class SandboxedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernels run in the bwrap sandbox."""

    sandbox = Unicode("", config=True, help="the Sandbox, as JSON (Sandbox.to_json)")
    workspace = Unicode("", config=True, help="the student's grading workspace (outside the sandbox)")
    submission = Unicode("", config=True, help="the folder holding the notebooks handed in (the workspace's copy)")
    notebooks = List(Unicode(), config=True, help="file names of the assignment's notebooks")
    extra_files = List(
        Unicode(), config=True, help="other files the assignment declares (relative to the notebook's folder)"
    )
    disk_mb = Integer(1024, config=True, help="the kernel's disk quota: working folder, home and /tmp (MiB)")
    memory_mb = Integer(
        GradingLimits.memory_mb, config=True, help="what the sandbox's processes may hold together (MiB)"
    )
    ready_timeout = Integer(120, config=True, help="seconds for a new kernel to create its sockets")

    def _standalone(self, cwd: Path) -> None:
        """Plain ``nbgrader autograde`` and formgrader's button (no ``course grade`` workspace):
        a private scratch folder, the grading sandbox with a uid of its own, and the notebooks
        of the folder nbgrader runs in as the only files that enter. Fails closed (no bwrap: no
        kernel, with the reason)."""
        if not self.workspace:
            self.workspace = tempfile.mkdtemp(prefix="course-kernel-")
        if not self.sandbox:
            self.sandbox = Sandbox.for_grading().for_student().to_json()
        if not self.submission:
            self.submission = str(cwd)
            self.notebooks = sorted(p.name for p in cwd.glob("*.ipynb") if p.is_file() and not p.is_symlink())

    def _folder(self, name: str) -> Path:
        path = Path(self.workspace) / name
        if not path.is_dir():
            path.mkdir(parents=True)
        return path

    async def _async_pre_start_kernel(self, **kw):
        self._standalone(Path(os.path.realpath(kw.get("cwd") or os.getcwd())))
        self.transport = "ipc"
        ipc = self._folder("ipc")
        if not self.connection_file:
            self.connection_file = str(ipc / f"kernel-{uuid.uuid4().hex[:8]}.json")
        self.ip = str(ipc / "k")
        # the kernel is told to stop by a message: a signal to bwrap would kill the sandbox
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    def _stage(self, cwd: Path) -> Path:
        """A fresh folder with what the kernel's working folder starts with: the assignment's
        notebooks (from the workspace's copy of the submission) and the declared extra files
        (from the folder nbgrader prepared), regular files only, readable by the kernel."""
        staging = Path(self.workspace) / KERNEL_INPUT
        remove_tree(staging)
        staging.mkdir()
        os.chmod(staging, 0o755)
        wanted = [(Path(self.submission) / name, name) for name in self.notebooks]
        wanted += [(cwd / rel, rel) for rel in self.extra_files]
        for source, rel in wanted:
            target = staging / rel
            if ".." in Path(rel).parts or Path(rel).is_absolute():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                copy_regular_file(source, target)
            except OSError:
                continue  # missing or not a plain file: nbgrader reports a missing notebook itself
            os.chmod(target, 0o644)
        for folder in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
            os.chmod(folder, 0o755)
        return staging

    def _unlock_ipc(self, sandbox: Sandbox, ipc: Path) -> None:
        """Let the kernel create its sockets in ``ipc``; the network guard's log is a file the
        kernel may append to (and nothing else)."""
        log = ipc / NETWORK_LOG
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        os.chmod(log, 0o600)
        os.chmod(self.connection_file, 0o644)  # read by the kernel; written by nbgrader only
        if sandbox.uid is not None:
            os.chown(log, sandbox.uid, sandbox.uid, follow_symlinks=False)
            os.chown(ipc, sandbox.uid, sandbox.uid, follow_symlinks=False)
        os.chmod(ipc, 0o700 if sandbox.uid is not None else 0o755)

    def _lock_ipc(self, sandbox: Sandbox, ipc: Path) -> None:
        """No new entry in ``ipc`` once the kernel's sockets exist (before any student code)."""
        if sandbox.uid is not None:
            os.chown(ipc, 0, 0, follow_symlinks=False)
        os.chmod(ipc, 0o755 if sandbox.uid is not None else 0o555)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        sandbox = Sandbox.from_json(self.sandbox)
        cwd = os.path.realpath(kw.get("cwd") or os.getcwd())
        ipc = self._folder("ipc")
        staging = self._stage(Path(cwd))
        self._unlock_ipc(sandbox, ipc)
        env = kernel_environment(dict(kw.get("env") or os.environ), ipc, cache=sandbox.cache)
        output = open(Path(self.workspace) / KERNEL_OUTPUT, "ab")  # noqa: SIM115 - closed after the launch
        kw.update(env=env, cwd=str(self.workspace), stdout=output, stderr=output)
        # no parent polling: inside the PID namespace the parent is the sandbox's init (pid 1);
        # the sandbox dies with nbgrader instead (--die-with-parent)
        command = ["/bin/sh", "-c", _PRELUDE, str(staging), *safe_python(kernel_cmd), "--IPKernelApp.parent_handle=0"]
        wrapped = sandbox.argv(
            command,
            [str(ipc)],
            cwd,
            scratch=[cwd, KERNEL_HOME],
            disk_mb=self.disk_mb,
            readonly=[str(staging)],
        )
        try:
            await super()._async_launch_kernel(wrapped, **kw)
        finally:
            output.close()

    async def _async_post_start_kernel(self, **kw) -> None:
        await super()._async_post_start_kernel(**kw)
        sandbox = Sandbox.from_json(self.sandbox)
        sockets = [Path(f"{self.ip}-{port}") for port in self.ports]
        deadline = time.monotonic() + self.ready_timeout
        while not all(p.exists() for p in sockets) and time.monotonic() < deadline:
            if not await self.is_alive():
                break  # a kernel that died at start: nbclient reports it
            await asyncio.sleep(0.05)
        self._lock_ipc(sandbox, self._folder("ipc"))
        process = getattr(self.provisioner, "process", None)
        if process is not None:
            self._memory_watch = start_watch(process.pid, self.memory_mb, Path(self.workspace) / MEMORY_LOG)

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        # a kernel already gone when nbgrader stops or restarts it ended by itself: keep its exit
        # status (bwrap passes the kernel's code on, 128 + N for signal N) for the teacher's reason
        process = getattr(self.provisioner, "process", None)
        watch = getattr(self, "_memory_watch", None)
        if watch is not None and watch.poll() is None:
            watch.terminate()
            watch.wait(timeout=5)
        code = process.poll() if process is not None else None
        if code is not None:
            with open(Path(self.workspace) / KERNEL_EXITS, "a", encoding="utf-8") as fh:
                fh.write(f"{code}\n")
        await super()._async_shutdown_kernel(now=now, restart=restart)


CONFIG_FILE = "nbgrader_config.json"  # beside the workspace's nbgrader_config.py; traitlets loads it after


def unsandboxed_config() -> dict:
    """``course grade --no-sandbox``: the teacher's explicit choice to run kernels without it."""
    return {"ExecuteThenEvaluate": {"kernel_manager_class": UNSANDBOXED}}


def sandboxed_config(
    sandbox: Sandbox,
    workspace: Path,
    submission: Path | None = None,
    notebooks: list[str] | None = None,
    extra_files: list[str] | None = None,
    disk_mb: int = GradingLimits.disk_mb,
    memory_mb: int = GradingLimits.memory_mb,
) -> dict:
    """nbgrader configuration (traitlets' JSON form) that starts kernels in ``sandbox`` with the
    notebooks ``notebooks`` of ``submission`` (and ``extra_files``) in their working folder, on a
    ``disk_mb`` MiB quota, the sandbox's processes holding at most ``memory_mb`` MiB together."""
    return {
        "ExecuteThenEvaluate": {"kernel_manager_class": SANDBOXED},
        "SandboxedKernelManager": {
            "sandbox": sandbox.to_json(),
            "workspace": str(workspace),
            "submission": str(submission or ""),
            "notebooks": list(notebooks or []),
            "extra_files": list(extra_files or []),
            "disk_mb": int(disk_mb),
            "memory_mb": int(memory_mb),
        },
    }


def write_config(workspace: Path, config: dict) -> Path:
    """Write ``config`` as the workspace's ``nbgrader_config.json`` (read by nbgrader after its
    ``nbgrader_config.py``, so these values win)."""
    import json

    path = workspace / CONFIG_FILE
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")
    return path
