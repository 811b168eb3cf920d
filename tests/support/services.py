"""Services some tests need: a free port, a throwaway PostgreSQL server, and the rule for a
missing one (skip with the reason; fail in CI unless .ci/run said why it could not install it)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

# --- a throwaway PostgreSQL server on 127.0.0.1 for the grading tests that need one --------
# .ci/run installs PostgreSQL from Debian's packages; elsewhere the tests that need it are
# skipped with a visible reason when it is missing. In CI they fail if it is missing, unless
# .ci/run itself could not install it and said why (COURSE_POSTGRES_UNAVAILABLE).


def service_unavailable(what: str, env_var: str, reason: str, how: str = ".ci/run lo instala con apt-get"):
    """Skip a test whose service (PostgreSQL, Chromium…) is missing, saying why; in CI fail
    instead, unless .ci/run tried to install it and said why in ``env_var``."""
    if os.environ.get(env_var):  # .ci/run tried and said why
        pytest.skip(f"sin {what}: {os.environ[env_var]} ({reason})")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} debería estar disponible en CI: {reason}")
    pytest.skip(f"sin {what} ({reason}); {how}")


def _unavailable(reason: str):
    service_unavailable("PostgreSQL", "COURSE_POSTGRES_UNAVAILABLE", reason)


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server():
    """A PostgreSQL server on 127.0.0.1 with an empty ``gradebook`` database, stopped and deleted
    on exit; yields its SQLAlchemy URL (skips, or fails in CI, when PostgreSQL is missing)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        _unavailable("no se encuentran initdb/pg_ctl")
    try:
        import psycopg
    except ImportError:
        _unavailable("falta el paquete psycopg")
    base = Path(tempfile.mkdtemp(prefix="course-pg-"))
    os.chmod(base, 0o755)
    data, port = base / "data", free_port()
    preexec = None
    if os.geteuid() == 0:  # the server refuses to run as root
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            user = pwd.getpwnam("nobody")
        os.chown(base, user.pw_uid, user.pw_gid)

        def preexec():
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

    run = dict(capture_output=True, text=True, preexec_fn=preexec, timeout=120, cwd=base)
    proc = subprocess.run([initdb, "-D", str(data), "-A", "trust", "-U", "grader", "--no-sync"], **run)
    if proc.returncode:
        _unavailable(f"initdb falló: {proc.stderr[-300:]}")
    proc = subprocess.run(
        [
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(base / "server.log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {base}",
            "start",
        ],
        **run,
    )
    if proc.returncode:
        _unavailable(f"el servidor no arrancó: {proc.stderr[-300:]}")
    try:
        with psycopg.connect(f"host=127.0.0.1 port={port} user=grader dbname=postgres", autocommit=True) as con:
            con.execute("CREATE DATABASE gradebook")
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], **run)
        shutil.rmtree(base, ignore_errors=True)
