"""environment.yml installs the package from pyproject.toml: one dependency list."""
import re
import tomllib

import yaml

from conftest import ROOT


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_environment_yml_installs_this_package_with_extras():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    conda_pkgs = [d for d in deps if isinstance(d, str)]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    names = sorted(re.split(r"[=<>! ]", p)[0] for p in conda_pkgs)
    assert names == ["pip", "python"], f"conda packages beyond python and pip would form a second list: {conda_pkgs}"
    assert pip_sections == [["-e .[dev]"]]
    extras = set(_project()["optional-dependencies"])
    assert "dev" in extras


def test_conda_python_satisfies_requires_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    version = python.split("=")[1]
    assert version == "3.11"
    assert _project()["requires-python"] == ">=3.10,<3.13"


def test_torch_is_pinned_and_no_torchvision():
    deps = _project()["dependencies"] + sum(_project()["optional-dependencies"].values(), [])
    assert "torch==2.13.0" in deps
    assert not any(d.startswith(("torchvision", "torchaudio")) for d in deps)


def test_tensorflow_has_a_build_for_every_student_platform():
    from packaging.markers import Marker
    from packaging.requirements import Requirement

    reqs = [Requirement(d) for d in _project()["dependencies"] if d.startswith("tensorflow")]
    platforms = {
        "linux-x86_64": {"sys_platform": "linux", "platform_machine": "x86_64"},
        "linux-aarch64": {"sys_platform": "linux", "platform_machine": "aarch64"},
        "macos-arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
        "macos-x86_64": {"sys_platform": "darwin", "platform_machine": "x86_64"},
        "windows-amd64": {"sys_platform": "win32", "platform_machine": "AMD64"},
    }
    for label, env in platforms.items():
        chosen = [r.name for r in reqs if r.marker is None or Marker(str(r.marker)).evaluate(env)]
        assert len(chosen) == 1, f"{label}: exactly one TensorFlow build expected, got {chosen}"
