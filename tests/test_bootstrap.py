"""run.py, the set-up command of every OS: per-platform paths, where PyTorch comes from, which
platforms are refused, and what it installs, with the platform patched; then for real here."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import ROOT

spec = importlib.util.spec_from_file_location("run_bootstrap", ROOT / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)


@pytest.mark.parametrize(
    "system, python, scripts",
    [
        ("Windows", Path("v/Scripts/python.exe"), Path("v/Scripts")),
        ("Linux", Path("v/bin/python"), Path("v/bin")),
        ("Darwin", Path("v/bin/python"), Path("v/bin")),
    ],
)
def test_venv_paths_per_os(monkeypatch, system, python, scripts):
    assert run.venv_python(Path("v"), system) == python
    monkeypatch.setattr(platform, "system", lambda: system)  # the default asks the platform
    assert run.venv_python(Path("v")) == python
    assert run.venv_scripts(Path("v")) == scripts


def test_other_pythons_are_looked_for_by_the_os_own_names():
    assert run.interpreter_candidates("Windows")[0] == ["py", "-3.13"]
    assert run.interpreter_candidates("Linux") == [["python3.13"], ["python3.12"], ["python3.11"], ["python3.10"]]


@pytest.mark.parametrize(
    "system, gpu, local, environ, expected",
    [
        ("Linux", False, None, {}, run.CPU_TORCH_INDEX),  # PyPI's Linux wheel is the CUDA build
        ("Linux", False, "2.13.0", {}, run.CPU_TORCH_INDEX),  # pip would take PyPI's: still CPU index
        ("Linux", False, "2.13.0+cpu", {}, None),  # pip's own config offers a CPU wheel
        ("Linux", True, None, {}, None),  # --gpu: PyPI's CUDA build
        ("Darwin", False, None, {}, None),  # macOS and Windows wheels are CPU builds
        ("Windows", False, None, {}, None),
        ("Linux", False, None, {"COURSE_TORCH_INDEX": "none"}, None),  # offline mirror: no index at all
        ("Windows", False, None, {"COURSE_TORCH_INDEX": "https://mirror/whl"}, "https://mirror/whl"),
    ],
)
def test_torch_index_choice(system, gpu, local, environ, expected):
    assert run.torch_index(system, gpu, local, environ) == expected


def test_gpu_is_asked_by_flag_or_environment():
    assert run.gpu_requested(True, {}) and run.gpu_requested(False, {"COURSE_GPU": "1"})
    assert not run.gpu_requested(False, {}) and not run.gpu_requested(False, {"COURSE_GPU": "0"})


def test_yes_no_words_are_the_package_s_one_list():
    """COURSE_GPU (read by run.py before anything is installed) and COURSE_FAST (read by the
    package) switch on with the same words: run.py loads them from course_utils/config.py."""
    from course_utils import config

    assert run.package_config().TRUE_WORDS == config.TRUE_WORDS
    for word in config.TRUE_WORDS | {" Sí ", "TRUE"}:
        assert run.gpu_requested(False, {"COURSE_GPU": word}) and config.is_true(word)
    for word in ("", "0", "no", "false", "off"):
        assert not run.gpu_requested(False, {"COURSE_GPU": word}) and not config.is_true(word)
    assert "TRUE_WORDS = " not in (ROOT / "run.py").read_text(encoding="utf-8")


def test_run_py_needs_only_the_standard_library():
    """run.py, with the part of the package it reads, works with no site-packages at all."""
    code = "import runpy, sys; m = runpy.run_path(sys.argv[1]); print(m['gpu_requested'](False, {'COURSE_GPU': 'sí'}))"
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(ROOT / "run.py")], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize("edition", [False, True])
def test_every_command_installs_its_audience_then_hands_over_to_the_package(monkeypatch, edition):
    """run.py is the bootstrap: after the install it runs the package (the `course` CLI, or in
    the edition the student runtime) with the command's arguments, untouched."""
    installed, handed = [], []
    monkeypatch.setattr(run, "is_edition", lambda: edition)
    monkeypatch.setattr(run, "ensure_installed", lambda audience, gpu=False: installed.append(audience) or Path("py"))
    monkeypatch.setattr(run, "call", lambda command, python: handed.append(command) or 0)
    commands = run.EDITION_COMMANDS if edition else run.REPO_COMMANDS
    for name, (audience, _, handover) in commands.items():
        installed.clear()
        handed.clear()
        assert run.main([name, "-k", "01", "--fast"] if name in run.PASSTHROUGH else [name]) == 0
        assert installed == [audience]
        if handover is None:
            assert name == "install" and handed == []
        else:
            extra = ["-k", "01", "--fast"] if name in run.PASSTHROUGH else []
            assert handed == [["py", *handover, *extra]]
    if edition:
        assert {n: h for n, (_, _, h) in commands.items()} == {
            "install": None,
            "test": ("-m", "course_utils.install_check"),
            "lab": ("-m", "course_utils.lab"),
        }, "the edition has no course_utils.tools: only the student runtime"
    else:
        assert commands["test"][2] == ("-m", "course_utils.tools.cli", "test")
        assert commands["course"][2] == ("-m", "course_utils.tools.cli", "run", "--release")
        assert all(
            h is None or h[:2] == ("-m", "course_utils.tools.cli") or h == run.LAB for _, _, h in commands.values()
        )


def test_the_cli_has_every_command_run_py_hands_over():
    from course_utils.tools.cli import build_parser

    names = set(build_parser()._subparsers._group_actions[0].choices)
    for _, _, handover in run.REPO_COMMANDS.values():
        if handover and handover[:2] == run.CLI:
            assert handover[2] in names


@pytest.mark.parametrize(
    "system, machine, python, mac, bits, refused_because",
    [
        ("Linux", "x86_64", (3, 10), "", 64, None),
        ("Linux", "x86_64", (3, 13), "", 64, None),
        ("Linux", "aarch64", (3, 12), "", 64, None),
        ("Darwin", "arm64", (3, 11), "14.5", 64, None),
        ("Windows", "AMD64", (3, 12), "", 64, None),
        ("Linux", "x86_64", (3, 14), "", 64, "Python 3.14"),
        ("Windows", "AMD64", (3, 9), "", 64, "Python 3.9"),
        ("Darwin", "arm64", (3, 11), "13.6.1", 64, "macOS 14"),
        ("Darwin", "x86_64", (3, 11), "14.5", 64, "Intel"),
        ("Windows", "ARM64", (3, 12), "", 64, "ARM64"),
        ("Windows", "AMD64", (3, 12), "", 32, "32 bits"),
    ],
)
def test_platforms_the_course_cannot_serve_get_a_clear_message(system, machine, python, mac, bits, refused_because):
    problem = run.platform_problem(system, machine, python, mac, bits)
    if refused_because is None:
        assert problem is None
    else:
        assert problem and refused_because in problem


def test_audiences_nest_and_choose_the_extras():
    assert run.covers({"dev"}, "student") and run.covers({"instructor"}, "student")
    assert not run.covers({"student"}, "instructor") and not run.covers(set(), "student")
    assert run.extras_for({"student"}) == [] and run.extras_for({"student", "instructor"}) == ["instructor"]
    assert run.REPO_COMMANDS["lab"][0] == "student" and run.REPO_COMMANDS["test"][0] == "dev"


def test_pip_command_uses_the_lock_and_the_index(tmp_path):
    (tmp_path / "constraints.txt").write_text("torch==2.13.0\n")
    command = run.pip_install_command(Path("py"), tmp_path, ["dev"], run.CPU_TORCH_INDEX)
    assert command[:4] == ["py", "-m", "pip", "install"]
    assert command[command.index("-e") + 1] == ".[dev]"
    assert command[command.index("-c") + 1] == "constraints.txt"
    assert command[command.index("--extra-index-url") + 1] == run.CPU_TORCH_INDEX
    student = run.pip_install_command(Path("py"), tmp_path, [], None)
    assert student[student.index("-e") + 1] == "." and "--extra-index-url" not in student


def test_fingerprint_changes_with_the_specification(tmp_path):
    (tmp_path / "pyproject.toml").write_text("a")
    (tmp_path / "constraints.txt").write_text("x==1")
    first = run.fingerprint(tmp_path, {"student"}, None, "3.11")
    assert first == run.fingerprint(tmp_path, {"student"}, None, "3.11")
    (tmp_path / "constraints.txt").write_text("x==2")
    assert run.fingerprint(tmp_path, {"student"}, None, "3.11") != first
    assert run.fingerprint(tmp_path, {"dev"}, None, "3.11") != run.fingerprint(tmp_path, {"student"}, None, "3.11")


def test_conda_environment_is_used_only_when_it_is_this_python_and_not_base(tmp_path):
    env = {"CONDA_PREFIX": str(tmp_path), "CONDA_DEFAULT_ENV": "fusion-multimodal"}
    assert run.conda_environment(env, str(tmp_path)) == tmp_path
    assert run.conda_environment(dict(env, CONDA_DEFAULT_ENV="base"), str(tmp_path)) is None
    assert run.conda_environment(env, str(tmp_path / "otro")) is None
    assert run.conda_environment({}, str(tmp_path)) is None


def test_torch_requirement_is_pyproject_pin():
    assert run.torch_requirement(ROOT) == "torch==2.13.0"


# --- for real, on this machine ---------------------------------------------------------------


def test_installed_environment_is_not_reinstalled():
    """The suite was started by ``python run.py test``: a second set-up does nothing, quickly."""
    if not (ROOT / ".venv" / run.STAMP_NAME).exists():
        pytest.skip("la suite no se lanzó con `python run.py test` (no hay sello de instalación en .venv)")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "install"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "CONDA_PREFIX"},
    )
    assert result.returncode == 0, result.stderr
    assert "instalando" not in result.stdout and time.perf_counter() - start < 30


def test_probe_finds_the_torch_that_pip_would_install():
    version = run.probe_torch(Path(sys.executable), "torch==2.13.0")
    if version is None:
        pytest.skip("pip no pudo consultar ningún índice (sin conexión)")
    assert version.startswith("2.13.0")


def _interpreter(version: str) -> str | None:
    found = shutil.which(f"python{version}")
    for candidate in [found] + sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}")):
        if candidate and subprocess.run([str(candidate), "-V"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


def test_unsupported_python_is_refused_before_anything_is_installed(tmp_path):
    old = _interpreter("3.9")
    if old is None:
        pytest.skip("no hay un Python 3.9 en esta máquina para probarlo")
    for name in ("run.py", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(
        [old, "run.py", "lab"], cwd=tmp_path, capture_output=True, text=True, env={"PATH": "", "HOME": str(tmp_path)}
    )  # no other Python to fall back on
    assert result.returncode != 0
    assert "Python 3.9 no sirve" in result.stderr and "3.13" in result.stderr
    assert not (tmp_path / ".venv").exists()


@pytest.mark.parametrize("version", [f"{major}.{minor}" for major, minor in run.SUPPORTED_PYTHONS])
def test_run_py_works_under_every_supported_python_here(version):
    """Before any environment exists, run.py itself runs under each supported interpreter
    found on this machine and accepts its platform (the per-OS logic is tested above)."""
    python = _interpreter(version)
    if python is None:
        pytest.skip(f"no hay un Python {version} en esta máquina")
    code = "import runpy, sys; m = runpy.run_path(sys.argv[1]); print(m['current_platform_problem']())"
    result = subprocess.run([python, "-c", code, str(ROOT / "run.py")], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "None", result.stderr
    assert subprocess.run([python, str(ROOT / "run.py"), "--help"], capture_output=True).returncode == 0


class _FakeProcesses:
    """Stands in for subprocess.run inside run.py: creates the venv's interpreter where the OS
    puts it, answers the version query and pip's dry run, and records every command."""

    def __init__(self, probe_version: str | None):
        self.commands, self.probe_version = [], probe_version

    def __call__(self, command, **kwargs):
        command = [str(c) for c in command]
        self.commands.append(command)
        stdout = ""
        if command[1:3] == ["-m", "venv"]:
            for python in (Path(command[3]) / "Scripts" / "python.exe", Path(command[3]) / "bin" / "python"):
                python.parent.mkdir(parents=True, exist_ok=True)
                python.write_text("")
        elif "sys.version_info" in " ".join(command):
            stdout = "3.11\n"
        elif "--dry-run" in command and self.probe_version:
            report = Path(command[command.index("--report") + 1])
            report.write_text(json.dumps({"install": [{"metadata": {"version": self.probe_version}}]}))
        return subprocess.CompletedProcess(command, 0, stdout=stdout, stderr="")


@pytest.mark.parametrize(
    "system, machine, probe, python_path, index",
    [
        ("Windows", "AMD64", None, "Scripts/python.exe", None),
        ("Darwin", "arm64", None, "bin/python", None),
        ("Linux", "x86_64", "2.13.0", "bin/python", run.CPU_TORCH_INDEX),
        ("Linux", "x86_64", "2.13.0+cpu", "bin/python", None),
    ],
)
def test_set_up_per_os_with_the_platform_patched(monkeypatch, tmp_path, system, machine, probe, python_path, index):
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    fake = _FakeProcesses(probe)
    monkeypatch.setattr(run.subprocess, "run", fake)
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    monkeypatch.setattr(platform, "mac_ver", lambda: ("14.5", ("", "", ""), "arm64" if system == "Darwin" else ""))
    for variable in ("CONDA_PREFIX", "COURSE_GPU", "COURSE_TORCH_INDEX"):
        monkeypatch.delenv(variable, raising=False)

    python = run.ensure_installed("student", root=tmp_path)
    assert python == tmp_path / ".venv" / python_path
    pip = next(c for c in fake.commands if c[1:4] == ["-m", "pip", "install"] and "--dry-run" not in c)
    assert pip[0] == str(python) and pip[pip.index("-e") + 1] == "." and "-c" in pip
    assert (pip[pip.index("--extra-index-url") + 1] if "--extra-index-url" in pip else None) == index
    assert any(c[:3] == [str(python), "-m", "ipykernel"] for c in fake.commands)
    assert ("--dry-run" in sum(fake.commands, [])) == (system == "Linux"), (
        "only Linux asks pip which torch it would take"
    )

    fake.commands.clear()  # same specification: nothing runs but the version query
    assert run.ensure_installed("student", root=tmp_path) == python
    assert all("pip" not in c for c in fake.commands)
    run.ensure_installed("dev", root=tmp_path)  # a bigger audience installs again, with its extra
    assert any(".[dev]" in c for c in fake.commands)


def test_set_up_refuses_an_unserved_platform_before_creating_anything(monkeypatch, tmp_path):
    fake = _FakeProcesses(None)
    monkeypatch.setattr(run.subprocess, "run", fake)
    monkeypatch.setattr(platform, "system", lambda: "Windows")
    monkeypatch.setattr(platform, "machine", lambda: "ARM64")
    with pytest.raises(SystemExit, match="ARM64"):
        run.ensure_installed("student", root=tmp_path)
    assert fake.commands == [] and not (tmp_path / ".venv").exists()
