"""The warm nbgrader helper: a forked child behaves like `python -m nbgrader` (exit code,
output in the log, limits applied), a run past the wall-clock limit is killed with its whole
process group, and the helper goes on serving the next student."""

from __future__ import annotations

import os
import time

from course_utils.tools.grading.limits import GradingLimits
from course_utils.tools.grading.process import grading_environment, run_limited
from course_utils.tools.grading.zygote import Zygote
from course_utils.tools.release import NBGRADER  # what nbgrader_command runs


def test_child_runs_nbgrader_like_python_m(tmp_path):
    env = grading_environment(tmp_path)
    zygote = Zygote(env)
    try:
        ok = run_limited(NBGRADER + ["--version"], tmp_path, env, GradingLimits(), zygote=zygote)
        assert ok.returncode == 0 and not ok.timed_out
        assert "0.9" in ok.output
        # `nbgrader list` fails: there is no exchange directory here
        bad = run_limited(NBGRADER + ["list"], tmp_path, env, GradingLimits(), zygote=zygote)
        assert bad.returncode not in (0, None)
        plain = run_limited(NBGRADER + ["list"], tmp_path, env, GradingLimits())
        assert plain.returncode == bad.returncode, "the same exit code as a fresh `python -m nbgrader`"
    finally:
        zygote.close()


def test_limits_apply_in_the_child(tmp_path):
    # nbgrader reads nbgrader_config.py from its working directory: use it to look inside the child
    (tmp_path / "nbgrader_config.py").write_text(
        "import resource, os\n"
        "print('AS', resource.getrlimit(resource.RLIMIT_AS)[0], 'HOME', os.environ['HOME'], 'SID', os.getsid(0) == os.getpid())\n"
        "print('PARENT', os.getppid())\n",
        encoding="utf-8",
    )
    env = grading_environment(tmp_path / "home")
    zygote = Zygote(env)
    try:
        result = run_limited(NBGRADER + ["list"], tmp_path, env, GradingLimits(memory_mb=2048), zygote=zygote)
    finally:
        zygote.close()
    assert f"AS {2048 * 1024 * 1024} HOME {tmp_path / 'home'} SID True" in result.output
    assert f"PARENT {zygote.proc.pid}" in result.output, "the course's nbgrader command is forked by the helper"


def test_wall_clock_limit_kills_the_group_and_the_helper_goes_on(tmp_path):
    (tmp_path / "slow").mkdir()
    marker = tmp_path / "grandchild.pid"
    (tmp_path / "slow" / "nbgrader_config.py").write_text(
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(60)\n",
        encoding="utf-8",
    )
    env = grading_environment(tmp_path)
    zygote = Zygote(env)
    try:
        start = time.monotonic()
        slow = run_limited(
            NBGRADER + ["list"], tmp_path / "slow", env, GradingLimits(notebook_timeout=3), zygote=zygote
        )
        assert slow.timed_out and time.monotonic() - start < 30
        grandchild = int(marker.read_text())
        for _ in range(50):  # killed with the group, then reaped by init
            try:
                os.kill(grandchild, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("a process started by the timed-out run survived")
        again = run_limited(NBGRADER + ["--version"], tmp_path, env, GradingLimits(), zygote=zygote)
        assert again.returncode == 0 and zygote.alive()
    finally:
        zygote.close()
