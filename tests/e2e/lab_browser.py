"""Fixtures for the browser tests (imported by the test modules: a conftest.py here would
shadow tests/conftest.py): a JupyterLab server started the way `python run.py lab` starts it
(on 127.0.0.1, a random port and token, a throwaway HOME and a copy of the release) and
Debian's Chromium driven by Playwright. Everything is torn down whatever happens."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_utils.lab import start_lab
from course_utils.tools.grading.sandbox import NETGUARD_DIR
from support import ROOT
from support.services import free_port, service_unavailable

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "build" / "e2e"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 90


@dataclass
class Lab:
    """A running JupyterLab: where it serves, its token and the student's folder."""

    url: str
    token: str
    root: Path
    log: Path

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            f"{self.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        for kernel in self.api("GET", "kernels"):
            self.api("DELETE", f"kernels/{kernel['id']}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    base = tmp_path_factory.mktemp("lab")
    student = base / "curso"
    shutil.copytree(ROOT / "notebooks", student)
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "COURSE_"))}
    env.update(
        HOME=str(home),
        COURSE_FAST="1",
        COURSE_CACHE_DIR=str(base / "cache"),
        PYTHONPATH=str(NETGUARD_DIR),
        COURSE_NETGUARD_LOG=str(base / "network.log"),
    )
    port, token = free_port(), secrets.token_hex(16)
    log = base / "jupyterlab.log"
    with open(log, "wb") as log_file:
        process = start_lab(
            student,
            port=port,
            token=token,
            open_browser=False,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            extra=[
                "--LabApp.expose_app_in_browser=True",
                f"--LabApp.user_settings_dir={base / 'settings'}",
                f"--LabApp.workspaces_dir={base / 'workspaces'}",
            ],
        )
    server = Lab(f"http://127.0.0.1:{port}", token, student, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                server.api("GET", "status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {SERVER_START_S} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield server
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, PermissionError):
            pass
        except Exception:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
    blocked = base / "network.log"
    assert not blocked.exists() or not blocked.read_text().strip(), (
        f"a kernel tried to reach the network:\n{blocked.read_text()}"
    )


# One Chromium per worker: each test module that imports the fixture gets a session fixture of
# its own, and a second sync_playwright() started while the first runs is refused ("Sync API
# inside the asyncio loop": CI, when the lab's and the book's tests shared a worker).
_SHARED: dict = {}


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    if "context" in _SHARED:  # torn down before the first (session fixtures end in reverse order)
        yield _SHARED["context"]
        return
    if not CHROMIUM.exists():
        service_unavailable("Chromium", "COURSE_CHROMIUM_UNAVAILABLE", f"no hay {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        service_unavailable(
            "Playwright",
            "COURSE_CHROMIUM_UNAVAILABLE",
            str(err),
            how="se instala con las dependencias de desarrollo (python run.py test)",
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
            locale="es-ES",
        )
        context.set_default_timeout(30_000)
        _SHARED["context"] = context
        try:
            yield context
        finally:
            _SHARED.clear()
            context.close()


@pytest.fixture
def page(browser_context, lab, request):
    """A fresh tab; on failure its screenshot goes to build/e2e/FALLO-<test>.png."""
    failures_before = request.session.testsfailed
    tab = browser_context.new_page()
    yield tab
    if request.session.testsfailed > failures_before:  # the call phase is reported before teardown
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in request.node.name)
        shot = SCREENSHOTS / f"FALLO-{name}.png"
        tab.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}\nJupyterLab log: {lab.log}")
    tab.close()
    lab.shutdown_kernels()
