"""A warm start for ``python -m nbgrader``: one helper process per grading worker imports
nbgrader and the trusted evaluator once (about 4.5 s of imports, most of it jsonschema building
an IRI grammar, and PyTorch's 2.7 s for the hidden tests' prelude: :func:`warm_up`) and forks a fresh child for each student, which then applies the limits and runs nbgrader exactly
as ``python -m nbgrader …`` would. Neither the helper nor its children run student code (the
notebook kernels do, in the sandbox); each child starts from the same clean, just-imported state.

Protocol (one JSON request per line on stdin): the helper answers ``pid N`` when the child
starts and ``exit RC`` when it ends. The parent enforces the wall-clock limit by killing the
child's process group."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from .limits import GradingLimits, apply_limits
from .process import kill_process_group


class Zygote:
    """A helper process that forks ``python -m nbgrader`` runs on request."""

    def __init__(self, env: dict[str, str]):
        self._buffer = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", __name__],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _line(self, deadline: float | None) -> str | None:
        """The next line from the helper, or None when ``deadline`` passes first."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the nbgrader helper process ended unexpectedly")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def run(
        self, args: list[str], cwd: Path, env: dict[str, str], limits: GradingLimits, log: Path
    ) -> tuple[int | None, bool]:
        """Run ``python -m nbgrader *args`` in a forked child; returns (exit code, timed out)."""
        request = {"args": args, "cwd": str(cwd), "env": env, "log": str(log), "limits": asdict(limits)}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        pid = int(self._line(time.monotonic() + 60).split()[1])
        line = self._line(time.monotonic() + limits.notebook_timeout)
        timed_out = line is None
        kill_process_group(pid)  # on time-out, and kernels left behind in any case
        if timed_out:
            line = self._line(time.monotonic() + 60)
        return int(line.split()[1]), timed_out

    def close(self) -> None:
        if self.alive():
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _child(request: dict) -> None:
    """In the forked child: own session, output to the log, limits, then the module as __main__."""
    import runpy

    code = 1
    try:
        os.setsid()
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(request["cwd"])
        apply_limits(GradingLimits(**request["limits"]))
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["nbgrader", *request["args"]]
        runpy.run_module("nbgrader", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported in the log, like a crash of `python -m`
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def warm_up() -> None:
    """The imports every child would otherwise repeat: nbgrader (jsonschema's grammar), the
    trusted evaluator and what its hidden tests' prelude imports (PyTorch: about 2.7 s per
    student). Importing starts no thread pool, so forking afterwards is safe."""
    import nbclient  # noqa: F401
    import nbgrader.apps.nbgraderapp  # noqa: F401

    from ..nbgrader_main import read_schema_version_in_process
    from .evaluator import execute, save_grades  # noqa: F401
    from .evaluator.hidden import PRELUDE

    read_schema_version_in_process()
    exec(compile(PRELUDE, "<preludio del evaluador>", "exec"), {})  # noqa: S102 - the course's own imports


def main() -> None:
    warm_up()

    for raw in sys.stdin.buffer:
        request = json.loads(raw)
        pid = os.fork()
        if pid == 0:
            _child(request)
        sys.stdout.write(f"pid {pid}\n")
        sys.stdout.flush()
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(f"exit {os.waitstatus_to_exitcode(status)}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
