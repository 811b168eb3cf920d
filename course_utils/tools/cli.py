"""The ``course`` command: release, run, check and grade the course (thin, over nbgrader and papermill)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import DEFAULT_SEED, fast_mode, repo_root
from .grading.commands import add_grade_parser


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

    book = (repo_root() / "build" / "book") if args.with_book else None
    if book is not None and not book.is_dir():
        print(f"{book} does not exist: build it first (`course run`, then `course book`)", file=sys.stderr)
        return 1
    out = build_edition(Path(args.out) if args.out else None, book=book)
    print(f"student edition in {out}: publish this folder (keep the course repository private)")
    return 0


def _cmd_book(args: argparse.Namespace) -> int:
    from .book import BookError, build_book
    from .chapters import select_chapters

    try:
        done = build_book(
            select_chapters(args.only),
            fast=args.fast,
            build_dir=Path(args.build_dir).resolve() if args.build_dir else None,
            out=Path(args.out).resolve() if args.out else None,
            execute=False if args.no_execute else None,
        )
    except BookError as exc:
        print(exc, file=sys.stderr)
        return 1
    for warning in done["warnings"]:
        print(f"aviso: {warning}", file=sys.stderr)
    timing = ", ".join(f"{k} {v} s" for k, v in done.items() if k.endswith("_s"))
    print(
        f"book in {done['out']}/index.html ({done['bytes'] / 1e6:.1f} MB; {timing}); open it in a browser, no network needed"
    )
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    from ..lab import run_lab

    return run_lab(Path(args.notebook_dir), port=args.port, open_browser=not args.no_browser)


def _cmd_hub(args: argparse.Namespace) -> int:
    from .hub import run_demo

    students = [s.strip() for s in args.students.split(",") if s.strip()]
    try:
        return run_demo(Path(args.dir), args.port, args.instructor, students, args.password)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2


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

    add_grade_parser(sub)

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
    p.add_argument("--with-book", action="store_true", help="copy build/book (course book) into the edition as book/")
    p.set_defaults(func=_cmd_dist)

    p = sub.add_parser(
        "book", help="the offline book (build/book/): every chapter with its results, exercises as students see them"
    )
    p.add_argument(
        "--fast",
        action="store_true",
        help="execute every chapter in FAST mode first (CI); default: the full run of `course run`",
    )
    p.add_argument("--only", nargs="*", help="chapters whose name contains one of these")
    p.add_argument(
        "--build-dir", default=None, help="where `course run` wrote executed/ and report.json (default build/)"
    )
    p.add_argument("--out", default=None, help="folder to write (default <build-dir>/book; replaced)")
    p.add_argument(
        "--no-execute", action="store_true", help="with --fast: reuse <build-dir>/fast/ instead of executing"
    )
    p.set_defaults(func=_cmd_book)

    p = sub.add_parser("lab", help="JupyterLab for students on the release, with the Validate button")
    p.add_argument("--notebook-dir", default=str(repo_root() / "notebooks"), help="folder to open (default notebooks/)")
    p.add_argument("--port", type=int, default=None, help="port (default: JupyterLab's, 8888 or the next free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.set_defaults(func=_cmd_lab)

    p = sub.add_parser(
        "hub", help="a local demo class on JupyterHub with nbgrader's exchange (docs/instructors-scale.md)"
    )
    p.add_argument("--dir", default=str(repo_root() / "build" / "hub" / "clase"), help="the hub's folder (kept)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--instructor", default="profesora")
    p.add_argument("--students", default="ana,bea,carla", help="comma-separated user names")
    p.add_argument("--password", default=None, help="the demo's one password (default: a random one, printed)")
    p.set_defaults(func=_cmd_hub)

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
