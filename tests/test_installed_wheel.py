"""The package installed non-editable (its wheel, as `pip install` on Colab or Binder installs it)
finds its data and keeps its cache out of site-packages: the wheel is built from this tree,
installed with the lock into a fresh virtual environment (pip's cache and wheelhouse give the
PyTorch CPU wheel; nothing is built), and chapter 01 runs there in FAST mode, from a folder
outside the course, with nothing but the installed package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from course_utils import config
from support import ROOT

CHAPTER = "01_operaciones_fusion"


def test_data_dir_prefers_the_setting_then_the_course_folder_then_the_installed_data(monkeypatch, tmp_path):
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    assert config.course_root() == ROOT
    assert config.data_dir("aggression") == ROOT / "data" / "aggression"
    installed = tmp_path / "share" / "fusion-multimodal" / "data"
    monkeypatch.setattr(config, "course_root", lambda: None)
    monkeypatch.setattr(config, "installed_data_dir", lambda: installed)
    assert config.data_dir("aggression", "x.txt") == installed / "aggression" / "x.txt"
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "mine"))
    assert config.data_dir("a") == tmp_path / "mine" / "a"


def test_cache_goes_to_the_user_cache_when_installed(monkeypatch, tmp_path):
    monkeypatch.delenv(config.CACHE_ENV, raising=False)
    assert config.cache_dir() == ROOT / "build" / "cache"
    monkeypatch.setattr(config, "course_root", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "linux")
    assert config.cache_dir("x") == tmp_path / "fusion-multimodal" / "x"


def _tree_copy(dest: Path) -> Path:
    """The files git tracks or would track (the working tree as it is), without build outputs."""
    names = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in names:
        source = ROOT / name
        if source.is_file() and not name.startswith(("notebooks/", "solutions/", "tests/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_the_wheel_installs_and_runs_chapter_01_fast(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX")}
    env = {k: v for k, v in env.items() if not k.startswith(("COURSE_", "JUPYTER"))}
    env["PIP_COMPILE"] = "false"  # pip's byte-compilation of PyTorch and TensorFlow is half the install
    source = _tree_copy(tmp_path / "src")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", ".", "-w", str(tmp_path / "dist")],
        cwd=source,
        env=env,
    )
    (wheel,) = (tmp_path / "dist").glob("course_utils-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], env=env)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"), str(wheel)],
        env=env,
        timeout=1800,
    )

    work, home = tmp_path / "trabajo", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    run_env = dict(env, HOME=str(home), COURSE_FAST="1", PATH=os.pathsep.join([str(bindir), env.get("PATH", "")]))
    probe = _run(
        [
            str(python),
            "-c",
            "import json, course_utils, course_utils.config as c\n"
            "from course_utils.datasets.aggression import load_aggression\n"
            "splits = load_aggression()\n"
            "print(json.dumps({'module': course_utils.__file__, 'root': str(c.course_root()), "
            "'data': str(c.data_dir()), 'cache': str(c.cache_dir()), "
            "'train': len(splits['train'].texts)}))",
        ],
        cwd=work,
        env=run_env,
    )
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert Path(found["module"]).resolve().is_relative_to(venv.resolve()), found
    assert found["root"] == "None", "installed: no course folder"
    assert Path(found["data"]).resolve().is_relative_to(venv.resolve()), found
    assert (Path(found["data"]) / "README.md").is_file()
    assert Path(found["cache"]).resolve().is_relative_to(home.resolve()), found
    assert found["train"] > 100

    notebook = work / f"{CHAPTER}.ipynb"
    shutil.copy2(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", notebook)
    _run(
        [
            str(python),
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=600",
            "--output",
            "ejecutado.ipynb",
            notebook.name,
        ],
        cwd=work,
        env=run_env,
        timeout=900,
    )
    executed = json.loads((work / "ejecutado.ipynb").read_text(encoding="utf-8"))
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    assert not list(Path(found["module"]).parent.parent.glob("build")), "nothing written into site-packages"
