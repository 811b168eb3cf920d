"""``course grade``: one sub-command per action, each refusing options it would ignore; every
per-student limit settable, its default the limits dataclass's."""

from __future__ import annotations

import dataclasses

import pytest

from course_utils.tools import cli
from course_utils.tools.grading import autograde
from course_utils.tools.grading.limits import GradingLimits


@pytest.fixture
def graded_with(monkeypatch):
    """The limits and options `course grade autograde` hands to the grader (nothing is graded)."""
    seen = {}

    def fake(root, assignment, students, db_url, jobs, limits, sandboxed, extra_files):
        seen.update(limits=limits, jobs=jobs, students=students, sandboxed=sandboxed, extra_files=extra_files)
        return []

    monkeypatch.setattr(autograde, "grade_submissions", fake)
    monkeypatch.setattr(autograde, "check_gradebook", lambda db_url, assignment: [])
    return seen


def test_every_limit_is_an_option_with_the_dataclass_default(graded_with, tmp_path):
    assert cli.main(["grade", "autograde", "01", "--course-root", str(tmp_path)]) == 0
    assert graded_with["limits"] == GradingLimits()


def test_each_limit_set_on_the_command_line_reaches_the_grader(graded_with, tmp_path):
    fields = dataclasses.fields(GradingLimits)
    argv = ["grade", "autograde", "01", "--course-root", str(tmp_path), "--jobs", "3", "--no-sandbox"]
    for i, limit in enumerate(fields):
        argv += ["--" + limit.name.replace("_", "-"), str(1000 + i)]
    assert cli.main(argv) == 0
    assert graded_with["limits"] == GradingLimits(**{f.name: 1000 + i for i, f in enumerate(fields)})
    assert graded_with["jobs"] == 3 and graded_with["sandboxed"] is False


def test_each_collect_limit_is_an_option_with_the_dataclass_default(monkeypatch, tmp_path):
    from course_utils.tools.grading import collect

    seen = []

    def fake(source, root, assignment, limits, time_from):
        seen.append(limits)
        return collect.Collected(taken=[], skipped=[])

    monkeypatch.setattr(collect, "collect_tree", fake)
    base = ["grade", "collect", "01", "--course-root", str(tmp_path), "--source", str(tmp_path)]
    assert cli.main(base) == 0
    fields = dataclasses.fields(collect.CollectLimits)
    argv = [*base]
    for i, limit in enumerate(fields):
        argv += ["--" + limit.name.replace("_", "-"), str(7 + i)]
    assert cli.main(argv) == 0
    assert seen == [collect.CollectLimits(), collect.CollectLimits(**{f.name: 7 + i for i, f in enumerate(fields)})]


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "01", "--jobs", "2"],
        ["feedback", "01", "--memory-mb", "10"],
        ["collect", "01", "--student", "ana"],
        ["release", "01", "--source", "entregas"],
        ["similarity", "01", "--no-sandbox"],
    ],
)
def test_an_option_the_action_ignores_is_refused(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["grade", *argv])
    assert stop.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


def test_an_action_is_required(capsys):
    with pytest.raises(SystemExit):
        cli.main(["grade"])
