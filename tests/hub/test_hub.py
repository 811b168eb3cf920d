"""A class on a real JupyterHub on 127.0.0.1 (the course's hub configuration, configurable-http-proxy,
nbgrader's exchange): the instructor releases; three students fetch, work (right, blank, hostile)
and submit — one in headless Chromium, logged in through the hub's login page, with nbgrader's
Assignment List in her JupyterLab; the other two through the hub's REST API (the same Assignment
List handlers behind the proxy); one submits after the due date; the instructor collects, grades
with the sandboxed trusted grader, writes feedback (no hidden test in it) and returns it;
students fetch their own feedback only (the browser's student with the Assignment List's *Fetch
Feedback*). The browser's screenshots of the Assignment List and of the returned feedback page
go to build/e2e/hub-*.png on every run; with COURSE_UPDATE_SCREENSHOTS=1 they also replace the
docs' copies (docs/img/hub-*.png), so a plain test run never dirties the working tree."""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("grading", "e2e")]

from fixture_course import ASSIGNMENT, CORRECT, TESTS, build_course  # noqa: E402
from lab_browser import SCREENSHOTS, browser_context  # noqa: E402, F401 - the worker's one Chromium
from support import ROOT  # noqa: E402
from support.services import free_port, service_unavailable  # noqa: E402

pytest.importorskip("jupyterhub", reason="jupyterhub no está instalado (extra instructor)")

from course_utils.tools.environment import tool_environment  # noqa: E402
from course_utils.tools.grading.export import LATE  # noqa: E402
from course_utils.tools.hub import COURSE_ID, find_proxy, prepare_class, start_hub, stop_hub  # noqa: E402

INSTRUCTOR = "profesora"
WORK = {
    "ana": CORRECT,  # right
    "bea": {},  # blank
    # hostile: looks for classmates' submissions (a wrong doble if it sees any) and writes at the
    # gradebook — the sandbox shows it nothing, the scan sends it to review (points held)
    "carla": {
        "ej1_solucion": "import glob\n_otros = glob.glob('/tmp/**/inbound/*', recursive=True)"
        " + glob.glob('/root/**/inbound/*', recursive=True)\ndef doble(x):\n    return 2 * x + len(_otros)",
        "ej2_solucion": "def suma(xs):\n    try:\n        open('../../gradebook.db', 'a').close()\n"
        "    except OSError:\n        pass\n    return sum(xs)",
    },
}
EXPECTED = {"ana": 3.0, "bea": 0.0, "carla": 0.0}  # carla: 3 points earned, held for review
MAX_SCORE = float(sum(points for points, _ in TESTS.values()))
IN_CHROMIUM = "ana"  # fetches, submits and fetches her feedback in the Assignment List
DOCS_IMG = ROOT / "docs" / "img"  # the docs' copies, rewritten only when asked (COURSE_UPDATE_SCREENSHOTS=1)


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))
    if os.environ.get("COURSE_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SCREENSHOTS / name, DOCS_IMG / name)


# generous, for every wait and web-first assertion (Playwright's expect() waits 5 s unless told):
# CI's two cores are shared with the other worker
BROWSER_TIMEOUT_MS = 180_000


class Hub:
    def __init__(self, url: str, token: str):
        self.url, self.token = url.rstrip("/"), token

    def request(self, method: str, path: str, token: str | None = None, body=None, params=None, timeout=60):
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"token {token or self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None


def _wait_for_port(port: int, proc, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("el hub terminó al arrancar")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"el hub no escucha en {port}")


def _nbgrader(hub, *args: str) -> subprocess.CompletedProcess:
    """An nbgrader command as the instructor types it in the hub's terminal (home, course folder)."""
    env = {**tool_environment(), "HOME": str(hub.home(INSTRUCTOR))}
    env.pop("JUPYTER_CONFIG_DIR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=hub.course, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"nbgrader {args[0]}: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def _course(cmd: list[str], hub) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "course_utils.tools.cli", "grade", *cmd, "--course-root", str(hub.course)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


@pytest.fixture(scope="module")
def class_hub(tmp_path_factory):
    if find_proxy() is None:
        service_unavailable(
            "configurable-http-proxy",
            "COURSE_HUB_UNAVAILABLE",
            "npm install --prefix build/hub configurable-http-proxy@4",
            ".ci/run lo instala con npm",
        )
    base = tmp_path_factory.mktemp("hub")
    source = build_course(base / "fuente")
    hub = prepare_class(base / "clase", INSTRUCTOR, list(WORK), course=source)
    _nbgrader(hub, "generate_assignment", ASSIGNMENT, "--force")
    port, token, password = free_port(), secrets.token_hex(16), secrets.token_hex(8)
    log = open(base / "hub.log", "w")
    proc = start_hub(hub, port, password=password, service_token=token, log=log)
    try:
        _wait_for_port(port, proc)
        api = Hub(f"http://127.0.0.1:{port}", token)
        for _ in range(60):  # the hub answers once its API is up behind the proxy
            try:
                api.request("GET", "/hub/api/")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        yield hub, api, base / "hub.log", password
    finally:
        stop_hub(proc, hub)
        log.close()


def _start_server(api: Hub, user: str) -> str:
    """A token for ``user`` (made by the admin service) and the user's running server."""
    token = api.request("POST", f"/hub/api/users/{user}/tokens", body={"note": "prueba", "expires_in": 3600})["token"]
    try:
        api.request("POST", f"/hub/api/users/{user}/server")
    except urllib.error.HTTPError as err:
        if err.code not in (201, 202, 400):
            raise
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        model = api.request("GET", f"/hub/api/users/{user}")
        server = model.get("servers", {}).get("")
        if server and server.get("ready"):
            return token
        time.sleep(1)
    raise TimeoutError(f"el servidor de {user} no arrancó")


def _assignments(api: Hub, user: str, token: str) -> list[dict]:
    found = api.request("GET", f"/user/{user}/assignments", token=token, params={"course_id": COURSE_ID})
    assert found["success"], found
    return found["value"]


def _action(api: Hub, user: str, token: str, action: str):
    return api.request(
        "POST",
        f"/user/{user}/assignments/{action}",
        token=token,
        params={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT},
        body={},
    )


def _work(api: Hub, user: str, token: str, answers: dict[str, str]) -> None:
    """The student's edits, saved through the server's contents API as JupyterLab saves them."""
    path = f"/user/{user}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    model = api.request("GET", path, token=token, params={"content": 1})
    nb = nbformat.from_dict(model["content"])
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    api.request("PUT", path, token=token, body={"type": "notebook", "format": "json", "content": nb})


@contextlib.contextmanager
def _student_tab(context, api: Hub, user: str, password: str):
    """A tab of the worker's one Chromium, logged in through the hub's login page as ``user`` and
    on the user's JupyterLab. The context's cookies (a lab test's, on the same 127.0.0.1) are put
    aside meanwhile and restored afterwards; a failure leaves build/e2e/FALLO-hub-<user>.png."""
    saved = context.cookies()
    context.clear_cookies()
    tab = context.new_page()
    tab.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        tab.goto(f"{api.url}/hub/login?next=" + urllib.parse.quote(f"/user/{user}/lab"))
        tab.locator("input[name=username]").fill(user)
        tab.locator("input[name=password]").fill(password)
        tab.locator("[type=submit]").click()
        tab.wait_for_url(f"**/user/{user}/lab**")
        yield tab
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            tab.screenshot(path=str(SCREENSHOTS / f"FALLO-hub-{user}.png"))
            print(f"screenshot of the failure: {SCREENSHOTS / f'FALLO-hub-{user}.png'}")
        raise
    finally:
        for other in context.pages:
            if other is tab or other.url.startswith(api.url):
                other.close()
        context.clear_cookies()
        if saved:
            context.add_cookies(saved)


def _rows(tab, section: str):
    """The assignments of one section of nbgrader's Assignment List (released, fetched, submitted)."""
    return tab.locator(f"#{section}_assignments_list > .list_item")


def _button(tab, section: str, label: str):
    return _rows(tab, section).filter(has_text=ASSIGNMENT).locator(".item_status button", has_text=label)


def _open_assignment_list(tab) -> None:
    """Menu *Nbgrader → Assignment List*, as a student opens it (nbgrader's menu must be there)."""
    from playwright.sync_api import expect

    tab.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    tab.locator('#jp-mainmenu-nbgrader li[data-command="nbgrader:open-assignment-list"]').click()
    expect(_rows(tab, "released")).to_have_count(1, timeout=BROWSER_TIMEOUT_MS)
    expect(_rows(tab, "released")).to_contain_text(ASSIGNMENT, timeout=BROWSER_TIMEOUT_MS)


def _fetch_and_submit_in_chromium(tab, api: Hub, user: str, token: str, answers: dict[str, str]) -> None:
    """*Fetch* in the Assignment List, the work saved, *Submit* in the Assignment List."""
    from playwright.sync_api import expect

    _button(tab, "released", "Fetch").click()
    expect(_rows(tab, "fetched")).to_have_count(1, timeout=BROWSER_TIMEOUT_MS)
    _work(api, user, token, answers)
    _button(tab, "fetched", "Submit").click()
    expect(tab.locator("#submitted_assignments_list .nested_list_item")).to_have_count(1, timeout=BROWSER_TIMEOUT_MS)


def _fetch_feedback_in_chromium(tab, api: Hub, user: str, home: Path) -> str:
    """*Fetch Feedback* in the Assignment List (once a refresh shows it available), the list's
    screenshot, then the returned page opened in a tab of its own as the student opens it (its
    screenshot); returns the page's text as the browser shows it."""
    from playwright.sync_api import expect

    submission = tab.locator("#submitted_assignments_list .nested_list_item")
    tab.locator("#refresh_assignments_list").click()
    expect(submission).to_contain_text("(feedback available to fetch)", timeout=BROWSER_TIMEOUT_MS)
    _button(tab, "submitted", "Fetch Feedback").click()
    view = submission.get_by_text("(view feedback)")
    view.click()  # the file browser goes to the feedback's folder
    listing = tab.locator(".jp-DirListing-item", has_text=".html")
    expect(listing).to_have_count(1, timeout=BROWSER_TIMEOUT_MS)
    _screenshot(tab, "hub-assignment-list.png")
    pages = sorted((home / ASSIGNMENT / "feedback").rglob("*.html"))
    assert len(pages) == 1, pages
    feedback = tab.context.new_page()
    feedback.set_default_timeout(BROWSER_TIMEOUT_MS)
    url = f"{api.url}/user/{user}/files/" + urllib.parse.quote(pages[0].relative_to(home).as_posix())
    response = feedback.goto(url, wait_until="load")
    assert response is not None and response.ok, (url, response and response.status)
    expect(feedback.locator("body")).to_contain_text(
        f"{ASSIGNMENT} (Score: {EXPECTED[user]} / {MAX_SCORE})", timeout=BROWSER_TIMEOUT_MS
    )
    _screenshot(feedback, "hub-feedback.png")
    return feedback.locator("body").inner_text()


def test_students_lab_has_the_assignment_list_and_no_instructor_tool(class_hub):
    hub, *_ = class_hub
    config = json.loads((hub.base / "config-estudiantes" / "labconfig" / "page_config.json").read_text())
    disabled = {name for name, off in config["disabledExtensions"].items() if off}
    assert not disabled & {"@jupyter/nbgrader:menu", "@jupyter/nbgrader:assignment-list"}
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list"} <= disabled


def test_a_class_on_the_hub(browser_context, class_hub):  # noqa: F811 - the fixture imported above
    hub, api, log, password = class_hub
    tokens = {student: _start_server(api, student) for student in WORK}
    with _student_tab(browser_context, api, IN_CHROMIUM, password) as tab:
        _class_loop(hub, api, log, tokens, tab)


def _class_loop(hub, api: Hub, log: Path, tokens: dict[str, str], tab) -> None:
    from nbgrader.api import Gradebook

    # the instructor releases the assignment to the exchange
    _nbgrader(hub, "release_assignment", ASSIGNMENT, "--force")
    _open_assignment_list(tab)  # the browser's student sees it released
    for n, (student, answers) in enumerate(WORK.items()):
        token = tokens[student]
        listed = _assignments(api, student, token)
        assert [(a["assignment_id"], a["status"]) for a in listed] == [(ASSIGNMENT, "released")]
        if n == len(WORK) - 1:  # the last student submits after the due date
            with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gb:
                gb.update_or_create_assignment(ASSIGNMENT, duedate=datetime.datetime.utcnow())
            time.sleep(1.5)
        if student == IN_CHROMIUM:
            _fetch_and_submit_in_chromium(tab, api, student, token, answers)
            continue
        fetched = _action(api, student, token, "fetch")
        assert fetched["value"][0]["status"] == "fetched", fetched
        _work(api, student, token, answers)
        submitted = _action(api, student, token, "submit")
        assert any(a["status"] == "submitted" for a in submitted["value"]), submitted
    # the exchange: a student's list shows only their own submissions
    for student, token in tokens.items():
        mine = [a for a in _assignments(api, student, token) if a["status"] == "submitted"]
        assert mine and {a["student_id"] for a in mine} == {student}
        assert {sub["student_id"] for a in mine for sub in a["submissions"]} == {student}
    inbound = hub.exchange / COURSE_ID / "inbound"
    assert oct(inbound.stat().st_mode & 0o777) == oct(0o733), "inbound: students write, only the instructor lists"

    # collect (the exchange's times), grade (sandboxed, trusted), feedback, return
    _nbgrader(hub, "collect", ASSIGNMENT)
    assert sorted(p.name for p in (hub.course / "submitted").iterdir()) == sorted(WORK)
    _course(["autograde", ASSIGNMENT, "--jobs", "2", "--cell-timeout", "10", "--notebook-timeout", "120"], hub)
    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(ASSIGNMENT, s).score for s in WORK}
        late = {s: gb.find_submission(ASSIGNMENT, s).total_seconds_late > 0 for s in WORK}
    assert scores == EXPECTED
    with open(hub.course / "grading" / ASSIGNMENT / "status.csv", newline="", encoding="utf-8") as fh:
        status = {row["student"]: row for row in csv.DictReader(fh)}
    assert float(status["carla"]["held"]) == 3.0, "carla saw a classmate's submission (or her answers failed)"
    assert "gradebook" in status["carla"]["review"]
    assert late == {"ana": False, "bea": False, "carla": True}
    export = _course(["export", "--lms", "moodle"], hub)
    assert "moodle" in export.stdout
    moodle = (hub.course / "grading" / "moodle.csv").read_text(encoding="utf-8")
    assert LATE in next(line for line in moodle.splitlines() if line.startswith("carla,"))
    _course(["feedback", ASSIGNMENT], hub)
    _nbgrader(hub, "release_feedback", ASSIGNMENT)

    for student, token in tokens.items():
        if student == IN_CHROMIUM:
            shown = _fetch_feedback_in_chromium(tab, api, student, hub.home(student))
            assert "BEGIN HIDDEN TESTS" not in shown and "pruebas_ocultas" not in shown
            listed = _assignments(api, student, token)
        else:
            listed = _action(api, student, token, "fetch_feedback")["value"]
        mine = [sub for a in listed if a["status"] == "submitted" for sub in a["submissions"]]
        assert mine and {sub["student_id"] for sub in mine} == {student}
        assert all(sub["has_local_feedback"] for sub in mine), mine
        pages = sorted((hub.home(student) / ASSIGNMENT / "feedback").rglob("*.html"))
        assert len(pages) == 1, pages
        html = pages[0].read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" not in html and "pruebas_ocultas" not in html
        assert student in html or ASSIGNMENT in html
        others = [s for s in WORK if s != student]
        assert not [p for o in others for p in hub.home(student).rglob(f"*{o}*")], "a classmate's file reached"
    assert os.path.getsize(log) > 0
