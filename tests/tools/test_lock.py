"""course_utils/tools/lock.py: ``course lock`` re-resolves constraints.txt for every platform."""

from __future__ import annotations

from course_utils.tools import cli, lock


def test_the_lock_is_universal_with_both_extras_from_python_3_10(monkeypatch):
    ran = []
    monkeypatch.setattr(lock, "foreground", lambda command, cwd=None: ran.append(command) or 0)
    assert cli.main(["lock"]) == 0
    (command,) = ran
    assert command[1:5] == ["-m", "uv", "pip", "compile"] and "--universal" in command
    assert command[command.index("-o") + 1] == "constraints.txt"
    assert command[command.index("--python-version") + 1] == "3.10"
    assert [command[i + 1] for i, a in enumerate(command) if a == "--extra"] == ["dev", "instructor"]
    assert command[command.index("--custom-compile-command") + 1] == "python run.py lock"
