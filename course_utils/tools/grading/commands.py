"""``course grade ACTION ASSIGNMENT``: one sub-command per action, each taking only its own
options; the per-student limits are read from :class:`.limits.GradingLimits` (every field an
option, its default and help the field's)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from .limits import GradingLimits


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("assignment", help="the chapter / nbgrader assignment, e.g. 01_operaciones_fusion")
    common.add_argument("--course-root", default=".", help="folder with nbgrader_config.py, solutions/ and submitted/")
    common.add_argument("--db", default=None, help="gradebook SQLAlchemy URL (default sqlite:///<root>/gradebook.db)")
    return common


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """One option per field of :class:`GradingLimits` (``memory_mb`` → ``--memory-mb``)."""
    for limit in dataclasses.fields(GradingLimits):
        parser.add_argument(
            "--" + limit.name.replace("_", "-"),
            type=int,
            default=limit.default,
            help=f"{limit.metadata.get('help', limit.name)} (default {limit.default})",
        )


def limits_from(args: argparse.Namespace) -> GradingLimits:
    return GradingLimits(**{f.name: getattr(args, f.name) for f in dataclasses.fields(GradingLimits)})


def add_grade_parser(sub: argparse._SubParsersAction) -> None:
    """``course grade``, with its sub-commands."""
    grade = sub.add_parser(
        "grade",
        help="instructor grading: collect, autograde (parallel, isolated), release (held points of "
        "reviewed submissions), feedback (no hidden tests), report, similarity (near-identical submissions)",
    )
    actions = grade.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = _common()

    p = actions.add_parser("collect", parents=[common], help="take an LMS export into submitted/, with the times")
    p.add_argument("--source", default="entregas", help="folder with one sub-folder per student")
    p.add_argument(
        "--submission-time",
        choices=["mtime", "now"],
        default="mtime",
        help="the submission time recorded (the notebook's modification time in --source, or now); "
        "a timestamp.txt handed in is never used",
    )
    from .collect import CollectLimits

    taken = CollectLimits()
    p.add_argument("--max-file-mb", type=float, default=taken.max_file_mb, help="largest file taken (MiB)")
    p.add_argument("--max-total-mb", type=float, default=taken.max_total_mb, help="most taken per student (MiB)")
    p.add_argument(
        "--max-age-days",
        type=float,
        default=taken.max_age_days,
        help="oldest a notebook's date may be and still be its submission time (days before the collection; "
        "an older one, e.g. a date the student's own zip carried, is refused)",
    )
    p.set_defaults(func=_collect)

    p = actions.add_parser("autograde", parents=[common], help="grade in parallel, each kernel in the sandbox")
    p.add_argument("--student", nargs="*", help="only these students (status.csv and the reports keep the others)")
    p.add_argument(
        "--extra-file",
        action="append",
        default=[],
        help="a file besides the notebooks that the assignment needs in the kernel's folder "
        "(repeatable; default none: only the notebooks enter the sandbox)",
    )
    p.add_argument("--jobs", type=int, default=2, help="parallel workers")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a Dask scheduler (tcp://host:8786): one task per student on its workers, each the same "
        "sandboxed grading; this machine stores the grades (--jobs unused). See docs/instructors-scale.md",
    )
    add_limit_options(p)
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run students' kernels WITHOUT the bubblewrap sandbox (the reports say so)",
    )
    p.set_defaults(func=_autograde)

    p = actions.add_parser("release", parents=[common], help="give reviewed students back their held points")
    p.add_argument("--student", nargs="*", help="the reviewed students (without it: the list of held submissions)")
    p.set_defaults(func=_release)

    p = actions.add_parser("feedback", parents=[common], help="HTML feedback per student, no hidden test in it")
    p.add_argument("--student", nargs="*", help="only these students")
    p.set_defaults(func=_feedback)

    p = actions.add_parser("report", parents=[common], help="grades.csv, summary.md and plots")
    p.set_defaults(func=_report)

    p = actions.add_parser("similarity", parents=[common], help="similarity.csv: near-identical submissions")
    p.set_defaults(func=_similarity)

    course_wide = argparse.ArgumentParser(add_help=False)
    course_wide.add_argument("--course-root", default=".", help="folder with nbgrader_config.py")
    course_wide.add_argument(
        "--db", default=None, help="gradebook SQLAlchemy URL (default sqlite:///<root>/gradebook.db)"
    )
    p = actions.add_parser(
        "roster", parents=[course_wide], help="the class list (id, name, e-mail, LMS id) into the gradebook"
    )
    p.add_argument("file", help="CSV with a header: id, nombre[, apellidos], email[, lms_id]")
    p.set_defaults(func=_roster)

    p = actions.add_parser(
        "export", parents=[course_wide], help="grades for Moodle or Canvas (nbgrader export plugin), every chapter"
    )
    p.add_argument("--lms", choices=["moodle", "canvas"], required=True)
    p.add_argument("--to", default=None, help="the CSV written (default grading/<lms>.csv)")
    p.add_argument("--section", default="", help="Canvas: the Section column")
    p.add_argument(
        "--canvas-id",
        action="append",
        default=[],
        metavar="ASSIGNMENT=ID",
        help="Canvas's id of a chapter's assignment (column 'Name (id)'; repeatable)",
    )
    p.set_defaults(func=_export)


def _root(args: argparse.Namespace) -> Path:
    return Path(args.course_root).resolve()


def _db(args: argparse.Namespace) -> str:
    from .gradebook import default_db_url

    return args.db or default_db_url(_root(args))


def _collect(args: argparse.Namespace) -> int:
    from .collect import CollectLimits, collect_tree, manifest_path

    root = _root(args)
    collected = collect_tree(
        Path(args.source),
        root,
        args.assignment,
        CollectLimits(max_file_mb=args.max_file_mb, max_total_mb=args.max_total_mb, max_age_days=args.max_age_days),
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


def _autograde(args: argparse.Namespace) -> int:
    from .autograde import NO_SANDBOX_NOTE, SandboxUnavailable, check_gradebook, grade_submissions

    db_url = _db(args)
    try:
        results = grade_submissions(
            _root(args),
            args.assignment,
            args.student or None,
            db_url,
            args.jobs,
            limits_from(args),
            sandboxed=not args.no_sandbox,
            extra_files=args.extra_file,
            **({"scheduler": args.scheduler} if args.scheduler else {}),
        )
    except SandboxUnavailable as err:
        print(f"No se califica a nadie / nobody graded: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        if type(err).__name__ != "ClusterUnavailable":
            raise
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
    for problem in problems:
        print(f"  - {problem}")
    return 1 if problems else 0


def _release(args: argparse.Namespace) -> int:
    from .autograde import release
    from .gradebook import held_points

    db_url = _db(args)
    held = held_points(db_url, args.assignment)
    if not args.student:
        listed = ", ".join(f"{s} ({p:g})" for s, p in sorted(held.items())) or "ninguna"
        print(f"Indique --student ID… tras revisar la entrega. Entregas con puntos retenidos: {listed}")
        return 2
    for row in release(_root(args), args.assignment, args.student, db_url):
        what = f"{held[row.student]:g} puntos liberados" if row.student in held else "no tenía puntos retenidos"
        print(f"{row.student}: {what} · nota {row.score:g}/{row.max_score:g}")
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from .feedback import generate_feedback

    root = _root(args)
    withheld = generate_feedback(root, args.assignment, _db(args), args.student or None)
    print(f"informes HTML (sin pruebas ocultas) en {root / 'feedback'}/<estudiante>/{args.assignment}/")
    for page, lines in withheld.items():
        print(f"  RETENIDO {page}: citaba pruebas ocultas ({len(lines)} líneas)")
    return 1 if withheld else 0


def _report(args: argparse.Namespace) -> int:
    from .reports import write_reports

    for name, path in write_reports(_root(args), args.assignment, _db(args)).items():
        print(f"{name}: {path}")
    return 0


def _similarity(args: argparse.Namespace) -> int:
    from .similarity import write_similarity

    path = write_similarity(_root(args), args.assignment)
    with open(path, encoding="utf-8") as fh:
        pairs = sum(1 for _ in fh) - 1
    print(f"entregas casi idénticas: {path} ({pairs} parejas)")
    return 0


def _roster(args: argparse.Namespace) -> int:
    from ..environment import patched_environ, tool_environment
    from .roster import RosterError, read_roster, store_roster, students_without_roster

    try:
        entries = read_roster(Path(args.file))
    except RosterError as err:
        print(f"Lista de clase no importada (nada escrito):\n{err}", file=sys.stderr)
        return 2
    db_url = _db(args)
    with patched_environ(PATH=tool_environment()["PATH"]):  # nbgrader runs alembic by name
        added, updated = store_roster(db_url, entries)
        missing = students_without_roster(db_url)
    print(f"lista de clase: {added} estudiantes nuevos, {updated} actualizados en {db_url}")
    if missing:
        print(f"AVISO: {len(missing)} estudiantes del gradebook sin nombre o correo: {', '.join(missing)}")
    return 0


def _export(args: argparse.Namespace) -> int:
    import subprocess

    from ..environment import tool_environment
    from .export import export_command

    root = _root(args)
    to = Path(args.to).resolve() if args.to else root / "grading" / f"{args.lms}.csv"
    to.parent.mkdir(parents=True, exist_ok=True)
    extra = []
    if args.lms == "canvas":
        ids = {}
        for pair in args.canvas_id:
            name, sep, number = pair.partition("=")
            if not sep or not number.strip():
                print(
                    f"--canvas-id {pair!r}: se esperaba TAREA=ID (p. ej. 01_operaciones_fusion=1234)", file=sys.stderr
                )
                return 2
            ids[name.strip()] = number.strip()
        extra = [f"--CanvasExportPlugin.section={args.section}"] + (
            [f"--CanvasExportPlugin.canvas_ids={ids!r}"] if ids else []
        )
    proc = subprocess.run(
        export_command(args.lms, root, _db(args), to, extra), cwd=root, env=tool_environment(), text=True
    )
    if proc.returncode == 0:
        from ..environment import patched_environ
        from .roster import students_without_roster

        print(f"notas para {args.lms}: {to}")
        with patched_environ(PATH=tool_environment()["PATH"]):
            missing = students_without_roster(_db(args))
        if missing:
            print(
                f"AVISO: {len(missing)} estudiantes sin nombre o correo (el LMS no los identificará por correo; "
                f"importe la lista de clase con course grade roster): {', '.join(missing)}"
            )
    return proc.returncode
