"""course_utils/datasets/folders.py: a dataset folder appears whole or not at all."""

import pytest

from course_utils.datasets.folders import atomic_folder


def test_the_folder_appears_only_when_the_block_ends_and_no_temporary_is_left(tmp_path):
    out = tmp_path / "sub" / "data"
    with atomic_folder(out, marker="done.txt") as work:
        (work / "done.txt").write_text("ok")
        assert not out.exists() and work.parent == out.parent
    assert (out / "done.txt").read_text() == "ok"
    assert [p.name for p in out.parent.iterdir()] == ["data"]


def test_an_error_leaves_nothing_behind(tmp_path):
    out = tmp_path / "data"
    with pytest.raises(RuntimeError), atomic_folder(out, marker="done.txt") as work:
        (work / "half.txt").write_text("…")
        raise RuntimeError("falla a mitad")
    assert list(tmp_path.iterdir()) == []


def test_a_finished_folder_put_in_place_first_is_kept_and_a_partial_one_is_not_hidden(tmp_path):
    out = tmp_path / "data"
    with atomic_folder(out, marker="done.txt") as work:
        (work / "done.txt").write_text("mine")
        out.mkdir()  # another process finishes first
        (out / "done.txt").write_text("theirs")
        (out / "more.txt").write_text("x")  # a non-empty folder: os.replace cannot overwrite it
    assert (out / "done.txt").read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    (out / "done.txt").unlink()
    with pytest.raises(OSError), atomic_folder(out, marker="done.txt") as work:
        (work / "done.txt").write_text("mine")
