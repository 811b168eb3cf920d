"""Copies in and out of a workspace take regular files only and never follow a link."""

from __future__ import annotations

import os

import pytest

from course_utils.tools.grading.workspace import copy_back, copy_regular_file, copy_regular_files, regular_files


@pytest.fixture
def hostile(tmp_path):
    """A student folder with a notebook, a data file, links to a secret file, to a folder with a
    dangling link and to ``/``, and a FIFO."""
    secret = tmp_path / "secreto.txt"
    secret.write_text("clave")
    os.chmod(secret, 0o600)
    elsewhere = tmp_path / "otra"
    elsewhere.mkdir()
    (elsewhere / "roto").symlink_to(tmp_path / "no-existe")
    src = tmp_path / "entrega"
    (src / "sub").mkdir(parents=True)
    (src / "tarea.ipynb").write_text("{}")
    (src / "sub" / "datos.csv").write_text("1,2")
    (src / "robado.txt").symlink_to(secret)
    (src / "carpeta").symlink_to(elsewhere)
    (src / "raiz").symlink_to("/")
    (src / "sub" / "ckpt.ipynb").symlink_to(secret)
    os.mkfifo(src / "tuberia")
    return src, secret


def test_only_regular_files_are_found(hostile):
    src, _ = hostile
    assert [str(p) for p in regular_files(src)] == ["sub/datos.csv", "tarea.ipynb"]
    assert [str(p) for p in regular_files(src, skip_notebooks=True)] == ["sub/datos.csv"]


def test_copy_leaves_links_and_fifos_behind(hostile, tmp_path):
    src, secret = hostile
    dest = tmp_path / "copia"
    copy_regular_files(src, dest)
    copied = sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
    assert copied == ["sub", "sub/datos.csv", "tarea.ipynb"]
    assert secret.stat().st_mode & 0o777 == 0o600


def test_copy_back_takes_named_regular_files_only(hostile, tmp_path):
    src, secret = hostile
    dest = tmp_path / "autograded"
    (dest / "viejo").mkdir(parents=True)
    skipped = copy_back(src, dest, ["tarea.ipynb", "robado.txt", "tuberia", "falta.txt"])
    assert sorted(p.name for p in dest.iterdir()) == ["tarea.ipynb"]
    assert skipped == ["robado.txt", "tuberia", "falta.txt"]
    assert secret.stat().st_mode & 0o777 == 0o600


def test_a_link_is_never_opened(hostile, tmp_path):
    src, _ = hostile
    with pytest.raises(OSError):
        copy_regular_file(src / "robado.txt", tmp_path / "x")
    target = tmp_path / "destino-enlazado"
    target.symlink_to(tmp_path / "secreto.txt")
    with pytest.raises(OSError):  # nor followed when it is the destination
        copy_regular_file(src / "tarea.ipynb", target)
    assert (tmp_path / "secreto.txt").read_text() == "clave"
