"""Every solution notebook executes in FAST mode, offline, and its checked outputs are the
stored ones. Each notebook is executed once per test run (conftest's ``executed``) and every
check here reads that execution; one test per notebook, so a failure names it."""

import os
import subprocess
import sys

import pytest

from checked_outputs import checked_outputs, differences, expected_path, read_expected, write_expected
from support import CHAPTERS
from support.notebooks import execute_guarded, guarded_env


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


def validator_without_execution():
    """nbgrader's Validator with only its metadata check before judging: no ClearOutput, no
    Execute (its ``preprocessors`` is not a configurable trait, so it is set on the instance)."""
    from nbgrader.preprocessors import CheckCellMetadata
    from nbgrader.validator import Validator

    validator = Validator()
    validator.preprocessors = [CheckCellMetadata]
    return validator


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_nbgrader_validator_passes_on_the_execution(executed, chapter):
    """nbgrader's own Validator, as the Validate button judges a notebook (metadata checks, then
    every graded test cell at full marks: no error, no stderr, no partial-credit value), applied
    to this run's execution instead of executing the notebook again."""
    result, path, _ = executed[chapter]
    assert result.status == "ok", f"{chapter} did not execute, nothing to validate:\n{result.error}"
    verdict = validator_without_execution().validate(str(path))
    assert verdict == {}, f"{chapter}: nbgrader's validator finds {verdict}"


def test_the_validator_judges_the_outputs_it_is_given(tmp_path):
    """Control: set up so, the Validator judges the stored outputs without executing anything (a
    cell that would raise if run passes on clean outputs) and fails a graded cell whose stored
    output is an error or a write to stderr."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    meta = {
        "nbgrader": {
            "schema_version": 3,
            "grade": True,
            "solution": False,
            "locked": True,
            "grade_id": "ej1_pruebas",
            "points": 1,
            "task": False,
        }
    }
    cases = {
        "limpia": ([new_output("stream", name="stdout", text="bien\n")], False),
        "stderr": ([new_output("stream", name="stderr", text="aviso\n")], True),
        "error": ([new_output("error", ename="AssertionError", evalue="mal", traceback=[])], True),
    }
    for name, (outputs, fails) in cases.items():
        path = tmp_path / f"{name}.ipynb"
        cell = new_code_cell("raise AssertionError('ejecutada')", metadata=meta, outputs=outputs)
        nbformat.write(new_notebook(cells=[cell]), path)
        verdict = validator_without_execution().validate(str(path))
        assert (len(verdict.get("failed", [])) == 1) is fails and set(verdict) <= {"failed"}, (name, verdict)


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
def test_checked_outputs_match_the_stored_ones(executed, chapter, request):
    """Cells tagged nbval-check-output print what tests/expected_outputs/<chapter>.json says,
    compared as nbval compares them (see checked_outputs.py)."""
    result, path, _ = executed[chapter]
    if result.status != "ok":
        pytest.fail(f"{chapter} did not execute, nothing to compare")
    actual = checked_outputs(path)
    if request.config.getoption("--update-expected-outputs"):
        write_expected(chapter, actual)
    problems = differences(read_expected(chapter), actual)
    assert not problems, (
        f"{chapter}: checked outputs differ from {expected_path(chapter).name} (after a deliberate "
        f"change: pytest tests/test_notebooks.py -k {chapter[:2]} --update-expected-outputs)\n" + "\n".join(problems)
    )


def test_checked_outputs_catch_a_changed_output():
    """The comparison sees a changed number, a missing output and an untagged cell."""
    stream = {"output_type": "stream", "name": "stdout", "text": "suma: 3\n"}
    from checked_outputs import comparable

    expected = {"c1": comparable([stream]), "c2": comparable([stream])}
    assert differences(expected, dict(expected)) == []
    changed = {"c1": comparable([dict(stream, text="suma: 4\n")]), "c2": comparable([])}
    assert [p.split(":")[0] for p in differences(expected, changed)] == ["cell c1", "cell c2"]
    assert "no longer tagged" in differences(expected, {"c1": expected["c1"]})[0]
    split = [dict(stream, text="suma"), dict(stream, text=": 3\n")]
    assert comparable(split) == expected["c1"], "streams are coalesced as nbval does"


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS[:1])  # the smallest chapter; `-k 01` selects it
def test_two_fast_executions_record_identical_metrics(executed, chapter, tmp_path):
    """Determinism: the chapter executed twice in FAST mode (the shared execution and one more)
    records exactly the same metrics, tables and checked outputs."""
    first = executed[chapter]
    second = execute_guarded(chapter, tmp_path)
    assert first.result.status == second.result.status == "ok", second.result.error
    assert first.result.metrics and first.result.metrics == second.result.metrics
    assert first.result.tables == second.result.tables
    assert checked_outputs(first.path) == checked_outputs(second.path)
