"""The ``course`` command: release, run, check and grade the course (thin, over nbgrader and papermill)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import DEFAULT_SEED, fast_mode, repo_root


def _cmd_release(args: argparse.Namespace) -> int:
    from .chapters import select_chapters
    from .release import generate_release

    for path in generate_release(chapters=select_chapters(args.only)):
        print(f"released {path.relative_to(repo_root())}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .chapters import select_chapters
    from .runner import run_course

    if args.release:  # `python run.py course`: the release first (every chapter), then the run
        _cmd_release(argparse.Namespace(only=None))
    fast = args.fast or fast_mode()
    source_dir = Path(args.source_dir).resolve() if args.source_dir else None
    results, report = run_course(
        select_chapters(args.only, source_dir),
        fast,
        args.seed,
        args.device,
        Path(args.build_dir).resolve() if args.build_dir else None,
        source_dir,
    )
    print(report.read_text(encoding="utf-8"))
    failed = [r.name for r in results if r.status != "ok"]
    if failed:
        print(f"FAILED notebooks: {', '.join(failed)}", file=sys.stderr)
    not_held = [f"{r.name}: {name}" for r in results for name in r.claims_not_held]
    if not_held:
        print(f"Claims NOT HELD (full mode): {'; '.join(not_held)}", file=sys.stderr)
    return 1 if failed or not_held else 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .chapters import list_chapters
    from .hygiene import course_problems
    from .release import release_differences

    sections = {"The student release is out of sync with solutions/ (run `course release`):": release_differences()}
    for folder in ("solutions", "notebooks"):
        sections[f"Notebook hygiene problems in {folder}/:"] = course_problems(repo_root() / folder, list_chapters())
    for title, problems in sections.items():
        if problems:
            print(title)
            print("\n".join(f"  - {p}" for p in problems))
    if any(sections.values()):
        return 1
    print(
        "notebooks/ is in sync with solutions/; every notebook opens with its title, objectives and "
        "time, its links resolve and its metadata is valid."
    )
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    from .grading.autograde import (
        NO_SANDBOX_NOTE,
        SandboxUnavailable,
        check_gradebook,
        default_db_url,
        grade_submissions,
    )
    from .grading.limits import GradingLimits

    root = Path(args.course_root).resolve()
    db_url = args.db or default_db_url(root)
    if args.action == "collect":
        from .grading.collect import CollectLimits, collect_tree, manifest_path

        collected = collect_tree(
            Path(args.source),
            root,
            args.assignment,
            CollectLimits(max_file_mb=args.max_file_mb, max_total_mb=args.max_total_mb),
            time_from=args.submission_time,
        )
        for student, dest in collected.taken:
            print(f"recogida: {student} → {dest.relative_to(root)}")
        for _path, note in collected.notes:
            print(f"aviso: {note}")
        for path, reason in collected.skipped:
            print(f"omitida: {path.name}: {reason}")
        print(
            f"{len(collected.taken)} entregas recogidas, {len(collected.skipped)} omitidas o rechazadas "
            f"(registro con la hora de cada entrega: {manifest_path(root, args.assignment).relative_to(root)})"
        )
        return 0
    if args.action == "release":
        from .grading.autograde import release
        from .grading.gradebook import held_points

        held = held_points(db_url, args.assignment)
        if not args.student:
            listed = ", ".join(f"{s} ({p:g})" for s, p in sorted(held.items())) or "ninguna"
            print(f"Indique --student ID… tras revisar la entrega. Entregas con puntos retenidos: {listed}")
            return 2
        for row in release(root, args.assignment, args.student, db_url):
            what = f"{held[row.student]:g} puntos liberados" if row.student in held else "no tenía puntos retenidos"
            print(f"{row.student}: {what} · nota {row.score:g}/{row.max_score:g}")
        return 0
    if args.action == "autograde":
        limits = GradingLimits(
            cell_timeout=args.cell_timeout,
            notebook_timeout=args.notebook_timeout,
            memory_mb=args.memory_mb,
            disk_mb=args.disk_mb,
        )
        try:
            results = grade_submissions(
                root,
                args.assignment,
                args.student or None,
                db_url,
                args.jobs,
                limits,
                sandboxed=not args.no_sandbox,
                extra_files=args.extra_file,
            )
        except SandboxUnavailable as err:
            print(f"No se califica a nadie / nobody graded: {err}", file=sys.stderr)
            return 2
        if args.no_sandbox:
            print(f"AVISO / WARNING: {NO_SANDBOX_NOTE}", file=sys.stderr)
        problems = check_gradebook(db_url, args.assignment)
        failed = [r for r in results if r.status != "ok"]
        print(
            f"{len(results)} entregas calificadas, {len(failed)} sin poder ejecutarse (nota 0, motivo en "
            f"grading/{args.assignment}/status.csv); gradebook {'íntegro' if not problems else 'CON PROBLEMAS'}"
        )
        held = [r.student for r in results if r.held]
        if held:
            print(
                f"{len(held)} entregas para revisar a mano con sus puntos automáticos retenidos (0 en el gradebook): "
                f"{', '.join(held)}; tras revisarlas: course grade release {args.assignment} --student ID…"
            )
        for p in problems:
            print(f"  - {p}")
        return 1 if problems else 0
    if args.action == "similarity":
        from .grading.similarity import write_similarity

        path = write_similarity(root, args.assignment)
        print(f"entregas casi idénticas: {path} ({sum(1 for _ in open(path, encoding='utf-8')) - 1} parejas)")
        return 0
    if args.action == "feedback":
        from .grading.feedback import generate_feedback

        withheld = generate_feedback(root, args.assignment, db_url, args.student or None)
        print(f"informes HTML (sin pruebas ocultas) en {root / 'feedback'}/<estudiante>/{args.assignment}/")
        for page, lines in withheld.items():
            print(f"  RETENIDO {page}: citaba pruebas ocultas ({len(lines)} líneas)")
        return 1 if withheld else 0
    from .grading.reports import write_reports

    for name, path in write_reports(root, args.assignment, db_url).items():
        print(f"{name}: {path}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.what is None:  # both, as `python run.py bench` runs them
        return _cmd_bench(argparse.Namespace(**{**vars(args), "what": "grading"})) or _cmd_bench(
            argparse.Namespace(**{**vars(args), "what": "first-hour"})
        )
    if args.what == "first-hour":
        from .first_hour import first_hour

        data = first_hour(args.chapter or "01_operaciones_fusion")
        print(
            f"{data['chapter']}: {data['code_cells_run']}/{data['code_cells']} celdas en {data['seconds']} s "
            f"({data['isolation']}) · {'sin errores' if data['ok'] else 'FALLO'}"
        )
        if data["error"]:
            print(data["error"], file=sys.stderr)
        return 0 if data["ok"] else 1
    from .grading.bench import bench_grading

    data = bench_grading(args.chapter or "04_agresividad_dropout", args.submissions, args.jobs)
    print(
        f"secuencial {data['sequential_seconds']} s · paralelo ({args.jobs} procesos) {data['parallel_seconds']} s · "
        f"aceleración {data['speedup']}× · notas idénticas: {'sí' if data['identical_scores'] else 'NO'}"
    )
    print("resultados en build/bench/grading.md y build/report.md")
    return 0 if data["identical_scores"] else 1


def _cmd_lint(args: argparse.Namespace) -> int:
    from .lint import lint

    return lint()


def _cmd_lock(args: argparse.Namespace) -> int:
    from .lock import lock

    return lock()


def _run_tests(args: list[str], fast: bool) -> int:
    from .suite import run_tests

    return run_tests(args, fast=fast)


# Commands whose every argument (-h included) goes to pytest, unparsed.
PYTEST_COMMANDS = {"test": False, "test-fast": True}


def _cmd_dist(args: argparse.Namespace) -> int:
    from .dist import build_edition

    out = build_edition(Path(args.out) if args.out else None)
    print(f"student edition in {out}: publish this folder (keep the course repository private)")
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    from ..lab import run_lab

    return run_lab(Path(args.notebook_dir), port=args.port, open_browser=not args.no_browser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="generate the student release notebooks/ from solutions/ (nbgrader)")
    p.add_argument("--only", nargs="*", help="chapters whose name contains one of these")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("run", help="execute the solution notebooks (papermill) and write build/report.md")
    p.add_argument("--fast", action="store_true", help="FAST mode (also: COURSE_FAST=1)")
    p.add_argument("--only", nargs="*", help="chapters whose name contains one of these")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--build-dir", default=None, help="where executed notebooks and the report go (default build/)")
    p.add_argument("--source-dir", default=None, help="folder of chapter notebooks (default solutions/)")
    p.add_argument("--release", action="store_true", help="regenerate the student release first (`course release`)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("check", help="fail if notebooks/ differs from what nbgrader generates from solutions/")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "grade",
        help="instructor grading: collect, autograde (parallel, isolated), release (held points of "
        "reviewed submissions), feedback (no hidden tests), report, similarity (near-identical submissions)",
    )
    p.add_argument("action", choices=["collect", "autograde", "release", "feedback", "report", "similarity"])
    p.add_argument("assignment", help="the chapter / nbgrader assignment, e.g. 01_operaciones_fusion")
    p.add_argument("--course-root", default=".", help="folder with nbgrader_config.py, solutions/ and submitted/")
    p.add_argument("--db", default=None, help="gradebook SQLAlchemy URL (default sqlite:///<root>/gradebook.db)")
    p.add_argument("--source", default="entregas", help="collect: folder with one sub-folder per student")
    p.add_argument(
        "--student",
        nargs="*",
        help="autograde: only these students (status.csv and the reports keep everyone else); "
        "release: give these reviewed students back the automatic points held for review",
    )
    p.add_argument(
        "--submission-time",
        choices=["mtime", "now"],
        default="mtime",
        help="collect: the submission time recorded (the notebook's modification time in --source, or now); "
        "a timestamp.txt handed in is never used",
    )
    p.add_argument("--max-file-mb", type=float, default=20, help="collect: largest file taken (MiB)")
    p.add_argument("--max-total-mb", type=float, default=100, help="collect: most taken per student (MiB)")
    p.add_argument(
        "--extra-file",
        action="append",
        default=[],
        help="autograde: a file besides the notebooks that the assignment needs in the kernel's folder "
        "(repeatable; default none: only the notebooks enter the sandbox)",
    )
    p.add_argument(
        "--disk-mb", type=int, default=1024, help="autograde: disk quota per student (working folder, HOME, /tmp; MiB)"
    )
    p.add_argument("--jobs", type=int, default=2, help="autograde: parallel workers")
    p.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell")
    p.add_argument("--notebook-timeout", type=int, default=600, help="seconds per notebook")
    p.add_argument("--memory-mb", type=int, default=4096, help="memory limit per student (MiB)")
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="autograde: run students' kernels WITHOUT the bubblewrap sandbox (the reports say so)",
    )
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("bench", help="benchmarks written into build/report.md")
    p.add_argument(
        "what",
        nargs="?",
        choices=["grading", "first-hour"],
        help="grading: sequential nbgrader vs course grade --jobs N; "
        "first-hour: a student's first notebook, offline, full mode; default: both",
    )
    p.add_argument(
        "--chapter", default=None, help="default 04_agresividad_dropout (grading), 01_operaciones_fusion (first-hour)"
    )
    p.add_argument("--submissions", type=int, default=40)
    p.add_argument("--jobs", type=int, default=2)
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("dist", help="build the student edition: release, data, student runtime, no answers")
    p.add_argument("out", nargs="?", default=None, help="folder to write (default build/edicion-estudiante; replaced)")
    p.set_defaults(func=_cmd_dist)

    p = sub.add_parser("lab", help="JupyterLab for students on the release, with the Validate button")
    p.add_argument("--notebook-dir", default=str(repo_root() / "notebooks"), help="folder to open (default notebooks/)")
    p.add_argument("--port", type=int, default=None, help="port (default: JupyterLab's, 8888 or the next free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.set_defaults(func=_cmd_lab)

    # test and test-fast are run by main() before parsing (every argument goes to pytest): listed here for --help
    sub.add_parser("test", help="the test suite on two workers, the 15 slowest shown (arguments go to pytest)")
    sub.add_parser(
        "test-fast", help="the edit loop's tests: no notebook, round trip, browser or slow test (args: pytest)"
    )
    p = sub.add_parser("lint", help="ruff: lint and format check (configured in pyproject.toml)")
    p.set_defaults(func=_cmd_lint)
    p = sub.add_parser("lock", help="re-resolve constraints.txt with uv for every platform, keeping the tested pins")
    p.set_defaults(func=_cmd_lock)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in PYTEST_COMMANDS:
        return _run_tests(argv[1:], fast=PYTEST_COMMANDS[argv[0]])
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
