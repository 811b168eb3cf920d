"""Run one ``nbgrader autograde`` process under :class:`~.limits.GradingLimits`: a stripped
environment, its own session, the wall-clock limit, and the whole process group killed at the
end. nbgrader itself is trusted and runs as the grader; only the notebook kernel it starts is
untrusted, and that runs in the sandbox (:mod:`.sandbox`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..environment import math_thread_limits
from ..release import NBGRADER
from .limits import GradingLimits, apply_limits
from .sandbox import NETGUARD_DIR

if TYPE_CHECKING:
    from .zygote import Zygote

# Variables a notebook may see; everything else (tokens, cloud keys, the instructor's paths)
# is dropped.
_KEPT = ("PATH", "LANG", "LC_ALL", "TZ", "TERM", "COURSE_DATA_DIR", "COURSE_CAPTIONS_DIR", "COURSE_AGGRESSION_DIR")
NETWORK_LOG = "network-attempts.log"


def grading_environment(home: Path, extra: dict[str, str] | None = None, threads: int = 1) -> dict[str, str]:
    """A minimal environment: no secrets, ``HOME`` and caches in the scratch folder, FAST mode,
    the network guard on ``PYTHONPATH`` (it reports attempts; the sandbox blocks them), no GPU,
    and ``threads`` math threads (so that parallel workers do not oversubscribe the cores)."""
    env = {k: os.environ[k] for k in _KEPT if k in os.environ}
    env.update(
        {
            "HOME": str(home),
            "TMPDIR": str(home),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / ".matplotlib"),
            "COURSE_CACHE_DIR": str(home / "cache"),
            "PYTHONPATH": str(NETGUARD_DIR),
            "COURSE_FAST": "1",
            "CUDA_VISIBLE_DEVICES": "",
            "HF_HUB_OFFLINE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONDONTWRITEBYTECODE": "1",
            "COURSE_NETGUARD_LOG": str(home / NETWORK_LOG),
            **math_thread_limits(threads),
        }
    )
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    env.update(extra or {})
    return env


@dataclass
class RunResult:
    returncode: int | None
    seconds: float
    timed_out: bool
    output: str


def run_limited(
    command: list[str], cwd: Path, env: dict[str, str], limits: GradingLimits, zygote: Zygote | None = None
) -> RunResult:
    """Run ``command`` in its own session under ``limits``; on the wall-clock limit the whole
    process group is killed. The combined output is kept (its last 20,000 characters).

    With a :class:`~.zygote.Zygote`, an nbgrader command (:func:`~..release.nbgrader_command`) is forked from that
    warm helper instead of starting a new interpreter (same limits, same environment)."""
    start = time.perf_counter()
    log = cwd / "grading-output.log"
    if zygote is not None and command[: len(NBGRADER)] == NBGRADER:
        returncode, timed_out = zygote.run(command[len(NBGRADER) :], cwd, env, limits, log)
    else:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda: apply_limits(limits),
            )
            timed_out = False
            try:
                proc.wait(timeout=limits.notebook_timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                kill_process_group(proc.pid)  # kernels and anything else left in the session
                proc.wait()
            returncode = proc.returncode
    with open(log, "rb") as fh:
        fh.seek(max(0, log.stat().st_size - 20_000))
        text = fh.read().decode("utf-8", errors="replace")
    return RunResult(returncode, time.perf_counter() - start, timed_out, text)


def kill_process_group(pid: int) -> None:
    """SIGKILL every process in the group led by ``pid`` (gone already: nothing to do)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
