"""A JupyterHub for the class: ``course hub`` starts a local demo class on 127.0.0.1.

:func:`prepare_class` lays out the hub's folder — one home per user, the instructor's course
(a copy of this repository: ``solutions/``, the release in ``notebooks/``, the grading
configuration), nbgrader's exchange folder (writable by every user, as nbgrader's docs ask:
nbgrader itself makes ``inbound`` write-only for students and hands out files per user) and each
user's ``~/.jupyter/nbgrader_config.py`` (the course id and the exchange). :func:`start_hub`
runs ``jupyterhub -f jupyterhub_config.py`` (this folder) with configurable-http-proxy.

The loop of a class on the hub (docs/instructors-scale.md): the instructor releases a chapter
(``nbgrader release_assignment``, or formgrader's *Release* button); students fetch it in the
Assignment List, work and submit; the instructor collects (``nbgrader collect``: the exchange's
submission times are kept), grades with ``course grade autograde`` (sandboxed, trusted), writes
feedback with ``course grade feedback`` (no hidden test) and returns it (``nbgrader
release_feedback``); students fetch their feedback in the Assignment List.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ...config import repo_root

HUB_CONFIG = Path(__file__).resolve().with_name("jupyterhub_config.py")
LAB_ASSETS = Path(__file__).resolve().parents[2] / "lab_assets"
COURSE_ID = "fusion_multimodal"
STUDENT_LAB_CONFIG = "config-estudiantes"  # under the hub's folder; JUPYTER_CONFIG_PATH of students
STUDENT_PAGE_CONFIG = {
    "disabledExtensions": {
        "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:course-list": True,
        "@jupyter/nbgrader:formgrader": True,
        "@jupyterlab/apputils-extension:announcements": True,
    }
}
PROXY_PREFIX = "build/hub"  # `npm install --prefix build/hub configurable-http-proxy@4` (.ci/run does it)
PROXY_HINT = (
    "falta configurable-http-proxy (npm): instálelo con "
    "`npm install --prefix build/hub configurable-http-proxy@4` en la raíz del curso"
)


@dataclass(frozen=True)
class ClassHub:
    """The folders of a class hub."""

    base: Path
    instructor: str
    students: tuple[str, ...]

    @property
    def exchange(self) -> Path:
        return self.base / "exchange"

    def home(self, user: str) -> Path:
        return self.base / "homes" / user

    @property
    def course(self) -> Path:
        """The instructor's course folder (``nbgrader_config.py``, ``solutions/``, ``notebooks/``)."""
        return self.home(self.instructor) / "curso"


def find_proxy() -> str | None:
    """configurable-http-proxy: the course's own install (``build/hub``), else on ``PATH``."""
    local = repo_root() / PROXY_PREFIX / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def _nbgrader_config(hub: ClassHub, user: str) -> str:
    lines = [
        "c = get_config()  # noqa: F821",
        f"c.CourseDirectory.course_id = {COURSE_ID!r}",
        f"c.Exchange.root = {str(hub.exchange)!r}",
    ]
    if user == hub.instructor:
        lines.append(f"c.CourseDirectory.root = {str(hub.course)!r}")
    else:
        # nbgrader names submissions and finds feedback by the system user's name; in the demo
        # every server runs as the hub's user, so each student's id is set here
        lines.append(f"c.CourseDirectory.student_id = {user!r}")
    return "\n".join(lines) + "\n"


def prepare_class(base: Path, instructor: str, students: list[str], course: Path | None = None) -> ClassHub:
    """Lay out a class hub under ``base``: homes, the exchange, each user's nbgrader
    configuration and the instructor's course (a copy of ``course``, default this repository,
    unless the folder exists already)."""
    from ..release import copy_course

    hub = ClassHub(Path(base).resolve(), instructor, tuple(students))
    hub.exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(hub.exchange, 0o777)  # nbgrader's exchange: every user writes; nbgrader sets what is inside
    for user in (instructor, *students):
        config = hub.home(user) / ".jupyter"
        config.mkdir(parents=True, exist_ok=True)
        (config / "nbgrader_config.py").write_text(_nbgrader_config(hub, user), encoding="utf-8")
    # students' JupyterLab: nbgrader's menu and Assignment List, none of the instructor's plugins
    # (course lab's lab_assets/config also hides the menu: without it the Assignment List has no entry)
    labconfig = hub.base / STUDENT_LAB_CONFIG / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(STUDENT_PAGE_CONFIG, indent=2), encoding="utf-8")
    if not hub.course.exists():
        source = Path(course or repo_root())
        copy_course(source, hub.course)
        if (source / "notebooks").is_dir():  # the student release nbgrader hands out
            shutil.copytree(source / "notebooks", hub.course / "notebooks", ignore=shutil.ignore_patterns(".*"))
    return hub


def hub_environment(hub: ClassHub, port: int, password: str, service_token: str | None = None) -> dict[str, str]:
    proxy = find_proxy()
    if proxy is None:
        raise FileNotFoundError(PROXY_HINT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_")) and k not in ("PYTHONPATH",)}
    env.update(
        {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(Path(proxy).parent), env.get("PATH", "")]),
            "COURSE_HUB_DIR": str(hub.base),
            "COURSE_HUB_INSTRUCTOR": hub.instructor,
            "COURSE_HUB_STUDENTS": ",".join(hub.students),
            "COURSE_HUB_PASSWORD": password,
            "COURSE_HUB_PORT": str(port),
            "COURSE_HUB_PROXY": proxy,
            "COURSE_HUB_LAB_ASSETS": str(LAB_ASSETS),
        }
    )
    if service_token:
        env["COURSE_HUB_SERVICE_TOKEN"] = service_token
    return env


def start_hub(hub: ClassHub, port: int, password: str, service_token: str | None = None, log=None) -> subprocess.Popen:
    """``jupyterhub -f jupyterhub_config.py`` for ``hub`` on 127.0.0.1:``port``, in its own
    process group (stop it with :func:`stop_hub`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)],
        cwd=hub.base,
        env=hub_environment(hub, port, password, service_token),
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        start_new_session=True,
    )


def stop_hub(proc: subprocess.Popen, hub: ClassHub | None = None, timeout: float = 30) -> None:
    """Stop the hub and what it started: JupyterHub stops the users' servers on SIGTERM; the
    proxy, which may outlive it, is stopped through its pid file (``hub`` given)."""
    import signal

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    pid_file = hub.base / "proxy.pid" if hub is not None else None
    if pid_file is not None and pid_file.is_file():
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"configurable-http-proxy" in cmdline:
            os.kill(pid, signal.SIGTERM)


def run_demo(base: Path, port: int, instructor: str, students: list[str], password: str | None) -> int:
    """``course hub``: prepare the class (once) and serve it until Ctrl-C."""
    password = password or secrets.token_urlsafe(9)
    hub = prepare_class(base, instructor, students)
    print(
        f"Clase en http://127.0.0.1:{port}/ — profesor: {instructor}; estudiantes: {', '.join(students)}; "
        f"contraseña de la demostración: {password}\n"
        f"Publicar un capítulo (terminal del profesor en el hub, carpeta ~/curso): "
        f"nbgrader release_assignment 01_operaciones_fusion\n"
        f"Carpeta del hub: {hub.base} (intercambio de nbgrader: {hub.exchange})"
    )
    proc = start_hub(hub, port, password)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        stop_hub(proc, hub)
        return 0
