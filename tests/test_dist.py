"""The student edition (`course dist`) holds no answer — no solution block, no hidden-test line, no
reference implementation of a graded exercise, no grading tool — and installs and runs from its
own folder with the README's commands."""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
import tomllib

from course_utils.tools.book import answer_secrets
from course_utils.tools.dist import answer_copies, build_edition, graded_answers, runtime_modules
from support import ROOT
from support.services import free_port


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    return build_edition(tmp_path_factory.mktemp("dist") / "edicion")


def _cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _edition_lines(edition: Path) -> dict[Path, list[str]]:
    """Every text file of the edition as stripped lines (notebooks: their cells' sources)."""
    texts = {}
    for path in edition.rglob("*"):
        if not path.is_file() or path.suffix not in (
            ".py",
            ".ipynb",
            ".md",
            ".json",
            ".toml",
            ".yml",
            ".txt",
            ".css",
            ".cfg",
        ):
            continue
        if path.suffix == ".ipynb":
            text = "\n".join(_source(c) for c in _cells(path))
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        texts[path] = [line.strip() for line in text.splitlines()]
    return texts


def test_edition_holds_only_what_a_student_needs(edition):
    top = sorted(p.name for p in edition.iterdir())
    assert top == sorted(
        [
            ".gitignore",
            "README.md",
            "constraints.txt",
            "course_utils",
            "data",
            "docs",
            "environment.yml",
            "nbgrader_config.py",
            "notebooks",
            "pyproject.toml",
            "run.py",
        ]
    )
    assert not (edition / "course_utils" / "tools").exists(), "the grading and release tools stay with the instructor"
    assert sorted(p.name for p in (edition / "notebooks").iterdir()) == sorted(
        p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()
    )
    ignored = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "data"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert not [f for f in ignored if (edition / f).exists()], (
        "files git ignores (real corpora, caches) are never published"
    )


def answer_leaks(edition: Path) -> list[str]:
    """Solution blocks and hidden-test lines found in the files of ``edition``."""
    blocks, hidden = answer_secrets()
    assert blocks and hidden, "the scan found the solutions' blocks"
    texts = _edition_lines(edition)
    leaks = []
    for path, lines in texts.items():
        present = set(lines)
        for line in hidden & present:
            if len(line) >= 30:  # `)`, `if mask is not None:`, `return x` say nothing
                leaks.append(f"{path.relative_to(edition)}: hidden-test line {line!r}")
        joined = "\n" + "\n".join(lines) + "\n"
        for block in blocks:  # whole lines in a row (a statement may quote a line in its prose)
            if block and (len(block) >= 2 or len(block[0]) >= 30) and "\n" + "\n".join(block) + "\n" in joined:
                leaks.append(f"{path.relative_to(edition)}: solution block starting {block[0]!r}")
    return leaks


def test_no_solution_block_or_hidden_test_line_in_the_edition(edition):
    leaks = answer_leaks(edition)
    assert not leaks, "answers in the student edition:\n" + "\n".join(leaks)


def test_the_scan_finds_a_planted_answer(edition, tmp_path):
    """The scan is not blind: a solution notebook or one hidden-test line in a module is found."""
    planted = tmp_path / "plantada"
    shutil.copytree(edition, planted)
    shutil.copy(next(ROOT.glob("solutions/01_*/*.ipynb")), planted / "notebooks" / "copia.ipynb")
    _, hidden = answer_secrets()
    line = max(hidden, key=len)
    with open(planted / "course_utils" / "plots.py", "a", encoding="utf-8") as module:
        module.write(f"\n\ndef _ayuda():\n    {line}\n")
    found = answer_leaks(planted)
    assert any(f.startswith("notebooks/copia.ipynb: solution block") for f in found), found
    assert any(f.startswith("course_utils/plots.py: hidden-test line") for f in found), found


def _graded_solution_names() -> dict[str, str]:
    names = {}
    for notebook in sorted(ROOT.glob("solutions/*/*.ipynb")):
        for cell in _cells(notebook):
            if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                for node in ast.parse(_source(cell)).body:
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        names[node.name] = notebook.parent.name
    return names


def _runtime_definitions(runtime: Path) -> dict[str, list[str]]:
    defined = {}
    for path in sorted(runtime.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.setdefault(node.name, []).append(path.relative_to(runtime.parent).as_posix())
    return defined


def test_no_reference_implementation_of_a_graded_exercise(edition):
    graded = _graded_solution_names()
    assert graded, "the scan found the graded solutions' definitions"
    defined = _runtime_definitions(edition / "course_utils")
    found = sorted(f"{name} ({graded[name]}): {files}" for name, files in defined.items() if name in graded)
    assert not found, (
        "the student runtime defines functions or classes named like graded answers; when a later "
        f"chapter needs the functionality, give it a private, structurally different implementation: {found}"
    )


def _answer_cells() -> set[tuple[str, str]]:
    """(chapter, grade id) of every graded solution cell that defines a function or class."""
    cells = set()
    for notebook in sorted(ROOT.glob("solutions/*/*.ipynb")):
        for cell in _cells(notebook):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if (
                cell["cell_type"] == "code"
                and meta.get("solution")
                and re.search(r"^(def|class) ", _source(cell), re.M)
            ):
                cells.add((notebook.parent.name, meta["grade_id"]))
    return cells


def test_no_graded_answer_in_the_edition_under_any_name(edition):
    """No function or class of the edition's runtime is a graded answer with other names: after
    erasing identifiers, attribute names, strings, constants and docstrings, none equals a
    solution's function or class, and no list of statements holds a solution function's body."""
    answers = graded_answers(ROOT)
    assert {(a.chapter, a.grade_id) for a in answers} == _answer_cells(), "every graded solution cell is scanned"
    modules = runtime_modules(edition)
    assert modules and not any(path.startswith("course_utils/tools/") for path in modules)
    copies = answer_copies(modules, answers)
    assert not copies, "graded answers in the student runtime:\n" + "\n".join(copies)


class _RenameCopy(ast.NodeTransformer):
    """What someone pasting an answer under other names writes: every name the answer defines
    (itself, its parameters, its variables, its ``self.`` attributes) renamed and every string
    reworded; modules, builtins and library attributes stay."""

    def __init__(self, defined: set[str]):
        self.defined = defined

    def _new(self, name: str) -> str:
        return f"{name}_copiado" if name in self.defined else name

    def visit_FunctionDef(self, node):
        node.name = self._new(node.name)
        return self.generic_visit(node)

    visit_ClassDef = visit_FunctionDef

    def visit_Name(self, node):
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._new(node.arg)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            node.attr = self._new(node.attr)
        return node

    def visit_Constant(self, node):
        return ast.Constant("texto cambiado") if isinstance(node.value, str) else node


def _renamed(node: ast.AST) -> ast.AST:
    defined = {node.name}
    for n in ast.walk(node):
        if isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            defined.add(n.name)
        elif isinstance(n, ast.arg):
            defined.add(n.arg)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            defined.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
            defined.add(n.attr)
    return ast.fix_missing_locations(_RenameCopy(defined - {"self"}).visit(copy.deepcopy(node)))


def _label(answer) -> str:
    return f"{answer.chapter} {answer.grade_id} {answer.name}"


def _statements(function: ast.AST) -> list[ast.stmt]:
    body = function.body
    return body[1:] if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else body


def test_the_answer_scan_finds_renamed_copies_planted_in_a_module(edition, tmp_path):
    """The scan is not blind: temporary modules of the runtime holding every graded answer renamed
    (as a definition, its body pasted inside a larger function, and its body with a statement
    inserted after each of its own) are reported for each answer, and nothing else is."""
    answers = graded_answers(ROOT)
    planted = tmp_path / "edicion"
    shutil.copytree(edition / "course_utils", planted / "course_utils")
    definitions, pasted, interleaved = [], [], {}
    for number, answer in enumerate(answers):
        renamed = _renamed(answer.node)
        definitions.append(ast.unparse(renamed))
        if isinstance(renamed, ast.ClassDef):
            continue
        body = _statements(renamed)
        wrapper = ast.parse(f"def ayuda_{number}(datos):\n    registro = []\n    registro.append(datos)")
        wrapper.body[0].body[1:1] = body
        pasted.append(ast.unparse(wrapper))
        if len(body) >= 4:
            extra = ast.parse("registro.append(len(registro))").body[0]
            mixed = ast.Module(body=[s for statement in body for s in (statement, extra)], type_ignores=[])
            interleaved[id(answer)] = f"def mezcla_{number}(registro):\n" + textwrap.indent(ast.unparse(mixed), "    ")
    assert interleaved, "some answers have four statements or more"
    for name, sources in (
        ("plantada_definiciones", definitions),
        ("plantada_dentro", pasted),
        ("plantada_mezclada", list(interleaved.values())),
    ):
        (planted / "course_utils" / f"{name}.py").write_text("\n\n\n".join(sources) + "\n", encoding="utf-8")
    found = answer_copies(runtime_modules(planted), answers)
    assert all(f.startswith("course_utils/plantada_") for f in found), found
    for answer in answers:
        where = {f.split(":")[0] for f in found if f.endswith(" " + _label(answer))}
        expected = {"course_utils/plantada_definiciones.py"}
        if not isinstance(answer.node, ast.ClassDef):
            expected.add("course_utils/plantada_dentro.py")
        if id(answer) in interleaved:
            expected.add("course_utils/plantada_mezclada.py")
        assert expected <= where, f"{_label(answer)}: found only in {sorted(where)}"


def test_student_package_is_the_student_set(edition):
    course = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    student = tomllib.loads((edition / "pyproject.toml").read_text())
    assert student["project"]["dependencies"] == course["dependencies"]
    assert student["project"]["requires-python"] == course["requires-python"]
    assert "optional-dependencies" not in student["project"] and "scripts" not in student["project"]
    readme = (edition / "README.md").read_text(encoding="utf-8")
    assert "python run.py lab" in readme and "python run.py test" in readme
    assert "solutions" not in readme and "course grade" not in readme


def test_edition_refuses_to_overwrite_the_course(tmp_path):
    for target in (ROOT, ROOT / "notebooks", ROOT.parent):
        with pytest.raises(ValueError):
            build_edition(target)


def test_edition_installs_and_runs_from_its_own_folder(edition):
    """The edition's README commands, for real: `python run.py test 01` creates .venv in the
    edition, installs the student set with the lock and runs chapter 01 up to its first exercise
    in FAST mode; `python run.py lab` then serves JupyterLab on the release."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONDA_PREFIX", "PYTHONPATH", "VIRTUAL_ENV", "COURSE_FAST")}
    # pip's byte-compilation of every installed module (PyTorch, TensorFlow…) is half of the
    # install's CPU (60 s of 130 s here) and nothing this test looks at: Python compiles what the
    # chapter imports when it imports it. (`PIP_NO_COMPILE=1` would mean the opposite to pip.)
    env["PIP_COMPILE"] = "false"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "run.py", "test", "01"], cwd=edition, env=env, capture_output=True, text=True, timeout=1800
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "01_operaciones_fusion: bien" in result.stdout
    python = edition / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True)
    names = {p["name"].lower() for p in json.loads(installed.stdout)}
    assert {"torch", "jupyterlab", "nbgrader", "course-utils"} <= names
    assert not names & {"papermill", "pytest", "playwright", "psycopg", "uv"}, (
        "students get no instructor or developer tools"
    )
    probe = subprocess.run(
        [str(python), "-c", "import course_utils.tools"], cwd=edition, capture_output=True, text=True
    )
    assert probe.returncode != 0, "the grading tools are not importable in the edition"
    print(f"edition: install + chapter 01 in {time.perf_counter() - start:.0f} s")

    port = free_port()
    lab = subprocess.Popen(
        [sys.executable, "run.py", "lab", "--no-browser", "--port", str(port)],
        cwd=edition,
        env=dict(env, HOME=str(edition / "home")),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, answer = time.time() + 120, None
        while time.time() < deadline and answer is None and lab.poll() is None:
            try:
                answer = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2).read())
            except OSError:
                time.sleep(1)
        assert answer and "version" in answer, f"JupyterLab did not answer: rc={lab.poll()}"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
