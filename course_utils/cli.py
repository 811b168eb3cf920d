"""The ``course`` command: release, run and check the course (thin, over nbgrader and papermill)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import DEFAULT_SEED, fast_mode, repo_root


def _cmd_release(args: argparse.Namespace) -> int:
    from .chapters import select_chapters
    from .release import generate_release

    for path in generate_release(chapters=select_chapters(args.only)):
        print(f"released {path.relative_to(repo_root())}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .chapters import select_chapters
    from .runner import run_course

    fast = args.fast or fast_mode()
    source_dir = Path(args.source_dir) if args.source_dir else None
    results, report = run_course(select_chapters(args.only, source_dir), fast, args.seed, args.device,
                                 Path(args.build_dir) if args.build_dir else None, source_dir)
    print(report.read_text(encoding="utf-8"))
    failed = [r.name for r in results if r.status != "ok"]
    if failed:
        print(f"FAILED notebooks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .release import release_differences

    problems = release_differences()
    if problems:
        print("The student release is out of sync with solutions/ (run `course release`):")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("notebooks/ is in sync with solutions/.")
    return 0


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
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("check", help="fail if notebooks/ differs from what nbgrader generates from solutions/")
    p.set_defaults(func=_cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
