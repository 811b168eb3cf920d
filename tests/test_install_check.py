"""course_utils/install_check.py: the student edition's ``python run.py test`` (each chapter up to
its first exercise, FAST, in the course kernel). The edition's own install runs it for real in
tests/test_dist.py."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from course_utils import install_check


def test_the_check_stops_at_the_first_exercise_or_test_cell():
    text = {"metadata": {"nbgrader": {"grade": False, "solution": False}}}
    for first_exercise in (
        {"metadata": {"nbgrader": {"solution": True}}},
        {"metadata": {"nbgrader": {"grade": True, "solution": False}}},
    ):
        nb = {"cells": [{"metadata": {}}, text, first_exercise, {"metadata": {}}], "nbformat": 4}
        assert install_check.before_first_exercise(nb)["cells"] == [{"metadata": {}}, text]


def _chapter(notebooks, name, *sources):
    folder = notebooks / name
    folder.mkdir(parents=True)
    cells = [new_code_cell(s) for s in sources]
    exercise = new_code_cell("raise RuntimeError('el ejercicio no se ejecuta')")
    exercise.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "ej1", "schema_version": 3}
    nb = new_notebook(cells=[*cells, exercise])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"{name}.ipynb")


def test_each_chapter_runs_fast_in_a_copy_up_to_its_first_exercise(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "0")  # restored after the test: the check sets it
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")
    notebooks = tmp_path / "notebooks"
    _chapter(
        notebooks,
        "01_bien",
        "import os, pathlib",
        "assert os.environ['COURSE_FAST'] == '1'",
        "pathlib.Path('x').write_text('')",
    )
    _chapter(notebooks, "02_roto", "import no_existe_este_modulo")
    assert install_check.check_installation(notebooks, ["01"]) == 0
    assert "01_bien: bien" in capsys.readouterr().out
    assert not (notebooks / "01_bien" / "x").exists(), "it runs in a copy, never in the student's folder"
    assert install_check.check_installation(notebooks) == 1
    out, err = capsys.readouterr()
    assert "01_bien: bien" in out and "02_roto: FALLO" in out and "no_existe_este_modulo" in err
    assert install_check.check_installation(notebooks, ["99"]) == 1
