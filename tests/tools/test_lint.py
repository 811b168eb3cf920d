"""course_utils/tools/lint.py: ``course lint`` runs ruff's check and format check, both always."""

from __future__ import annotations

from course_utils.tools import cli, lint


def test_both_checks_run_and_either_fails_the_lint(monkeypatch):
    for statuses, expected in (
        ({"check": 0, "format": 0}, 0),
        ({"check": 1, "format": 0}, 1),
        ({"check": 0, "format": 2}, 2),
    ):
        commands = []

        def fake(command, cwd=None, statuses=statuses, commands=commands):
            commands.append(command[3:])
            return statuses[command[3]]

        monkeypatch.setattr(lint, "foreground", fake)
        assert cli.main(["lint"]) == expected
        assert commands == [["check", "."], ["format", "--check", "."]]
