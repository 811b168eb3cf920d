"""record_metric, the report, and `course run` on good and broken notebooks."""

import json

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils import record_metric
from course_utils.report import METRICS_ENV, record_table
from course_utils.tools import cli
from course_utils.tools.report_builder import NotebookResult, read_metrics_file, read_tables_file, render_markdown


def test_record_metric_appends_to_metrics_file(monkeypatch, tmp_path, capsys):
    target = tmp_path / "m.jsonl"
    monkeypatch.setenv(METRICS_ENV, str(target))
    record_metric("precision", 0.5)
    record_metric("modelo", "mlp")
    record_metric("precision", 0.75)
    assert read_metrics_file(target) == {"precision": 0.75, "modelo": "mlp"}
    assert capsys.readouterr().out == "", "record_metric prints nothing in a student's kernel"


def test_record_table_reaches_the_markdown_report(monkeypatch, tmp_path):
    target = tmp_path / "m.jsonl"
    monkeypatch.setenv(METRICS_ENV, str(target))
    record_metric("r1", 0.9)
    record_table("ablación", pd.DataFrame({"versión": ["v0", "v1"], "R@1": [0.5, 0.75]}))
    tables = read_tables_file(target)
    assert read_metrics_file(target) == {"r1": 0.9}, "tables must not leak into the metrics"
    assert "| v1" in tables["ablación"] and "0,75" in tables["ablación"] and "0.75" not in tables["ablación"]
    md = render_markdown([NotebookResult("05_x", "ok", 1.0, True, 60, {"r1": 0.9}, tables)], "m")
    assert "### ablación" in md and "| v1" in md


def test_markdown_report_flags_time_over_budget():
    results = [
        NotebookResult("01_a", "ok", 12.0, True, 60, {"acc": 0.9}),
        NotebookResult("02_b", "failed", 99.0, True, 60, {}, error="cell 3 raised KeyError"),
    ]
    md = render_markdown(results, "test machine")
    assert "| 01_a | ok | 12,0 | 60 | sí |" in md
    assert "| 02_b | failed | 99,0 | 60 | **no** |" in md
    assert "cell 3 raised KeyError" in md and "| acc | 0,9 |" in md


def _write_chapter(base, name, sources):
    folder = base / name
    folder.mkdir(parents=True)
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell("FAST = False\nSEED = 0\nDEVICE = 'auto'")
    cell.metadata["tags"] = ["parameters"]
    nb.cells.insert(0, cell)
    nbformat.write(nb, folder / f"{name}.ipynb")


def test_course_run_reports_failing_cell_and_continues(tmp_path, capsys):
    src = tmp_path / "solutions"
    _write_chapter(src, "01_roto", ["x = 1", "1 / 0", "print('nunca')"])
    _write_chapter(src, "02_bueno", ["from course_utils import record_metric", "record_metric('rapido', float(FAST))"])
    build = tmp_path / "build"
    code = cli.main(["run", "--fast", "--source-dir", str(src), "--build-dir", str(build)])
    assert code == 1
    report = json.loads((build / "report.json").read_text())
    by_name = {n["name"]: n for n in report["notebooks"]}
    assert by_name["01_roto"]["status"] == "failed"
    assert "ZeroDivisionError" in by_name["01_roto"]["error"] and "1 / 0" in by_name["01_roto"]["error"]
    assert by_name["02_bueno"]["status"] == "ok"
    assert by_name["02_bueno"]["metrics"] == {"rapido": 1.0}
    assert (build / "executed" / "02_bueno.ipynb").exists()
    assert "FAILED notebooks: 01_roto" in capsys.readouterr().err
    assert "01_roto" in (build / "report.md").read_text()


_CLAIMS_CHAPTER = [
    "from course_utils.report import record_claim",
    "record_claim('tardia_gana', 'La fusión tardía supera a la temprana', [0.81, 0.83, 0.80, 0.84], "
    "[0.70, 0.72, 0.71, 0.73])",
    # false on purpose: the same accuracies cannot be claimed to be worse
    "record_claim('tardia_pierde', 'La fusión tardía es peor que la temprana', [0.81, 0.83, 0.80, 0.84], "
    "[0.70, 0.72, 0.71, 0.73], relation='<')",
    # FAST mode runs one seed: the claim is recorded without an interval, and not judged
    "record_claim('semillas', 'Con varias semillas', [0.9] if FAST else [0.90, 0.91, 0.92], "
    "[0.8] if FAST else [0.80, 0.81, 0.79])",
]


def test_a_false_claim_fails_course_run_in_full_mode(tmp_path, capsys):
    src, build = tmp_path / "solutions", tmp_path / "build"
    _write_chapter(src, "01_afirmaciones", _CLAIMS_CHAPTER)
    assert cli.main(["run", "--source-dir", str(src), "--build-dir", str(build)]) == 1
    assert "Claims NOT HELD (full mode): 01_afirmaciones: tardia_pierde" in capsys.readouterr().err
    (notebook,) = json.loads((build / "report.json").read_text())["notebooks"]
    assert notebook["status"] == "ok", "the notebook itself ran; only its claim is false"
    verdicts = {c["name"]: c["status"] for c in notebook["claims"]}
    assert verdicts == {"tardia_gana": "se cumple", "tardia_pierde": "NO se cumple", "semillas": "se cumple"}
    held = next(c for c in notebook["claims"] if c["name"] == "tardia_gana")
    assert 0 < held["low"] <= held["estimate"] <= held["high"] and held["n"] == 4 and held["paired"]
    md = (build / "report.md").read_text()
    assert "Afirmaciones: 2 se cumple · 1 NO se cumple\n" in md  # no FAST count in a full run
    assert "| tardia_pierde: La fusión tardía es peor que la temprana |" in md and "**NO se cumple**" in md


def test_claims_are_listed_but_not_judged_in_fast_mode(tmp_path):
    src, build = tmp_path / "solutions", tmp_path / "build"
    _write_chapter(src, "01_afirmaciones", _CLAIMS_CHAPTER)
    assert cli.main(["run", "--fast", "--source-dir", str(src), "--build-dir", str(build)]) == 0
    (notebook,) = json.loads((build / "report.json").read_text())["notebooks"]
    assert [c["status"] for c in notebook["claims"]] == ["sin juzgar (FAST)"] * 3
    assert notebook["claims"][2]["low"] is None, "one seed in FAST mode: no interval, and no crash"
    assert "Afirmaciones: 0 se cumple · 0 NO se cumple · 3 sin juzgar (FAST)" in (build / "report.md").read_text()


def test_a_claim_holds_only_when_its_whole_interval_is_on_the_claimed_side(monkeypatch, tmp_path):
    from course_utils.report import record_claim
    from course_utils.tools.report_builder import read_claims_file

    target = tmp_path / "m.jsonl"
    monkeypatch.setenv(METRICS_ENV, str(target))
    # one lucky seed makes the mean positive, but the interval still reaches below zero
    lucky = record_claim("suerte", "Mejora con una semilla afortunada", [0.30, -0.02, -0.01, -0.03, 0.0])
    assert lucky.estimate > 0 and lucky.low < 0 and not lucky.held
    steady = record_claim("estable", "Error menor que 0,1", [0.05, 0.06, 0.04, 0.05], relation="<", threshold=0.1)
    assert steady.held and steady.high < 0.1
    assert record_claim("suerte", "otra vez", [0.30, -0.02, -0.01, -0.03, 0.0]) == lucky.__class__(
        **{**lucky.to_dict(), "description": "otra vez"}
    ), "the interval is seeded: same values, same interval"
    unpaired = record_claim("desiguales", "Distinto número de semillas", [0.80, 0.82, 0.81], [0.70, 0.71])
    assert not unpaired.paired and unpaired.held and abs(unpaired.estimate - 0.105) < 1e-9
    assert set(read_claims_file(target)) == {"suerte", "estable", "desiguales"}
    single = record_claim("una", "Una sola semilla (FAST)", [0.9], [0.8])
    assert single.low is None and not single.held and "sin intervalo" in single.interval
    assert single.verdict == "sin juzgar (una sola semilla)"
    with pytest.raises(ValueError, match="relación"):
        record_claim("rara", "Relación desconocida", [0.9, 0.8], relation="~")


def test_relative_folders_are_read_from_where_the_command_runs(tmp_path, monkeypatch):
    """`course run --build-dir build/x --source-dir mine` from any folder: the kernel runs in the
    notebook's folder, so a relative build folder used to lose its metrics file."""
    _write_chapter(tmp_path / "mine", "02_bueno", ["from course_utils import record_metric", "record_metric('m', 1.0)"])
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--fast", "--source-dir", "mine", "--build-dir", "build/x"]) == 0
    (notebook,) = json.loads((tmp_path / "build" / "x" / "report.json").read_text())["notebooks"]
    assert notebook["metrics"] == {"m": 1.0}


def test_a_verdict_needs_the_whole_interval_on_one_side():
    from course_utils.claims import verdict

    assert verdict(0.01, 0.05, "ayuda", "perjudica") == "ayuda"
    assert verdict(-0.05, -0.01, "ayuda", "perjudica") == "perjudica"
    assert verdict(-0.01, 0.05, "ayuda", "perjudica") == "sin efecto medible"
    assert verdict(0.0, 0.05, "ayuda", "perjudica", neither="nada") == "nada", "an interval touching 0 includes it"
    assert verdict(None, None, "ayuda", "perjudica") == "sin juzgar (una sola semilla)"
