"""Limits for running one student's notebook: wall-clock and per-cell time, memory, file
size, processes, printed output, no network, a stripped environment and a scratch folder.

What this protects is stated in the README ("For instructors → Grading"): the limits are
enforced by the operating system (``setrlimit``) for the grading process and the notebook
kernel it starts; the network guard is a Python-level guard (a determined student can get
round it with ``ctypes``); a container is the next step on a shared grading server.
"""
from __future__ import annotations

import functools
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .zygote import Zygote

NETGUARD_DIR = Path(__file__).parent / "netguard"

# Variables a notebook may see; everything else (tokens, cloud keys, the instructor's paths)
# is dropped.
_KEPT = ("PATH", "LANG", "LC_ALL", "TZ", "TERM",
         "COURSE_DATA_DIR", "COURSE_CACHE_DIR", "COURSE_CAPTIONS_DIR", "COURSE_AGGRESSION_DIR")


@dataclass(frozen=True)
class GradingLimits:
    """Per-student limits. Times in seconds, sizes in MiB."""

    cell_timeout: int = 60
    notebook_timeout: int = 600
    memory_mb: int = 4096
    file_size_mb: int = 256
    max_processes: int = 512
    max_output_lines: int = 1000

    def nbgrader_options(self) -> list[str]:
        """nbgrader traits that enforce the per-cell limits inside ``nbgrader autograde``."""
        return [f"--Execute.timeout={self.cell_timeout}", "--Execute.interrupt_on_timeout=True",
                f"--LimitOutput.max_lines={self.max_output_lines}", "--LimitOutput.max_traceback=100"]


def sandbox_environment(home: Path, extra: dict[str, str] | None = None, threads: int = 1) -> dict[str, str]:
    """A minimal environment: no secrets, ``HOME`` in the scratch folder, FAST mode, the
    network guard on ``PYTHONPATH``, no GPU, and ``threads`` math threads (so that parallel
    workers do not oversubscribe the cores)."""
    env = {k: os.environ[k] for k in _KEPT if k in os.environ}
    env.update({
        "HOME": str(home), "TMPDIR": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "IPYTHONDIR": str(home / ".ipython"), "MPLCONFIGDIR": str(home / ".matplotlib"),
        "PYTHONPATH": str(NETGUARD_DIR), "COURSE_FAST": "1", "CUDA_VISIBLE_DEVICES": "",
        "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1",
        "COURSE_NETGUARD_LOG": str(home / "network-attempts.log"),
        "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
    })
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    env.update(extra or {})
    return env


UNPRIVILEGED_UID = UNPRIVILEGED_GID = 65534       # "nobody" on Debian and most Linux systems


def become_nobody() -> None:
    """Switch this process to the unprivileged user (it must be root)."""
    os.setgroups([])
    os.setgid(UNPRIVILEGED_GID)
    os.setuid(UNPRIVILEGED_UID)


@functools.lru_cache(maxsize=1)
def drops_privileges() -> bool:
    """True when grading runs as root and ``nobody`` can run this Python and import the course:
    each student's run then switches to ``nobody``. (A course under a folder that only root can
    enter cannot be graded as ``nobody``; grading then stays as root, and the README says so.)"""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    try:
        probe = subprocess.run([sys.executable, "-c", "import course_utils.checks, nbgrader"], cwd="/",
                               preexec_fn=become_nobody, capture_output=True, timeout=60,
                               env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


def hand_over(path: Path) -> None:
    """Give the unprivileged user ownership of a scratch folder (no-op unless running as root)."""
    if not drops_privileges():
        return
    for item in [path, *path.rglob("*")]:
        os.chown(item, UNPRIVILEGED_UID, UNPRIVILEGED_GID, follow_symlinks=False)


def apply_limits(limits: GradingLimits, drop: bool) -> None:
    """Set the resource limits of this process and, if ``drop``, become ``nobody`` (root is
    exempt from ``RLIMIT_NPROC`` and can read everything)."""
    mib = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes,) * 2)
    if drop:
        become_nobody()


@dataclass
class SandboxResult:
    returncode: int | None
    seconds: float
    timed_out: bool
    output: str


def run_limited(command: list[str], cwd: Path, env: dict[str, str], limits: GradingLimits,
                zygote: "Zygote | None" = None) -> SandboxResult:
    """Run ``command`` in its own session under ``limits``; on the wall-clock limit the whole
    process group is killed. The combined output is kept (its last 20,000 characters).

    With a :class:`~.zygote.Zygote`, a ``python -m nbgrader …`` command is forked from that
    warm helper instead of starting a new interpreter (same limits, same isolation)."""
    start = time.perf_counter()
    log = cwd / "grading-output.log"
    drop = drops_privileges()
    if zygote is not None and command[:3] == [sys.executable, "-m", "nbgrader"]:
        returncode, timed_out = zygote.run(command[3:], cwd, env, limits, log, drop)
    else:
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=lambda: apply_limits(limits, drop))
            timed_out = False
            try:
                proc.wait(timeout=limits.notebook_timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                kill_process_group(proc.pid)      # kernels and anything else left in the session
                proc.wait()
            returncode = proc.returncode
    with open(log, "rb") as fh:
        fh.seek(max(0, log.stat().st_size - 20_000))
        text = fh.read().decode("utf-8", errors="replace")
    return SandboxResult(returncode, time.perf_counter() - start, timed_out, text)


def kill_process_group(pid: int) -> None:
    """SIGKILL every process in the group led by ``pid`` (gone already: nothing to do)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
