"""``course dist``: the student edition, what an instructor publishes to students.

The course repository holds the answers (``solutions/`` with every hidden test, the grading
tools); it stays private. The edition is a folder with only what a student needs: the release
notebooks, the data, the student runtime of ``course_utils`` (everything except ``tools/``), the
set-up command ``run.py`` with the lock, a pyproject and a conda environment for the student
package, nbgrader's configuration for *Validate*, and a README in Spanish. Files are taken from
git's index (``git ls-files``), so ignored files — the real MEX-A3T corpus, caches, builds —
never leave the instructor's machine.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..config import repo_root

# Folders and files copied as they are (tracked files only).
EDITION_PATHS = (
    "notebooks",
    "data",
    "course_utils",
    "docs",
    "run.py",
    "constraints.txt",
    "environment.yml",
    "nbgrader_config.py",
)
EXCLUDED = ("course_utils/tools",)

TITLE = "# Fusión multimodal — edición para estudiantes\n"
INTRO = """
Curso abierto, en español, sobre **fusión multimodal en aprendizaje profundo**: notebooks de
Jupyter en orden, con ejercicios que se comprueban con el botón **Validate**, los datos y el
paquete de ayuda `course_utils`. Funciona sin conexión en la CPU de un portátil.

Esta carpeta es la edición para estudiantes: no contiene soluciones ni pruebas ocultas.
"""
GITIGNORE = ".venv/\nbuild/\n__pycache__/\n.ipynb_checkpoints/\n*.egg-info/\n"


def tracked_files(root: Path, paths: tuple[str, ...] = EDITION_PATHS) -> list[str]:
    """The files of ``paths`` that git tracks (never ignored or untracked ones), minus ``EXCLUDED``."""
    result = subprocess.run(["git", "ls-files", "-z", "--", *paths], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"course dist needs the course's git repository at {root}: {result.stderr.strip()}")
    files = [f for f in result.stdout.split("\0") if f and (root / f).is_file()]
    return sorted(f for f in files if not any(f == e or f.startswith(e + "/") for e in EXCLUDED))


def student_pyproject(root: Path) -> str:
    """The student package's pyproject.toml: the course's name, version, Python range and
    dependencies (the student set, no extras), the student runtime only, no ``course`` command."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    build = re.search(r"^\[build-system\]\n.*?(?=^\[)", text, re.M | re.S).group(0).rstrip()
    fields = {key: re.search(rf"^{key} = .*$", text, re.M).group(0) for key in ("name", "version", "requires-python")}
    dependencies = re.search(r"^dependencies = \[\n.*?^\]$", text, re.M | re.S).group(0)
    return "\n".join(
        [
            "# The student edition of the course (built by `course dist`): the student set of packages",
            "# only; the versions CI tested are in constraints.txt (`python run.py` uses them).",
            build,
            "",
            "[project]",
            fields["name"],
            fields["version"],
            'description = "Fusión multimodal: edición para estudiantes (notebooks, datos y course_utils)"',
            fields["requires-python"],
            'license = { text = "MIT" }',
            dependencies,
            "",
            "[tool.setuptools.packages.find]",
            'include = ["course_utils*"]',
            'exclude = ["course_utils.tools*"]',
            "",
            "[tool.setuptools.package-data]",
            '"course_utils" = ["lab_assets/custom/*.css", "lab_assets/config/labconfig/*.json"]',
            "",
        ]
    )


def student_readme(root: Path) -> str:
    """The edition's README: a short introduction and the students' guide (``docs/estudiantes.md``),
    its links made relative to the edition's top folder."""
    guide = root / "docs" / "estudiantes.md"
    if not guide.is_file():
        raise RuntimeError(f"{guide} is missing: it is the students' guide the edition publishes")
    text = guide.read_text(encoding="utf-8").split("\n", 1)[1]  # its title: the edition has its own
    text = re.sub(r"\]\((?![a-z]+:|/|#)([^)]+)\)", r"](docs/\1)", text)
    return TITLE + INTRO + "\n" + text.strip() + "\n"


def build_edition(out: Path | None = None, root: Path | None = None, book: Path | None = None) -> Path:
    """Write the student edition into ``out`` (default ``build/edicion-estudiante``), replacing it;
    ``book`` (a built ``course book``) is copied in as ``book/``, after a last scan for answers."""
    root = root or repo_root()
    out = Path(out or root / "build" / "edicion-estudiante").resolve()
    inside = root.resolve() in out.parents
    if (
        out == root.resolve()
        or out in root.resolve().parents
        or inside
        and out.relative_to(root.resolve()).parts[0] != "build"
    ):
        raise ValueError(
            f"course dist: {out} would overwrite the course itself; write the edition outside it or under build/"
        )
    if out.exists():
        shutil.rmtree(out)
    for name in tracked_files(root):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    (out / "pyproject.toml").write_text(student_pyproject(root), encoding="utf-8")
    (out / "README.md").write_text(student_readme(root), encoding="utf-8")
    (out / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    if book is not None:
        from .book import book_leaks

        leaks = book_leaks(Path(book), root / "solutions")
        if leaks or not (Path(book) / "index.html").is_file():
            raise ValueError(f"course dist: {book} is not a book without answers: {leaks or 'no index.html'}")
        shutil.copytree(book, out / "book")
    return out


# --- No graded answer in the edition ------------------------------------------------------------
# The student runtime may hold what a later chapter needs, never a graded exercise's answer: not
# by name (tests/test_dist.py), and not as a copy under other names. Definitions are compared
# after erasing everything a copy can rename: identifiers, attribute and keyword names, strings,
# numbers, docstrings, annotations and decorators.

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
_MARK = "__course_solution_marker__"


@dataclass(frozen=True)
class GradedAnswer:
    """A function or class of a graded solution cell that holds (part of) the answer."""

    chapter: str
    grade_id: str
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


class _Erase(ast.NodeTransformer):
    """Erase what a renamed copy changes; keep the shape of the code."""

    def _definition(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:] or [ast.Pass()]  # the docstring
        node.body, node.name, node.decorator_list = body, "_", []
        if hasattr(node, "returns"):
            node.returns = None
        if hasattr(node, "type_params"):
            node.type_params = []
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition

    def visit_Name(self, node):
        return ast.Name(id="_", ctx=node.ctx)

    def visit_arg(self, node):
        return ast.arg(arg="_", annotation=None)

    def visit_Attribute(self, node):
        self.generic_visit(node)
        node.attr = "_"
        return node

    def visit_keyword(self, node):
        self.generic_visit(node)
        node.arg = None if node.arg is None else "_"
        return node

    def visit_AnnAssign(self, node):
        self.generic_visit(node)
        node.annotation = ast.Constant(value=None)
        return node

    def visit_Constant(self, node):
        return ast.Constant(value=None)

    def visit_JoinedStr(self, node):
        return ast.Constant(value=None)

    def visit_alias(self, node):
        return ast.alias(name="_", asname=None if node.asname is None else "_")

    def visit_ExceptHandler(self, node):
        self.generic_visit(node)
        node.name = None if node.name is None else "_"
        return node

    def visit_Global(self, node):
        return type(node)(names=["_"] * len(node.names))

    visit_Nonlocal = visit_Global


def normalise(node: ast.AST) -> str:
    """``node`` with identifiers, attribute names, strings, constants, docstrings, annotations
    and decorators erased, as a string: two pieces of code that differ only in what a renamed
    copy changes give the same string."""
    return ast.dump(_Erase().visit(copy.deepcopy(node)), annotate_fields=False)


def _definitions(tree: ast.AST):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _body(node: ast.AST) -> list[ast.stmt]:
    """A definition's or module's statements, without its docstring."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return body[1:]
    return body


def _statement_lists(tree: ast.AST):
    """Every list of statements in ``tree`` (a module, class or function body, a branch of an
    ``if``, a loop, a ``with``, a ``try``…), docstrings left out."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                block = _body(node) if field == "body" else block
                if block:
                    yield block


def _is_marker(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Name) and statement.value.id == _MARK


class _DropMarkers(ast.NodeTransformer):
    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(node, field, [s for s in block if not _is_marker(s)] or [ast.Pass()])
        return node


def _parse_solution_cell(source: str) -> tuple[ast.Module, set[int]]:
    """The cell's code without its solution markers, and the ids of the definitions that
    enclose a marker (every definition when the cell has none: the whole cell is the answer)."""
    lines = source.splitlines()
    marked = [
        line[: len(line) - len(line.lstrip())] + _MARK if line.strip().startswith(SOLUTION_MARKERS) else line
        for line in lines
    ]
    tree = ast.parse("\n".join(marked))
    has_markers = any(line.strip().startswith(SOLUTION_MARKERS) for line in lines)
    enclosing = {
        id(d)
        for d in _definitions(tree)
        if not has_markers or any(_is_marker(s) for b in _statement_lists(d) for s in b)
    }
    return _DropMarkers().visit(tree), enclosing


def graded_answers(root: Path) -> list[GradedAnswer]:
    """The definitions of every graded solution cell of ``root/solutions`` that hold an answer:
    each function or class enclosing a ``### BEGIN SOLUTION`` block (scaffold methods the
    release shows are left out), or every one of a solution cell without markers."""
    answers = []
    for notebook in sorted(root.glob("solutions/*/*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not meta.get("solution"):
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            tree, enclosing = _parse_solution_cell(source)
            answers += [
                GradedAnswer(notebook.parent.name, meta.get("grade_id", "?"), d.name, d)
                for d in _definitions(tree)
                if id(d) in enclosing
            ]
    return answers


def runtime_modules(folder: Path) -> dict[str, str]:
    """Source of every module of the student runtime in an edition (or any folder holding a
    ``course_utils`` package), by path relative to ``folder``."""
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((folder / "course_utils").rglob("*.py"))
    }


def _in_order(needle: list[str], haystack: list[str]) -> bool:
    rest = iter(haystack)
    return all(any(item == other for other in rest) for item in needle)


def _runs(items: list[str], length: int) -> list[list[str]]:
    return [items[i : i + length] for i in range(len(items) - length + 1)]


def _holds(block: list[str], body: list[str]) -> str | None:
    """How the statements ``block`` hold the answer body ``body`` (both normalised), if they do."""
    if body in _runs(block, len(body)):
        return "the body"
    if len(body) >= 4 and _in_order(body, block):
        return "every statement, in order, of the body"
    if len(body) > 3 and any(run in _runs(block, 3) for run in _runs(body, 3)):
        return "three consecutive statements of the body"
    return None


def answer_copies(modules: dict[str, str], answers: list[GradedAnswer]) -> list[str]:
    """Where ``modules`` (path → source) hold a graded answer, renamed or not. After
    :func:`normalise`, a copy is a function or class equal to an answer's, or a list of
    statements (a function body, a method, a branch, a module) holding an answer function's
    whole body in a row, all of its statements in order with others between (bodies of four
    statements or more), or three of its consecutive statements."""
    whole = {normalise(a.node): a for a in answers}
    bodies = [([normalise(s) for s in _body(a.node)], a) for a in answers if not isinstance(a.node, ast.ClassDef)]
    found = []
    for path, source in modules.items():
        tree = ast.parse(source)
        for node in _definitions(tree):
            answer = whole.get(normalise(node))
            if answer is not None:
                found.append(f"{path}:{node.lineno} {node.name} is {answer.chapter} {answer.grade_id} {answer.name}")
        for block in _statement_lists(tree):
            statements = [normalise(s) for s in block]
            for body, answer in bodies:
                how = _holds(statements, body)
                if how:
                    found.append(
                        f"{path}:{block[0].lineno} holds {how} of {answer.chapter} {answer.grade_id} {answer.name}"
                    )
    return sorted(set(found))
