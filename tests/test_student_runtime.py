"""The student runtime (course_utils minus tools/) stands on its own: it imports on Windows (no
POSIX-only module at import time) and nothing a student gets imports the instructor's tools."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from support import ROOT

RUNTIME = ROOT / "course_utils"
POSIX_ONLY = ("resource", "fcntl", "pwd", "grp", "termios")

# Run in a fresh interpreter: an import made by a course_utils module (not by torch, numpy… which
# have their own Windows code paths) of a POSIX-only module fails, as it would on Windows.
GUARD = textwrap.dedent(f"""
    import builtins, importlib, json, sys
    real_import = builtins.__import__

    def windows_like(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {{}}).get("__name__") or ""
        if level == 0 and name.split(".")[0] in {POSIX_ONLY!r} and importer.startswith("course_utils"):
            raise ModuleNotFoundError(f"No module named {{name!r}} (Windows)")
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = windows_like
    failures = {{}}
    for module in json.loads(sys.argv[1]):
        try:
            importlib.import_module(module)
        except Exception as exc:
            failures[module] = f"{{type(exc).__name__}}: {{exc}}"
    print(json.dumps(failures))
""")


def runtime_modules(root: Path = RUNTIME) -> list[str]:
    modules = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if "tools" in parts[1:2] or "__pycache__" in parts:
            continue
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def _import_like_windows(modules: list[str], extra_path: Path | None = None) -> dict[str, str]:
    env_path = [str(extra_path)] if extra_path else []
    code = "import sys; sys.path[:0] = " + repr(env_path) + "\n" + GUARD
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(modules)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_runtime_module_imports_without_posix_only_modules():
    modules = runtime_modules()
    assert "course_utils.checks" in modules and "course_utils.lab" in modules
    assert not any(m.startswith("course_utils.tools") for m in modules)
    failures = _import_like_windows(modules)
    assert not failures, f"modules a notebook may import that would fail on Windows: {failures}"


def test_the_windows_guard_catches_a_posix_import(tmp_path):
    package = tmp_path / "course_utils_sonda"
    package.mkdir()
    (package / "__init__.py").write_text("import fcntl\n")
    assert "course_utils_sonda" in _import_like_windows(["course_utils_sonda"], tmp_path)


def _imported_modules(tree: ast.AST, module: str) -> set[str]:
    """Absolute names of everything imported in ``tree`` (relative imports resolved against ``module``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: len(module.split(".")) - node.level]
                base = ".".join(package + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _student_sources() -> dict[str, tuple[str, ast.AST]]:
    sources = {}
    for module in runtime_modules():
        path = ROOT / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = ROOT / module.replace(".", "/") / "__init__.py"
        # relative imports in a package's __init__ resolve against the package itself
        anchor = module + ".__init__" if path.name == "__init__.py" else module
        sources[str(path.relative_to(ROOT))] = (anchor, ast.parse(path.read_text(encoding="utf-8")))
    for folder in ("notebooks", "solutions"):
        for notebook in sorted((ROOT / folder).glob("*/*.ipynb")):
            for index, cell in enumerate(json.loads(notebook.read_text(encoding="utf-8"))["cells"]):
                if cell["cell_type"] == "code":
                    source = "".join(cell["source"])
                    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
                    sources[f"{notebook.relative_to(ROOT)} cell {index}"] = ("__main__", ast.parse("\n".join(lines)))
    return sources


def test_nothing_outside_tools_imports_the_tools():
    offenders = []
    for where, (anchor, tree) in _student_sources().items():
        for name in _imported_modules(tree, anchor):
            if name == "course_utils.tools" or name.startswith("course_utils.tools."):
                offenders.append(f"{where}: {name}")
    assert not offenders, f"the student runtime and the notebooks must not import course_utils.tools: {offenders}"


def test_relative_imports_are_resolved():
    tree = ast.parse("from ..tools import cli\nfrom . import config\nimport course_utils.tools.release\n")
    names = _imported_modules(tree, "course_utils.models.vit")
    assert {
        "course_utils.tools",
        "course_utils.tools.cli",
        "course_utils.models.config",
        "course_utils.tools.release",
    } <= names
