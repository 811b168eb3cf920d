#!/usr/bin/env python3
"""Set up and run the course with one command on Linux, macOS and Windows.

    python run.py test          # create .venv, install what is needed, run the tests
    python run.py test-fast     # the edit loop: unit tests only (no notebook, grading batch or browser)
    python run.py lab           # the students' JupyterLab (installs only what a student needs)

This file is only the bootstrap: standard library only, so it runs with any Python 3.10–3.13
before anything is installed. It finds a supported Python, creates ``.venv`` (or uses the active
conda environment made from environment.yml), installs the project with the versions pinned in
``constraints.txt`` (later calls install again only when ``pyproject.toml``, ``constraints.txt``
or the audience changes; on Linux PyTorch comes from PyTorch's CPU wheel index unless ``--gpu``
or ``COURSE_GPU=1`` asks for the CUDA build), then hands the command over to the package: the
``course`` CLI (``python -m course_utils.tools.cli``) or, in the student edition (no
``course_utils/tools``), the student runtime's ``course_utils.lab`` and ``course_utils.install_check``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
STAMP_NAME = ".course-installed.json"
SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13))
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
GPU_ENV = "COURSE_GPU"
TORCH_INDEX_ENV = "COURSE_TORCH_INDEX"

# What each command needs installed (the student set, pyproject's dependencies; the instructor's
# tools; the developer's, which include the instructor's) and what runs it once installed.
AUDIENCE_EXTRAS = {"student": (), "instructor": ("instructor",), "dev": ("dev",)}
CLI = ("-m", "course_utils.tools.cli")
LAB = ("-m", "course_utils.lab")
REPO_COMMANDS = {
    "install": ("dev", "create .venv and install everything (student, instructor and developer tools)", None),
    "course": (
        "instructor",
        "regenerate the student release and execute every notebook (args go to `course run`, e.g. --fast)",
        CLI + ("run", "--release"),
    ),
    "release": ("instructor", "regenerate notebooks/ from solutions/ (nbgrader)", CLI + ("release",)),
    "check": (
        "instructor",
        "fail if notebooks/ is out of sync with solutions/ or a notebook breaks the hygiene rules",
        CLI + ("check",),
    ),
    "test": ("dev", "run the test suite (args go to pytest; prints the 15 slowest tests)", CLI + ("test",)),
    "test-fast": (
        "dev",
        "unit and grading unit tests for the edit loop, no notebook/round trip/browser/slow (args go to pytest)",
        CLI + ("test-fast",),
    ),
    "lint": ("dev", "ruff: lint and format check (configured in pyproject.toml)", CLI + ("lint",)),
    "bench": ("dev", "grading benchmark and a student's offline first hour, into build/report.md", CLI + ("bench",)),
    "lab": ("student", "JupyterLab for students on notebooks/ (course kernel, Validate button)", LAB),
    "dist": ("instructor", "build the student edition (default build/edicion-estudiante)", CLI + ("dist",)),
    "book": (
        "instructor",
        "the offline book from the full run, into build/book (--fast: execute quickly first)",
        CLI + ("book",),
    ),
    "lock": (
        "dev",
        "re-resolve constraints.txt with uv for every platform, keeping the tested pins",
        CLI + ("lock",),
    ),
}
EDITION_COMMANDS = {
    "install": ("student", "crea .venv e instala el curso", None),
    "test": (
        "student",
        "comprueba la instalación: cada notebook hasta su primer ejercicio, en modo rápido",
        ("-m", "course_utils.install_check"),
    ),
    "lab": ("student", "abre JupyterLab con los notebooks del curso", LAB),
}
# Their arguments, -h included, go to the program they hand over to.
PASSTHROUGH = ("test", "test-fast", "course", "lab", "bench", "dist")


def package_config(root: Path = ROOT):
    """``course_utils/config.py`` loaded by path, without the package (nothing is installed yet:
    its module body imports the standard library only). run.py reads the yes/no words from it."""
    spec = importlib.util.spec_from_file_location("_course_config", root / "course_utils" / "config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the platform ----------------------------------------------------------------------------


def is_edition(root: Path = ROOT) -> bool:
    """The student edition has no instructor tools (``course_utils/tools``)."""
    return not (root / "course_utils" / "tools").is_dir()


def platform_problem(
    system: str, machine: str, python: tuple[int, int], mac_release: str = "", pointer_bits: int = 64
) -> str | None:
    """Why the course cannot be installed here (a Spanish sentence), or None when it can.

    ``system``/``machine`` as :mod:`platform` names them ("Linux", "Darwin", "Windows";
    "x86_64", "AMD64", "arm64", "aarch64", "ARM64"); ``mac_release`` is ``platform.mac_ver()[0]``."""
    machine = machine.lower()
    if tuple(python[:2]) not in SUPPORTED_PYTHONS:
        return (
            f"Python {python[0]}.{python[1]} no sirve para el curso: hace falta Python 3.10, 3.11, 3.12 o 3.13 "
            f"(TensorFlow 2.21 no publica paquetes para 3.14). Instala una de esas versiones y ejecuta "
            f"`python run.py …` con ella."
        )
    if pointer_bits != 64:
        return "Este Python es de 32 bits; PyTorch y TensorFlow solo existen para Python de 64 bits."
    if system == "Darwin":
        if machine != "arm64":
            return (
                "macOS con procesador Intel (o un Python x86-64 bajo Rosetta): PyTorch 2.13 solo publica paquetes "
                "para Mac con Apple Silicon (arm64). Usa un Python arm64, Linux o Windows, o el aula del curso."
            )
        major = int((mac_release or "0").split(".")[0] or 0)
        if major < 14:
            return (
                f"macOS {mac_release or 'desconocido'}: PyTorch 2.13 pide macOS 14 (Sonoma) o posterior. "
                f"Actualiza macOS o usa otro ordenador."
            )
        return None
    if system == "Windows":
        if machine in ("arm64", "aarch64"):
            return (
                "Windows en ARM64: TensorFlow no publica paquetes para él. Usa un PC x86-64, "
                "macOS con Apple Silicon o Linux."
            )
        return None if machine in ("amd64", "x86_64") else f"Windows en {machine}: sin paquetes de PyTorch/TensorFlow."
    if system == "Linux":
        return (
            None
            if machine in ("x86_64", "amd64", "aarch64", "arm64")
            else f"Linux en {machine}: sin paquetes de PyTorch/TensorFlow."
        )
    return f"Sistema {system!r} no probado: el curso se instala en Linux, macOS (Apple Silicon) y Windows."


def current_platform_problem() -> str | None:
    return platform_problem(
        platform.system(), platform.machine(), sys.version_info[:2], platform.mac_ver()[0], struct.calcsize("P") * 8
    )


def venv_python(venv: Path, system: str | None = None) -> Path:
    """The interpreter of a virtual environment (``Scripts\\python.exe`` on Windows)."""
    if (system or platform.system()) == "Windows":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def venv_scripts(venv: Path, system: str | None = None) -> Path:
    """The folder of a virtual environment's programs (``Scripts`` on Windows, ``bin`` elsewhere)."""
    return venv_python(venv, system).parent


def conda_environment(environ: dict[str, str], prefix: str) -> Path | None:
    """The active conda environment made for the course (never ``base``), if this Python is its."""
    conda_prefix = environ.get("CONDA_PREFIX")
    if (
        conda_prefix
        and environ.get("CONDA_DEFAULT_ENV", "base") != "base"
        and os.path.normcase(os.path.realpath(conda_prefix)) == os.path.normcase(os.path.realpath(prefix))
    ):
        return Path(conda_prefix)
    return None


def interpreter_candidates(system: str) -> list[list[str]]:
    """Other Pythons to try when this one is unsupported, newest first."""
    versions = [f"{major}.{minor}" for major, minor in reversed(SUPPORTED_PYTHONS)]
    if system == "Windows":
        return [["py", f"-{v}"] for v in versions]
    return [[f"python{v}"] for v in versions]


def find_supported_python() -> list[str] | None:
    """This interpreter when supported, else the first supported one found on PATH (or via ``py``)."""
    if tuple(sys.version_info[:2]) in SUPPORTED_PYTHONS:
        return [sys.executable]
    for command in interpreter_candidates(platform.system()):
        if shutil.which(command[0]):
            probe = subprocess.run(
                command + ["-c", "import sys; print(sys.executable)"], capture_output=True, text=True
            )
            if probe.returncode == 0 and probe.stdout.strip():
                return [probe.stdout.strip()]
    return None


# --- where PyTorch comes from ----------------------------------------------------------------


def gpu_requested(flag: bool, environ: dict[str, str]) -> bool:
    return flag or package_config().is_true(environ.get(GPU_ENV))


def torch_index(system: str, gpu: bool, local_torch: str | None, environ: dict[str, str]) -> str | None:
    """The extra index to install PyTorch from, or None for the default (PyPI and pip's config).

    Linux wheels on PyPI are CUDA builds (≈ 2.2 GB of ``nvidia-*`` packages): unless a GPU is
    asked for, Linux takes PyTorch's CPU index. macOS and Windows wheels on PyPI are CPU builds.
    ``local_torch`` is the version pip would pick without the extra index (None when unknown):
    a CPU build already offered by pip's own configuration (``+cpu``: a wheelhouse, a mirror)
    needs no extra index. ``COURSE_TORCH_INDEX`` overrides everything ("none" = no index)."""
    override = environ.get(TORCH_INDEX_ENV, "").strip()
    if override:
        return None if override.lower() == "none" else override
    if system != "Linux" or gpu:
        return None
    if local_torch and local_torch.endswith("+cpu"):
        return None
    return CPU_TORCH_INDEX


def torch_requirement(root: Path = ROOT) -> str:
    """The pinned ``torch==X`` of pyproject.toml (read without tomllib: Python 3.10 has none)."""
    match = re.search(r'"(torch==[\w.]+)"', (root / "pyproject.toml").read_text(encoding="utf-8"))
    return match.group(1) if match else "torch"


def probe_torch(python: Path, requirement: str) -> str | None:
    """The torch version pip would install with its own configuration, without downloading it."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        result = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--no-deps",
                "--quiet",
                "--retries",
                "0",
                "--timeout",
                "15",
                "--report",
                str(report),
                requirement,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not report.exists():
            return None
        install = json.loads(report.read_text(encoding="utf-8")).get("install", [])
        return install[0]["metadata"]["version"] if install else None


# --- installing ------------------------------------------------------------------------------


def extras_for(audiences: set[str]) -> list[str]:
    return sorted({extra for audience in audiences for extra in AUDIENCE_EXTRAS[audience]})


AUDIENCE_RANK = {"student": 0, "instructor": 1, "dev": 2}


def covers(installed: set[str], needed: str) -> bool:
    """Does an environment installed for ``installed`` audiences serve ``needed``? (dev ⊇ instructor ⊇ student)"""
    return any(AUDIENCE_RANK[a] >= AUDIENCE_RANK[needed] for a in installed)


def fingerprint(root: Path, audiences: set[str], index: str | None, python: str) -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = root / name
        digest.update(path.read_bytes() if path.exists() else b"")
    digest.update(json.dumps([sorted(audiences), index, python]).encode())
    return digest.hexdigest()


def pip_install_command(python: Path, root: Path, extras: list[str], index: str | None) -> list[str]:
    """``pip install -e .[extras]`` with the lock as constraints (and PyTorch's index if any)."""
    target = "." + (f"[{','.join(extras)}]" if extras else "")
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-e", target]
    if (root / "constraints.txt").exists():
        command += ["-c", "constraints.txt"]
    if index:
        command += ["--extra-index-url", index]
    return command


def read_stamp(env_dir: Path) -> dict:
    try:
        return json.loads((env_dir / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def ensure_installed(audience: str, gpu: bool = False, root: Path = ROOT) -> Path:
    """Create the environment if needed and install what ``audience`` needs; return its Python."""
    system = platform.system()
    os_problem = platform_problem(
        system, platform.machine(), SUPPORTED_PYTHONS[-1], platform.mac_ver()[0], struct.calcsize("P") * 8
    )
    if os_problem:
        sys.exit(f"run.py: {os_problem}")
    conda = conda_environment(dict(os.environ), sys.prefix)
    env_dir = conda or root / ".venv"
    python = Path(sys.executable) if conda else venv_python(env_dir)
    if not python.exists():
        base = find_supported_python()
        if base is None:
            sys.exit(f"run.py: {current_platform_problem()}")
        print(f"run.py: creando el entorno virtual {env_dir} …", flush=True)
        if subprocess.run(base + ["-m", "venv", str(env_dir)]).returncode != 0:
            sys.exit("run.py: no se pudo crear el entorno virtual (en Debian/Ubuntu: sudo apt install python3-venv).")
    stamp = read_stamp(env_dir)
    installed = set(stamp.get("audiences", []))
    if installed and covers(installed, audience):
        audiences = installed
    else:
        audiences = installed | {audience}
    wants_gpu = gpu_requested(gpu, dict(os.environ)) or stamp.get("gpu", False)
    version = subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
    ).stdout.strip()
    if tuple(int(x) for x in (version or "0.0").split(".")) not in SUPPORTED_PYTHONS:
        sys.exit(
            f"run.py: el entorno {env_dir} usa Python {version or '?'}, que no sirve para el curso (3.10–3.13); "
            f"bórralo y vuelve a ejecutar la orden con un Python 3.10–3.13."
        )
    key_index = None if wants_gpu or system != "Linux" else os.environ.get(TORCH_INDEX_ENV, "auto")
    key = fingerprint(root, audiences, key_index, version)
    if stamp.get("fingerprint") == key:
        return python
    local = probe_torch(python, torch_requirement(root)) if system == "Linux" and not wants_gpu else None
    index = torch_index(system, wants_gpu, local, dict(os.environ))
    print(
        f"run.py: instalando ({', '.join(sorted(audiences))}) en {env_dir}"
        + (f"; PyTorch desde {index}" if index else "")
        + " …",
        flush=True,
    )
    steps = [
        pip_install_command(python, root, extras_for(audiences), index),
        [
            str(python),
            "-m",
            "ipykernel",
            "install",
            "--sys-prefix",
            "--name",
            "python3",
            "--display-name",
            "Python 3 (ipykernel)",
        ],
    ]
    for step in steps:
        if subprocess.run(step, cwd=root, stdout=subprocess.DEVNULL if "ipykernel" in step else None).returncode != 0:
            sys.exit(
                "run.py: la instalación falló (mensaje de pip arriba). ¿Hay conexión con PyPI? "
                "Nada se ha dado por instalado: vuelve a ejecutar la misma orden."
            )
    (env_dir / STAMP_NAME).write_text(
        json.dumps({"fingerprint": key, "audiences": sorted(audiences), "gpu": wants_gpu, "torch_index": index}),
        encoding="utf-8",
    )
    return python


def run_environment(python: Path) -> dict[str, str]:
    """The environment for the course's programs: the environment's scripts first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(python.parent) + os.pathsep + env.get("PATH", "")
    return env


def call(command: list[str], python: Path) -> int:
    """Run a command of the environment in the foreground, in the course's folder; Ctrl+C reaches
    it too (the terminal signals the whole process group), then we wait for it to end."""
    process = subprocess.Popen(command, cwd=ROOT, env=run_environment(python))
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


# --- the command line: install, then hand over --------------------------------------------


def build_parser(edition: bool) -> argparse.ArgumentParser:
    commands = EDITION_COMMANDS if edition else REPO_COMMANDS
    parser = argparse.ArgumentParser(prog="python run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--gpu",
        action="store_true",
        help=f"Linux: install PyTorch's CUDA build from PyPI (≈ 2.5 GB more to download; also {GPU_ENV}=1)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text, _) in commands.items():
        sub.add_parser(name, help=help_text, add_help=name not in PASSTHROUGH)
    # clean needs nothing installed (and works when the environment is broken): it stays here
    sub.add_parser(
        "clean", help="remove build/, the gradebook and caches (not .venv)" if not edition else "borra build/"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    edition = is_edition()
    args, rest = build_parser(edition).parse_known_args(argv)
    if args.command == "clean":
        for name in ("build", "gradebook.db", ".pytest_cache"):
            path = ROOT / name
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        return 0
    audience, _, handover = (EDITION_COMMANDS if edition else REPO_COMMANDS)[args.command]
    python = ensure_installed(audience, gpu=args.gpu)
    if handover is None:
        return 0
    return call([str(python), *handover, *rest], python)


if __name__ == "__main__":
    sys.exit(main())
