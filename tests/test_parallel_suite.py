"""The suite's two workers (``python run.py test``: pytest-xdist with the scheduler of
tests/conftest.py): tests that share an expensive fixture run in one group on one worker,
per-chapter tests in one group per chapter, and the longest groups start first."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from types import SimpleNamespace

from course_utils.tools import suite
from support import CHAPTERS, ROOT
from support.suite import LONGEST_FIRST, PER_CHAPTER_MODULES, group_of, group_scheduler, mark_and_order


def test_a_module_is_one_group_and_per_chapter_tests_one_group_per_chapter():
    hostile = [f"tests/grading/test_hostile_submissions.py::test_{i}" for i in range(3)]
    assert {group_of(i) for i in hostile} == {"tests/grading/test_hostile_submissions.py"}
    lab = f"tests/e2e/test_lab.py::test_cells[{CHAPTERS[3]}]"
    assert group_of(lab) == "tests/e2e/test_lab.py", "JupyterLab is started once per module"
    for module in PER_CHAPTER_MODULES:
        executes, validates = f"{module}::test_a[{CHAPTERS[3]}]", f"{module}::test_b[{CHAPTERS[3]}]"
        assert group_of(executes) == group_of(validates) == f"{module}::{CHAPTERS[3][:2]}"
        assert group_of(f"{module}::test_a[{CHAPTERS[4]}]") == f"{module}::{CHAPTERS[4][:2]}"
        assert group_of(f"{module}::test_control") == module


def test_the_scheduler_hands_out_whole_groups():
    options = SimpleNamespace(tx=["2*popen"], numprocesses=None, dist="loadscope")
    config = SimpleNamespace(option=options, getoption=lambda name: getattr(options, name), getvalue=None)
    config.getvalue = config.getoption
    scheduler = group_scheduler(config, None)
    nodeid = f"tests/test_grading_roundtrip.py::test_solution_scores_full_marks[{CHAPTERS[1]}]"
    assert scheduler._split_scope(nodeid) == group_of(nodeid) == f"tests/test_grading_roundtrip.py::{CHAPTERS[1][:2]}"


def test_the_longest_groups_start_first():
    ids = [
        "tests/test_config.py::test_seed",
        f"tests/test_notebooks.py::test_x[{CHAPTERS[0]}]",
        "tests/test_dist.py::test_install",
        "tests/test_config.py::test_device",
    ]
    items = [SimpleNamespace(nodeid=i, add_marker=lambda mark: None) for i in ids]
    mark_and_order(items)
    assert [i.nodeid for i in items] == [ids[2], ids[1], ids[0], ids[3]]
    assert LONGEST_FIRST.index("tests/test_dist.py") < LONGEST_FIRST.index("tests/test_notebooks.py::01")


def test_two_workers_never_split_a_module():
    """Run two small modules on two workers with `course test`'s options: each module's tests all ran on
    one worker (with xdist's own `--dist loadgroup` they were spread: its marks stopped grouping
    under pytest 9)."""
    modules = ["tests/grading/test_scan.py", "tests/grading/test_status.py"]
    options = suite.parallel_options([], {suite.WORKERS_ENV: "2"})
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-v", "-p", "no:cacheprovider", *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    workers = defaultdict(set)
    for worker, nodeid in re.findall(r"\[(gw\d)\] \[\s*\d+%\] PASSED (\S+)", proc.stdout):
        workers[nodeid.split("::")[0]].add(worker)
    assert set(workers) == set(modules), proc.stdout[-3000:]
    assert all(len(w) == 1 for w in workers.values()), dict(workers)


PROBE = """
import os, subprocess, sys

def test_a_notebook_started_here_gets_one_math_thread():
    child = "import torch, numpy, threadpoolctl; print(torch.get_num_threads(), threadpoolctl.threadpool_info()[0]['num_threads'])"
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "1"], out
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "1"
"""


def test_each_worker_and_what_it_starts_use_one_math_thread(tmp_path):
    """Two workers on two cores: a process a worker starts (a notebook's kernel, a grader) runs
    PyTorch and BLAS on one thread; with their default two threads, two notebooks side by side
    spin-waited on each other and took five times longer."""
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    options = suite.parallel_options([], {suite.WORKERS_ENV: "2"})
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-p", "conftest", "-p", "no:cacheprovider", str(probe)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "1 passed" in proc.stdout, proc.stdout[-3000:]
