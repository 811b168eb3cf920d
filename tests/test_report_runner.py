"""record_metric, the report, and `course run` on good and broken notebooks."""
import json

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

import pandas as pd

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
    assert "[métrica] precision = 0.75" in capsys.readouterr().out


def test_record_table_reaches_the_markdown_report(monkeypatch, tmp_path):
    target = tmp_path / "m.jsonl"
    monkeypatch.setenv(METRICS_ENV, str(target))
    record_metric("r1", 0.9)
    record_table("ablación", pd.DataFrame({"versión": ["v0", "v1"], "R@1": [0.5, 0.75]}))
    tables = read_tables_file(target)
    assert read_metrics_file(target) == {"r1": 0.9}, "tables must not leak into the metrics"
    assert "| v1" in tables["ablación"] and "0.75" in tables["ablación"]
    md = render_markdown([NotebookResult("05_x", "ok", 1.0, True, 60, {"r1": 0.9}, tables)], "m")
    assert "### ablación" in md and "| v1" in md


def test_markdown_report_flags_time_over_budget():
    results = [NotebookResult("01_a", "ok", 12.0, True, 60, {"acc": 0.9}),
               NotebookResult("02_b", "failed", 99.0, True, 60, {}, error="cell 3 raised KeyError")]
    md = render_markdown(results, "test machine")
    assert "| 01_a | ok | 12.0 | 60 | sí |" in md
    assert "| 02_b | failed | 99.0 | 60 | **no** |" in md
    assert "cell 3 raised KeyError" in md and "| acc | 0.9 |" in md


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
    _write_chapter(src, "02_bueno", ["from course_utils import record_metric",
                                     "record_metric('rapido', float(FAST))"])
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
