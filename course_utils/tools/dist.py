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

import re
import shutil
import subprocess
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

# Graded exercises whose name is still defined in the student runtime, each because a later
# chapter builds on it. The edition scan (tests/test_dist.py) fails on any other function or class
# of the student runtime named like a graded solution, and on an entry here that no longer exists.
# The hidden tests of the exercise are expected to reject delegation to it (checks.check_own_work).
STUDENT_RUNTIME_ALLOWLIST: dict[str, str] = {
    # chapter 01 grades the PyTorch module; the Keras layer of the same name is chapter 02's tool
    # for its learned weighted average of late-fusion outputs.
    "WeightedAverage": "course_utils/fusion/keras.py",
    # graded in chapter 02; chapter 03 trains it on dict minibatches.
    "ThreeBranchFusion": "course_utils/models/fusion_nets.py",
    # graded in chapter 03; chapters 05 and 06 pool masked word sequences with it
    # (models/contrastive.py, models/clip.py, models/cross_attention.py).
    "masked_mean": "course_utils/batching.py",
    # graded in chapter 05; its later sections score the dual encoder, the v0–v10 ablation and
    # the re-ranking with retrieval.retrieval_scores, which calls it.
    "recall_at_k": "course_utils/retrieval.py",
    # graded in chapter 05; training.train_contrastive uses it for chapter 05's dual encoder and
    # chapter 06's CLIP.
    "contrastive_loss": "course_utils/models/contrastive.py",
    # graded in chapter 06; its later sections build ViT and CLIP from these parts.
    "PatchEmbed": "course_utils/models/vit.py",
    "add_class_token": "course_utils/models/vit.py",
}

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
    """The edition's README: a short introduction and the course README's section for students."""
    text = (root / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Para estudiantes.*?(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        raise RuntimeError("README.md has no '## Para estudiantes' section to publish")
    return TITLE + INTRO + "\n" + match.group(0).rstrip() + "\n"


def build_edition(out: Path | None = None, root: Path | None = None) -> Path:
    """Write the student edition into ``out`` (default ``build/edicion-estudiante``), replacing it."""
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
    return out
