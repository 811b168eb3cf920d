"""The docs' screenshot of a student's Assignment List on the class hub (docs/hub-assignment-list.png):
``python tests/hub/screenshots.py docs`` — a hub on 127.0.0.1 with the fixture assignment released,
a student logged in through the hub's login page in headless Chromium (/usr/bin/chromium)."""

import secrets
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "grading"), str(HERE.parent), str(HERE)]
import test_hub as th  # noqa: E402

from course_utils.tools.hub import prepare_class, start_hub, stop_hub  # noqa: E402
from fixture_course import ASSIGNMENT, build_course  # noqa: E402
from support.services import free_port  # noqa: E402

base = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/course-hub-shots")
shutil.rmtree(base, ignore_errors=True)
base.mkdir(parents=True)
src = build_course(base / "fuente")
hub = prepare_class(base / "clase", "profesora", ["ana"], course=src)
th._nbgrader(hub, "generate_assignment", ASSIGNMENT, "--force")
th._nbgrader(hub, "release_assignment", ASSIGNMENT, "--force")
port, token, pw = free_port(), secrets.token_hex(16), "demo"
log = open(base / "hub.log", "w")
proc = start_hub(hub, port, password=pw, service_token=token, log=log)
out = Path(sys.argv[1])
try:
    th._wait_for_port(port, proc)
    time.sleep(3)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        page = b.new_page(viewport={"width": 1400, "height": 900}, locale="es-ES")
        page.set_default_timeout(120_000)
        page.goto(f"http://127.0.0.1:{port}/hub/login")
        page.fill("input[name=username]", "ana")
        page.fill("input[name=password]", pw)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_url("**/user/ana/lab**", timeout=180_000)
        page.wait_for_selector(".jp-LauncherCard", timeout=180_000)
        page.get_by_text("Nbgrader", exact=True).click()
        time.sleep(1)
        page.get_by_text("Assignment List", exact=True).click()
        page.wait_for_selector("text=tarea", timeout=120_000)
        time.sleep(3)
        page.screenshot(path=str(out / "hub-assignment-list.png"))
        print("shot ok")
        b.close()
finally:
    stop_hub(proc, hub)
    log.close()
