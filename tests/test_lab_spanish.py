"""The students' JupyterLab speaks Spanish: the language pack is installed with the student set
and the course's lab settings make es_ES the default locale (JupyterLab reads the defaults from
``overrides.json`` in the settings folder the course's command line names)."""

from __future__ import annotations

import json
from pathlib import Path

from course_utils.lab import LAB_ASSETS, lab_arguments


def test_the_lab_defaults_to_spanish():
    args = lab_arguments(Path("notebooks"))
    (setting,) = [a for a in args if a.startswith("--LabApp.app_settings_dir=")]
    folder = Path(setting.split("=", 1)[1])
    assert folder == LAB_ASSETS / "settings"
    overrides = json.loads((folder / "overrides.json").read_text(encoding="utf-8"))
    assert overrides["@jupyterlab/translation-extension:plugin"]["locale"] == "es_ES"


def test_the_spanish_language_pack_is_installed():
    from jupyterlab_server.translation_utils import get_language_packs

    packs, _ = get_language_packs("es_ES")
    assert "es_ES" in packs, f"jupyterlab-language-pack-es-es no está instalado: {sorted(packs)}"
