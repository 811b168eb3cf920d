"""`course lab`'s configuration refers to things that exist in the installed versions: the
plugins it disables, the server extensions it turns off, the CSS classes of nbgrader's
Validate dialog that the course's note is attached to."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from course_utils.lab import INSTRUCTOR_SERVER_EXTENSIONS, LAB_ASSETS, lab_arguments, lab_environment

LABEXTENSIONS = Path(sys.prefix) / "share" / "jupyter" / "labextensions"


def _plugin_ids() -> set[str]:
    ids = set()
    for js in LABEXTENSIONS.rglob("*.js"):
        ids.update(re.findall(r'id:"(@[\w.-]+/[\w.-]+:[\w.-]+)"', js.read_text(encoding="utf-8", errors="replace")))
    return ids


def test_disabled_nbgrader_plugins_exist():
    disabled = json.loads((LAB_ASSETS / "config" / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    nbgrader = {name for name in disabled if name.startswith("@jupyter/nbgrader:")}
    assert nbgrader and nbgrader <= _plugin_ids(), f"unknown plugin ids: {nbgrader - _plugin_ids()}"
    assert "@jupyter/nbgrader:validate-assignment" not in disabled, "students need the Validate button"


def test_instructor_server_extensions_exist_and_are_turned_off(tmp_path):
    import importlib

    args = lab_arguments(tmp_path, port=8890, token="t", open_browser=False)
    for name in INSTRUCTOR_SERVER_EXTENSIONS:
        importlib.import_module(f"nbgrader.server_extensions.{name}")
        assert f"--ServerApp.jpserver_extensions=nbgrader.server_extensions.{name}=False" in args
    assert "--no-browser" in args and "--ServerApp.ip=127.0.0.1" in args


def test_the_note_targets_the_validate_dialog_classes():
    css = (LAB_ASSETS / "custom" / "custom.css").read_text(encoding="utf-8")
    bundle = "".join(
        js.read_text(encoding="utf-8", errors="replace")
        for js in (LABEXTENSIONS / "@jupyter" / "nbgrader").rglob("*.js")
    )
    for css_class in ("nbgrader-SuccessDialog", "nbgrader-ErrorDialog", "validation-success", "validation-failed"):
        assert css_class in css and css_class in bundle, css_class


def test_environment_puts_the_course_config_first():
    env = lab_environment({"PATH": "/usr/bin", "JUPYTER_CONFIG_PATH": "/otro"})
    assert env["JUPYTER_PREFER_ENV_PATH"] == "1"
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [str(LAB_ASSETS / "config"), "/otro"]
    assert env["PATH"].startswith(str(Path(sys.executable).parent))
