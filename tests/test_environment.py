"""One dependency list (pyproject.toml), one record of the tested versions (constraints.txt, the
lock), and environment.yml agree; the student set resolves on every platform the course serves."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from support import ROOT

spec = importlib.util.spec_from_file_location("run_bootstrap", ROOT / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)

PYTHONS = [f"{major}.{minor}" for major, minor in run.SUPPORTED_PYTHONS]
# (label, marker environment, uv --python-platform, extra environment for uv)
PLATFORMS = [
    (
        "Linux x86-64",
        {"sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux", "os_name": "posix"},
        "x86_64-unknown-linux-gnu",
        {},
    ),
    # torch 2.13's macOS wheels are macosx_14_0_arm64: resolve for macOS 14 (uv's default is older)
    (
        "macOS arm64",
        {"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin", "os_name": "posix"},
        "aarch64-apple-darwin",
        {"MACOSX_DEPLOYMENT_TARGET": "14.0"},
    ),
    (
        "Windows amd64",
        {"sys_platform": "win32", "platform_machine": "AMD64", "platform_system": "Windows", "os_name": "nt"},
        "x86_64-pc-windows-msvc",
        {},
    ),
]
TARGETS = [
    (label, python, markers, uv_platform, uv_env)
    for label, markers, uv_platform, uv_env in PLATFORMS
    for python in PYTHONS
]


CI_PYTHON = Version("3.11")  # the interpreter of the CI image (README: what CI tests)


def _conda_version(spec: str) -> Version:
    """The version in a conda match spec such as ``python=3.11`` or ``python==3.11.*``."""
    return Version(re.sub(r"^python\s*=+\s*", "", spec).rstrip(".*"))


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _marker_env(markers: dict, python: str, extra: str = "") -> dict:
    return dict(
        markers,
        python_version=python,
        python_full_version=f"{python}.0",
        implementation_name="cpython",
        platform_python_implementation="CPython",
        extra=extra,
    )


def _lock() -> list[Requirement]:
    lines = [line.split("#")[0].strip() for line in (ROOT / "constraints.txt").read_text().splitlines()]
    return [Requirement(line) for line in lines if line]


def _locked_for(env: dict) -> dict[str, Version]:
    pins = {}
    for req in _lock():
        if req.marker is None or req.marker.evaluate(env):
            name = canonicalize_name(req.name)
            assert name not in pins, f"{req.name} pinned twice for {env}"
            (spec,) = req.specifier
            assert spec.operator == "==", f"the lock pins exact versions: {req}"
            pins[name] = Version(spec.version)
    return pins


def test_environment_yml_installs_the_student_set_with_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    conda_pkgs = [d for d in deps if isinstance(d, str)]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    names = sorted(re.split(r"[=<>! ]", p)[0] for p in conda_pkgs)
    assert names == ["pip", "python"], f"conda packages beyond python and pip would form a second list: {conda_pkgs}"
    assert pip_sections == [[f"--extra-index-url {run.CPU_TORCH_INDEX}", "-c constraints.txt", "-e ."]], (
        "students get the student set (no extras), the tested versions and PyTorch's CPU build"
    )


def test_supported_pythons_agree_everywhere():
    """requires-python, run.py's refusal, the lock's Python range and conda's Python say the same."""
    allowed = SpecifierSet(_project()["requires-python"])
    for minor in range(6, 16):
        version = f"3.{minor}"
        assert (version in allowed) == ((3, minor) in run.SUPPORTED_PYTHONS), version
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and re.match(r"python\b", d))
    conda_python = _conda_version(python)
    assert conda_python in allowed, f"environment.yml asks {python}, outside requires-python {allowed}"
    assert conda_python.release[:2] in run.SUPPORTED_PYTHONS
    assert conda_python.release[:2] == CI_PYTHON.release[:2], "conda gets the Python CI tests"


def test_torch_is_pinned_and_no_torchvision():
    """pyproject pins one exact torch (what CI tests), run.py reads that pin, the lock agrees."""
    deps = [Requirement(d) for d in _project()["dependencies"] + sum(_project()["optional-dependencies"].values(), [])]
    torch = [r for r in deps if canonicalize_name(r.name) == "torch"]
    assert len(torch) == 1 and torch[0].marker is None, f"one unconditional torch requirement: {torch}"
    (pin,) = torch[0].specifier
    assert pin.operator == "==", f"torch must be pinned exactly, not {torch[0].specifier}"
    assert Requirement(run.torch_requirement(ROOT)).specifier == torch[0].specifier, "run.py reads another pin"
    locked = {Version(next(iter(r.specifier)).version) for r in _lock() if canonicalize_name(r.name) == "torch"}
    assert locked == {Version(pin.version)}, f"constraints.txt pins torch {locked}, pyproject.toml {pin}"
    assert not any(canonicalize_name(r.name) in ("torchvision", "torchaudio") for r in deps)


def test_tensorflow_has_a_build_for_every_platform_run_py_accepts():
    reqs = [Requirement(d) for d in _project()["dependencies"] if d.startswith("tensorflow")]
    platforms = {
        ("Linux", "x86_64"): {"sys_platform": "linux", "platform_machine": "x86_64"},
        ("Linux", "aarch64"): {"sys_platform": "linux", "platform_machine": "aarch64"},
        ("Darwin", "arm64"): {"sys_platform": "darwin", "platform_machine": "arm64"},
        ("Darwin", "x86_64"): {"sys_platform": "darwin", "platform_machine": "x86_64"},
        ("Windows", "AMD64"): {"sys_platform": "win32", "platform_machine": "AMD64"},
        ("Windows", "ARM64"): {"sys_platform": "win32", "platform_machine": "ARM64"},
    }
    for (system, machine), env in platforms.items():
        chosen = [r.name for r in reqs if r.marker is None or Marker(str(r.marker)).evaluate(env)]
        accepted = run.platform_problem(system, machine, (3, 11), "14.0") is None
        if accepted:
            assert len(chosen) == 1, f"{system} {machine}: exactly one TensorFlow build expected, got {chosen}"
        else:  # refused at set-up with a message, never installed without TensorFlow
            assert system == "Darwin" or not chosen, f"{system} {machine}"


@pytest.mark.parametrize("label, python, markers", [(t[0], t[1], t[2]) for t in TARGETS])
def test_lock_satisfies_pyproject_for_every_target(label, python, markers):
    """Every requirement of every audience has exactly one pin for the target, inside its range:
    editing pyproject.toml without `python run.py lock` fails here."""
    project = _project()
    audiences = {"": project["dependencies"], **project["optional-dependencies"]}
    for extra, requirements in audiences.items():
        pins = _locked_for(_marker_env(markers, python))
        for text in requirements:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate(_marker_env(markers, python, extra)):
                continue
            if canonicalize_name(req.name) == canonicalize_name(project["name"]):
                continue  # dev = course-utils[instructor] + …
            name = canonicalize_name(req.name)
            assert name in pins, (
                f"{label} / Python {python}: {req.name} ({extra or 'student'}) is not in constraints.txt (run `python run.py lock`)"
            )
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"{label} / Python {python}: constraints.txt pins {req.name}=={pins[name]}, pyproject.toml asks {req.specifier} (run `python run.py lock`)"
            )


def test_this_environment_is_the_locked_one():
    """CI installs with constraints.txt, so what the tests ran against is what the lock records."""
    import platform

    env = _marker_env(
        {
            "sys_platform": sys.platform,
            "platform_machine": platform.machine(),
            "platform_system": platform.system(),
            "os_name": os.name,
        },
        platform.python_version(),
    )
    pins = _locked_for(
        dict(
            env,
            python_version=".".join(platform.python_version_tuple()[:2]),
            python_full_version=platform.python_version(),
        )
    )
    wrong = []
    # Only what is installed in this environment: packages vendored inside others (setuptools puts
    # its own packaging, wheel and platformdirs on sys.path once imported) are not installs.
    site = sorted({sysconfig.get_paths()[k] for k in ("purelib", "platlib")})
    for dist in importlib.metadata.distributions(path=site):
        name = canonicalize_name(dist.metadata["Name"])
        if name in pins and Version(Version(dist.version).public) != pins[name]:  # 2.13.0+cpu is 2.13.0
            wrong.append(f"{name} {dist.version} (lock: {pins[name]})")
    assert not wrong, (
        f"installed versions differ from constraints.txt (reinstall with `python run.py install`): {wrong}"
    )


def _uv() -> str | None:
    here = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    return str(here) if here.exists() else shutil.which("uv")


NETWORK_WORDS = ("dns error", "failed to fetch", "connect", "network", "timed out", "offline")


def _resolve(target) -> tuple[str, subprocess.CompletedProcess]:
    label, python, _, uv_platform, uv_env = target
    result = subprocess.run(
        [
            _uv(),
            "pip",
            "compile",
            "pyproject.toml",
            "-c",
            "constraints.txt",
            "--python-platform",
            uv_platform,
            "--python-version",
            python,
            "--no-header",
            "--no-annotate",
            "--quiet",
            "--no-python-downloads",  # a resolution needs no interpreter; uv fetched one per version
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **uv_env},
        timeout=300,
    )
    return f"{label} / Python {python}", result


def test_student_set_resolves_for_every_platform_and_python():
    """The student set with the tested pins, against the package registry, for Linux x86-64,
    macOS arm64 and Windows amd64 × Python 3.10–3.13 (each with PyTorch and TensorFlow)."""
    if _uv() is None:
        pytest.skip("uv no está instalado (extra dev)")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_resolve, TARGETS))
    unreachable = [
        r.stderr for _, r in results if r.returncode != 0 and any(w in r.stderr.lower() for w in NETWORK_WORDS)
    ]
    if unreachable and len(unreachable) == len(results):
        pytest.skip(f"el registro de paquetes no responde: {unreachable[0].strip()[-300:]}")
    failures = [f"{label}: {r.stderr.strip()[-600:]}" for label, r in results if r.returncode != 0]
    assert not failures, "\n".join(failures)
    for label, r in results:
        names = {canonicalize_name(line.split("==")[0]) for line in r.stdout.splitlines() if "==" in line}
        assert "torch" in names and names & {"tensorflow", "tensorflow-cpu"}, f"{label}: {sorted(names)}"
        assert not names & {"papermill", "pytest", "playwright", "psycopg"}, f"{label}: tools in the student set"
