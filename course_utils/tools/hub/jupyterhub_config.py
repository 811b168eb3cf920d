"""JupyterHub configuration of the course's class hub (``course hub``; ``jupyterhub -f`` this file).

Everything class-specific comes from the environment that :func:`course_utils.tools.hub.hub_environment`
writes (a folder prepared by :func:`course_utils.tools.hub.prepare_class`):

- ``COURSE_HUB_DIR``: the hub's folder (its database, cookie secret, users' homes, exchange);
- ``COURSE_HUB_INSTRUCTOR`` (admin, formgrader) and ``COURSE_HUB_STUDENTS`` (comma-separated);
- ``COURSE_HUB_PASSWORD``: the demo's one password (DummyAuthenticator) — a local demo only;
  a real class sets an institutional authenticator (LTI, OAuth, LDAP) here instead;
- ``COURSE_HUB_PORT`` and, for tests, ``COURSE_HUB_SERVICE_TOKEN`` (an admin service's token);
- ``COURSE_HUB_PROXY``: configurable-http-proxy's path.

Each user's server is JupyterLab with the course's kernel and settings (Spanish menus, the
Validate note); students get nbgrader's Assignment List, the instructor also formgrader, the
Course List and Create Assignment. Every server reads ``~/.jupyter/nbgrader_config.py`` (the
course id and the exchange) written by ``prepare_class``. The demo's spawner runs every user's
server as the hub's own system user (``SimpleLocalProcessSpawner``): fine for one person trying
the class on a laptop, **not** for real students — see docs/instructors-scale.md for the
deployments that give each student a uid (LocalProcessSpawner with system users,
DockerSpawner/KubeSpawner with the exchange mounted).
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when JupyterHub loads this file

HUB = Path(os.environ["COURSE_HUB_DIR"])
INSTRUCTOR = os.environ["COURSE_HUB_INSTRUCTOR"]
STUDENTS = [s for s in os.environ.get("COURSE_HUB_STUDENTS", "").split(",") if s]
LAB_ASSETS = Path(os.environ["COURSE_HUB_LAB_ASSETS"])

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.db_url = f"sqlite:///{HUB / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HUB / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(HUB / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [os.environ.get("COURSE_HUB_PROXY", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(HUB / "proxy.pid")
c.JupyterHub.cleanup_servers = True

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["COURSE_HUB_PASSWORD"]
c.Authenticator.allowed_users = {INSTRUCTOR, *STUDENTS}
c.Authenticator.admin_users = {INSTRUCTOR}

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(HUB / "homes" / "{username}")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 180
c.Spawner.environment = {
    "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
    "JUPYTER_PREFER_ENV_PATH": "1",  # the course's kernel first
}
_lab = [
    "--LabApp.custom_css=True",
    f"--ServerApp.tornado_settings=static_custom_path={LAB_ASSETS / 'custom'}",
    f"--LabApp.app_settings_dir={LAB_ASSETS / 'settings'}",
]
if os.geteuid() == 0:
    _lab.append("--allow-root")
c.Spawner.args = _lab


def _per_user(spawner):
    """Students: nbgrader's menu with the Assignment List, no instructor tool (the hub's
    ``config-estudiantes`` disables those lab plugins, written by prepare_class; the server
    extensions are switched off). The instructor keeps them all."""
    name = spawner.user.name
    # nbgrader's exchange names a submission by the system user name (getpass): the hub's user
    spawner.environment = dict(spawner.environment, USER=name, LOGNAME=name)
    if name != INSTRUCTOR:
        spawner.environment = dict(spawner.environment, JUPYTER_CONFIG_PATH=str(HUB / "config-estudiantes"))
        spawner.args = [
            *_lab,
            "--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=False",
            "--ServerApp.jpserver_extensions=nbgrader.server_extensions.course_list=False",
        ]


c.Spawner.pre_spawn_hook = _per_user

_token = os.environ.get("COURSE_HUB_SERVICE_TOKEN")
if _token:  # tests and scripts: a service that may manage users, servers and tokens
    c.JupyterHub.services = [{"name": "curso-ci", "api_token": _token}]
    c.JupyterHub.load_roles = [
        {
            "name": "curso-ci",
            "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "list:users", "read:users"],
            "services": ["curso-ci"],
        }
    ]
