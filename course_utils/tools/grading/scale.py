"""Throughput of grading on one machine (``--jobs``) and on a Dask cluster (``--scheduler``),
and a model of a large class from the measured costs.

``python -m course_utils.tools.grading.scale [CHAPTER] [N]`` grades the same generated class of
one real chapter (a third correct, a third half done, a third blank: :func:`.bench.make_class`)
four times, each from cold (fresh helpers, as a batch starts): ``--jobs 1``, ``--jobs 2``, a
``LocalCluster`` of 1 worker process and one of 2 (one thread each); the cluster's start-up is
timed apart. It also times the client's own work per student (storing the scores and the
notebook), which is serial in every mode, and writes ``build/bench/scale.{json,md}``.
The model (:func:`model`) is the one in docs/instructors-scale.md.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ...config import repo_root
from ..environment import patched_environ, tool_environment
from ..release import copy_course
from .autograde import grade_submissions
from .bench import make_class
from .gradebook import generate_assignment, read_scores, store_scores
from .limits import GradingLimits


def model(
    students: int, workers: int, slots: int, seconds_per_submission: float, client_seconds: float, startup: float
) -> float:
    """Wall-clock seconds to grade ``students`` on ``workers`` machines of ``slots`` concurrent
    gradings each: the workers' share (rounds of ``workers × slots`` submissions, each
    ``seconds_per_submission`` long) or the client's serial storing (``client_seconds`` per
    student), whichever is slower — they overlap — plus a start-up (cluster, first helpers)."""
    rounds = math.ceil(students / max(1, workers * slots))
    return startup + max(rounds * seconds_per_submission, students * client_seconds)


def _client_seconds(db_url: str, chapter: str, students: list[str], private_db: str) -> float:
    """Seconds the client spends storing one student (:func:`.gradebook.store_scores`), median
    over ``students``, re-storing the scores the batch already saved."""
    times = []
    for student in students:
        scores = read_scores(private_db, chapter, student)
        start = time.perf_counter()
        store_scores(db_url, chapter, student, scores)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_scale(chapter: str = "01_operaciones_fusion", submissions: int = 6, build_dir: Path | None = None) -> dict:
    from distributed import LocalCluster

    build_dir = build_dir or repo_root() / "build"
    limits = GradingLimits()
    runs = {}
    with (
        tempfile.TemporaryDirectory(prefix="course-scale-") as tmp,
        patched_environ(PATH=tool_environment()["PATH"], COURSE_FAST="1"),
    ):
        root = copy_course(repo_root(), Path(tmp) / "curso")
        generate_assignment(root, chapter, f"sqlite:///{root / 'plantilla.db'}", release_dir=root / "release")
        make_class(root, chapter, submissions)
        reference = None
        for name, jobs, workers in (
            ("--jobs 1", 1, 0),
            ("--jobs 2", 2, 0),
            ("Dask, 1 worker", 1, 1),
            ("Dask, 2 workers", 1, 2),
        ):
            db_url = f"sqlite:///{root / (name.replace(' ', '_').replace(',', '') + '.db')}"
            startup = 0.0
            cluster = None
            if workers:
                start = time.perf_counter()
                cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
                )
                startup = time.perf_counter() - start
            try:
                start = time.perf_counter()
                results = grade_submissions(
                    root,
                    chapter,
                    db_url=db_url,
                    jobs=jobs,
                    limits=limits,
                    show_progress=False,
                    scheduler=cluster.scheduler_address if cluster else None,
                )
                wall = time.perf_counter() - start
            finally:
                if cluster is not None:
                    cluster.close()
            outcome = {r.student: (r.status, r.score) for r in results}
            reference = reference or outcome
            latencies = sorted(r.seconds for r in results)
            runs[name] = {
                "wall_seconds": round(wall, 1),
                "cluster_startup_seconds": round(startup, 1),
                "submissions_per_minute": round(60 * submissions / wall, 2),
                "latency_median": round(statistics.median(latencies), 2),
                "latency_max": round(latencies[-1], 2),
                "same_outcomes_as_jobs_1": outcome == reference,
                "failed": [r.student for r in results if r.status != "ok"],
                "db": db_url,
            }
        last = runs["Dask, 2 workers"]["db"]
        client = _client_seconds(last, chapter, sorted(reference), last)
    one, dask_one = runs["--jobs 1"], runs["Dask, 1 worker"]
    # the distribution's cost per submission: one worker against one local job, same work in series
    overhead = (dask_one["wall_seconds"] - one["wall_seconds"]) / submissions
    # one grading on a core of its own (--jobs 1): a single-slot worker's time per submission
    warm = runs["--jobs 1"]["latency_median"]
    data = {
        "chapter": chapter,
        "submissions": submissions,
        "cores": os.cpu_count(),
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "runs": {k: {kk: vv for kk, vv in v.items() if kk != "db"} for k, v in runs.items()},
        "distribution_overhead_seconds_per_submission": round(overhead, 2),
        "client_store_seconds_per_student": round(client, 4),
        "seconds_per_submission_one_core": warm,
        "model_1000": {str(w): round(model(1000, w, 1, warm, client, 60) / 60, 1) for w in (1, 2, 4, 8, 16, 32, 64)},
    }
    out = build_dir / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "scale.md").write_text(_markdown(data), encoding="utf-8")
    return data


def _markdown(d: dict) -> str:
    lines = [
        f"# Grading throughput: {d['chapter']}, {d['submissions']} submissions, {d['cores']} cores "
        f"(load average at the end {d['load_average_at_end']})",
        "",
        "| mode | wall (s) | submissions/min | latency median (s) | max (s) | cluster start (s) | same outcomes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, r in d["runs"].items():
        lines.append(
            f"| {name} | {r['wall_seconds']} | {r['submissions_per_minute']} | {r['latency_median']} | "
            f"{r['latency_max']} | {r['cluster_startup_seconds']} | {r['same_outcomes_as_jobs_1']} |"
        )
    lines += [
        "",
        f"Distribution overhead per submission (1 worker − --jobs 1, / n): {d['distribution_overhead_seconds_per_submission']} s; "
        f"client's store per student: {d['client_store_seconds_per_student']} s.",
        "",
        "Model, 1,000 submissions, one grading per worker at a time, 60 s start-up (minutes): "
        + ", ".join(f"{w} workers {m}" for w, m in d["model_1000"].items()),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - measurement
    chapter = sys.argv[1] if len(sys.argv) > 1 else "01_operaciones_fusion"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    print(json.dumps(bench_scale(chapter, n), indent=2, ensure_ascii=False))
