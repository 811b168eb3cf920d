"""The suite's two workers (``python run.py test``: pytest-xdist, ``--dist loadgroup``): tests that
share an expensive fixture run in one group, per-chapter tests in one group per chapter, and
the longest groups start first."""

from __future__ import annotations

from types import SimpleNamespace

from conftest import LONGEST_FIRST, PER_CHAPTER_MODULES, pytest_collection_modifyitems, xdist_group


class _Item(SimpleNamespace):
    def add_marker(self, mark):
        self.marks.append(mark)


def _item(nodeid: str, chapter: str | None = None) -> _Item:
    callspec = SimpleNamespace(params={"chapter": chapter}) if chapter else None
    return _Item(nodeid=nodeid, callspec=callspec, marks=[])


def test_a_module_is_one_group_and_per_chapter_tests_one_group_per_chapter():
    hostile = [_item(f"tests/grading/test_hostile_submissions.py::test_{i}") for i in range(3)]
    assert {xdist_group(i) for i in hostile} == {"tests/grading/test_hostile_submissions.py"}
    lab = _item("tests/e2e/test_lab.py::test_cells[04_agresividad_dropout]", "04_agresividad_dropout")
    assert xdist_group(lab) == "tests/e2e/test_lab.py", "JupyterLab is started once per module"
    for module in PER_CHAPTER_MODULES:
        executes = _item(f"{module}::test_a[04_agresividad_dropout]", "04_agresividad_dropout")
        validates = _item(f"{module}::test_b[04_agresividad_dropout]", "04_agresividad_dropout")
        other = _item(f"{module}::test_a[05_atencion_cruzada]", "05_atencion_cruzada")
        assert xdist_group(executes) == xdist_group(validates) == f"{module}::04"
        assert xdist_group(other) == f"{module}::05"


def test_groups_are_marked_and_the_longest_start_first():
    items = [
        _item("tests/test_config.py::test_seed"),
        _item("tests/test_notebooks.py::test_x[01_operaciones_fusion]", "01_operaciones_fusion"),
        _item("tests/test_dist.py::test_install"),
        _item("tests/test_config.py::test_device"),
    ]
    pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items] == [
        "tests/test_dist.py::test_install",
        "tests/test_notebooks.py::test_x[01_operaciones_fusion]",
        "tests/test_config.py::test_seed",
        "tests/test_config.py::test_device",
    ]
    for item in items:
        (group,) = [m.args[0] for m in item.marks if m.name == "xdist_group"]
        assert group == xdist_group(item)
    assert LONGEST_FIRST.index("tests/test_dist.py") < LONGEST_FIRST.index("tests/test_notebooks.py::01")
