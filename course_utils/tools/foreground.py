"""Run another program in the foreground (pytest, ruff, uv) and pass its exit status on."""

from __future__ import annotations

import subprocess
from pathlib import Path


def foreground(command: list[str], cwd: Path | None = None) -> int:
    """Run ``command`` and return its exit status. Ctrl+C reaches it too (the terminal signals
    the whole process group); this process then waits for it to finish, e.g. for pytest's summary."""
    process = subprocess.Popen(command, cwd=cwd)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue
