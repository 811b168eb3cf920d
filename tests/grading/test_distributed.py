"""Grading spread over Dask workers: the same sandboxed grading as one machine, the scores in a
PostgreSQL gradebook, the same batch report — and exactly once with nothing lost when a worker
is killed in the middle of a student (a ``LocalCluster`` of worker processes; one is killed
with SIGKILL while it grades, its nanny starts a fresh one, the scheduler reruns the task)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from nbgrader.api import Gradebook

from course_utils.tools.grading.autograde import check_gradebook, grade_submissions
from course_utils.tools.grading.limits import GradingLimits
from course_utils.tools.grading.reports import write_reports
from fixture_course import ASSIGNMENT, SMALL_CLASS, SMALL_CLASS_SCORES, build_course, submit

distributed = pytest.importorskip("distributed", reason="dask.distributed (extra instructor) no está instalado")

LIMITS = GradingLimits(cell_timeout=10, notebook_timeout=120)
CLASS, EXPECTED = SMALL_CLASS, SMALL_CLASS_SCORES


def _outcomes(results) -> dict[str, tuple]:
    return {r.student: (r.status, r.score, r.max_score, r.reason, r.review, r.held) for r in results}


def _stored(db_url: str) -> dict[str, list[tuple[str, float]]]:
    """student → every grade row the gradebook holds for them (a duplicate would show twice)."""
    with Gradebook(db_url) as gb:
        found: dict[str, list] = {}
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            found.setdefault(sub.student.id, []).extend(
                sorted((g.name, float(g.score)) for nb in sub.notebooks for g in nb.grades)
            )
        return found


def _report(root) -> tuple[list[dict], list[dict]]:
    """status.csv without the seconds, and grades.csv, as the teacher reads them."""
    with open(root / "grading" / ASSIGNMENT / "status.csv", newline="", encoding="utf-8") as fh:
        status = [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(fh)]
    with open(root / "grading" / ASSIGNMENT / "grades.csv", newline="", encoding="utf-8") as fh:
        grades = list(csv.DictReader(fh))
    return status, grades


def _course(factory, name: str):
    root = build_course(factory.mktemp(name))
    for student, answers in CLASS.items():
        submit(root, student, answers)
    return root


@pytest.fixture(scope="module")
def one_machine(tmp_path_factory):
    """The class graded on this machine (--jobs 2): the report the cluster must reproduce."""
    root = _course(tmp_path_factory, "una_maquina")
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    results = grade_submissions(root, ASSIGNMENT, db_url=db_url, jobs=2, limits=LIMITS, show_progress=False)
    write_reports(root, ASSIGNMENT, db_url)
    assert {r.student: r.score for r in results} == EXPECTED
    return _outcomes(results), _stored(db_url), _report(root)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster


def _executing(dask_worker) -> list[str]:
    return [str(ts.key) for ts in dask_worker.state.executing]


def test_a_killed_worker_loses_nobody_and_grades_everyone_once(one_machine, cluster, postgres_url, tmp_path_factory):
    from distributed import Client

    root = _course(tmp_path_factory, "cluster")
    events: list[tuple[str, str, int]] = []
    done: dict = {}

    def batch():
        try:
            done["results"] = grade_submissions(
                root,
                ASSIGNMENT,
                db_url=postgres_url,
                limits=LIMITS,
                show_progress=False,
                scheduler=cluster.scheduler_address,
                events=events,
            )
        except BaseException as err:  # noqa: BLE001 - re-raised in the test's thread
            done["error"] = err

    runner = threading.Thread(target=batch)
    runner.start()
    killed = None
    with Client(cluster.scheduler_address, set_as_default=False) as watcher:
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and runner.is_alive():
            busy = {w: keys for w, keys in watcher.run(_executing).items() if any("califica-" in k for k in keys)}
            if busy:
                time.sleep(1.5)  # let it get into the student's notebook
                victim = sorted(busy)[0]
                still = [k for k in watcher.run(_executing, workers=[victim])[victim] if "califica-" in k]
                if still:
                    pid = watcher.run(os.getpid, workers=[victim])[victim]
                    os.kill(pid, signal.SIGKILL)
                    killed = (pid, still[0].split("-")[-2])  # califica-<assignment>-<student>-<token>
            time.sleep(0.2)
    runner.join(timeout=300)
    assert not runner.is_alive(), "the batch did not finish after the kill"
    if "error" in done:
        raise done["error"]
    assert killed is not None, "no worker was seen grading: nothing was killed"
    pid, student = killed
    results = done["results"]
    outcomes, stored, report = one_machine
    # nothing lost, nothing doubled: every student once, decided as on one machine
    assert _outcomes(results) == outcomes
    assert _stored(postgres_url) == stored
    assert check_gradebook(postgres_url, ASSIGNMENT) == []
    # the killed worker's student was graded again, by another process
    graders = [p for s, _, p in events if s == student]
    assert graders and pid not in graders, f"{student} was being graded by {pid}; its result came from {graders}"
    assert sorted(s for s, _, _ in events) == sorted(CLASS), "one result per student reached the client"
    # the batch report is the same as on one machine
    write_reports(root, ASSIGNMENT, postgres_url)
    assert _report(root) == report
    logs = root / "grading" / ASSIGNMENT / "logs"
    assert sorted(p.stem for p in logs.glob("*.log")) == sorted(CLASS)
    for student_id in CLASS:
        assert (root / "autograded" / student_id / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()


def test_course_grade_autograde_scheduler_option(cluster, tmp_path_factory):
    """The command line: a subset regraded on the cluster merges into status.csv."""
    root = _course(tmp_path_factory, "cli")
    db = f"sqlite:///{root / 'gradebook.db'}"
    cmd = [sys.executable, "-m", "course_utils.tools.cli", "grade", "autograde", ASSIGNMENT]
    cmd += ["--course-root", str(root), "--db", db, "--scheduler", cluster.scheduler_address]
    cmd += ["--cell-timeout", "10", "--notebook-timeout", "120", "--student", "b_parcial"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 entregas calificadas" in proc.stdout and "gradebook íntegro" in proc.stdout
    with open(root / "grading" / ASSIGNMENT / "status.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert {s: float(r["score"]) for s, r in rows.items()} == {"b_parcial": 1.0}


def test_an_unreachable_scheduler_grades_nobody(tmp_path_factory, monkeypatch):
    from course_utils.tools.grading import distributed as dist

    monkeypatch.setattr(dist, "CONNECT_TIMEOUT_S", 2)
    root = build_course(tmp_path_factory.mktemp("sin_cluster"))
    submit(root, "a_correcta", raw="{}")  # never read: nobody is graded
    with socket_free_port() as port, pytest.raises(dist.ClusterUnavailable, match="no se puede conectar"):
        grade_submissions(root, ASSIGNMENT, limits=LIMITS, show_progress=False, scheduler=f"tcp://127.0.0.1:{port}")
    assert not (root / "grading" / ASSIGNMENT / "status.csv").exists(), "an unreachable cluster wrote a report"


class socket_free_port:
    """A port on 127.0.0.1 that nothing listens on (bound and released)."""

    def __enter__(self) -> int:
        from support.services import free_port

        return free_port()

    def __exit__(self, *exc) -> None:
        return None
