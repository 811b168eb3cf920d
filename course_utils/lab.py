"""JupyterLab for students: the course release opened with the course's kernel, nbgrader's
*Validate* button, and a Spanish note in the Validate dialog (``lab_assets/custom/custom.css``).

The instructor's nbgrader tools (formgrader, course list, *Create Assignment*) and JupyterLab's
news pop-up (it would fetch from the internet) are switched off for this server:
``lab_assets/config`` goes on ``JUPYTER_CONFIG_PATH`` and disables their JupyterLab plugins,
and the command line disables their server extensions. The assignment list stays, for courses
that set up nbgrader's exchange.

Part of the student runtime: the student edition starts it with ``python run.py lab``
(``python -m course_utils.lab``), the instructor's ``course lab`` too."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import repo_root

LAB_ASSETS = Path(__file__).resolve().with_name("lab_assets")
INSTRUCTOR_SERVER_EXTENSIONS = ("formgrader", "course_list")


def lab_arguments(
    notebook_dir: Path,
    *,
    port: int | None = None,
    token: str | None = None,
    open_browser: bool = True,
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``jupyter lab`` command line for the course.

    ``custom_css`` loads the course's note for the Validate dialog; ``port`` and ``token``
    are for tests (a random port, a random token, no browser)."""
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={Path(notebook_dir).resolve()}",
        # custom.css is looked up in static_custom_path, which only tornado_settings can set
        "--LabApp.custom_css=True",
        f"--ServerApp.tornado_settings=static_custom_path={LAB_ASSETS / 'custom'}",
        # the settings' defaults (overrides.json): menus in Spanish (jupyterlab-language-pack-es-es)
        f"--LabApp.app_settings_dir={LAB_ASSETS / 'settings'}",
    ]
    args += [
        f"--ServerApp.jpserver_extensions=nbgrader.server_extensions.{name}=False"
        for name in INSTRUCTOR_SERVER_EXTENSIONS
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
        args.append("--allow-root")
    if port is not None:
        args += ["--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if token is not None:
        args.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        args.append("--no-browser")
    return args + list(extra)


def interpreter_first_on_path(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) with this interpreter's scripts folder first on
    ``PATH`` (``bin/``, or ``Scripts\\`` on Windows), so that programs run by name (``jupyter``,
    nbgrader's ``alembic``) come from the course's environment even when it is not activated."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def lab_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for JupyterLab: this virtual environment's kernels and settings take
    precedence over a student's personal ones (``JUPYTER_PREFER_ENV_PATH``), so a notebook
    opens with the course kernel, where ``course_utils`` is importable from any folder."""
    env = interpreter_first_on_path(base)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    extra = [str(LAB_ASSETS / "config")] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(dict.fromkeys(extra))
    return env


def start_lab(
    notebook_dir: Path, *, env: dict[str, str] | None = None, stdout=None, stderr=None, **lab_options
) -> subprocess.Popen:
    """Start JupyterLab in its own process group (``lab_options`` go to :func:`lab_arguments`).

    It runs from the repository root, where nbgrader's Validate button finds
    ``nbgrader_config.py`` (time limits, Spanish stubs). On Windows there are no sessions;
    the flag is POSIX-only and ignored there."""
    return subprocess.Popen(
        lab_arguments(notebook_dir, **lab_options),
        cwd=repo_root(),
        env=lab_environment(env),
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )


def run_lab(notebook_dir: Path, **kwargs) -> int:
    """Run JupyterLab in the foreground until the student stops it (Ctrl+C, or SIGTERM from a
    parent: the server is in a session of its own, so it is stopped here, never left behind)."""
    process = start_lab(notebook_dir, **kwargs)

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m course_utils.lab [--notebook-dir D] [--port N] [--no-browser]``."""
    parser = argparse.ArgumentParser(prog="course lab", description="JupyterLab para el curso, con el botón Validate")
    parser.add_argument(
        "--notebook-dir", default=str(repo_root() / "notebooks"), help="carpeta que se abre (notebooks/)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="puerto (por defecto el de JupyterLab, 8888 o el siguiente libre)"
    )
    parser.add_argument("--no-browser", action="store_true", help="no abrir el navegador")
    args = parser.parse_args(argv)
    return run_lab(Path(args.notebook_dir), port=args.port, open_browser=not args.no_browser)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
