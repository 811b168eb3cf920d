"""Every solution notebook executes in FAST mode, offline, and its checked outputs
are reproducible (nbval). One test per notebook, so a failure names it."""
import os
import subprocess
import sys

import pytest

from conftest import CHAPTERS, guarded_env


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_executes_in_fast_mode(executed, chapter):
    result, path, _ = executed[chapter]
    assert result.status == "ok", f"{chapter} failed:\n{result.error}"
    assert path.exists()
    assert result.metrics, f"{chapter} recorded no metric for the course report"


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_opens_no_network_connection(executed, chapter):
    _, _, log = executed[chapter]
    attempts = log.read_text().strip()
    assert attempts == "", f"{chapter} tried to reach the network:\n{attempts}"


def test_network_guard_blocks_and_logs(tmp_path):
    """The guard the notebook tests rely on really refuses outbound connections."""
    log = tmp_path / "guard.log"
    code = (
        "import socket\n"
        "for target in [('10.255.255.1', 80), ('example.org', 443)]:\n"
        "    try:\n"
        "        socket.create_connection(target, timeout=1)\n"
        "    except OSError as err:\n"
        "        print('blocked', err)\n"
        "    else:\n"
        "        raise SystemExit('connection was allowed')\n"
    )
    env = os.environ | guarded_env(log)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = log.read_text().splitlines()
    assert any("10.255.255.1" in line for line in lines) and any("example.org" in line for line in lines)


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_checked_outputs_are_reproducible_nbval(executed, chapter, tmp_path):
    """Re-run the executed notebook with nbval; cells tagged nbval-check-output must match."""
    result, path, _ = executed[chapter]
    if result.status != "ok":
        pytest.fail(f"{chapter} did not execute, nothing to validate")
    env = os.environ | {"COURSE_FAST": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
         "-q", "--rootdir", str(tmp_path), str(path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
