"""The sandbox probe names the real cause of a failure: the course not importable inside the
sandbox is not blamed on bubblewrap, and a refused user namespace names AppArmor's restriction
(Ubuntu 23.10 and later) when that is what the kernel says."""

from __future__ import annotations

from course_utils.tools.grading.sandbox import probe_failure


def _proc(tmp_path, **values):
    for name, value in values.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{value}\n")
    return tmp_path


def test_course_not_importable_is_not_blamed_on_bubblewrap(tmp_path):
    detail = "Traceback (most recent call last):\nModuleNotFoundError: No module named 'course_utils'"
    message = probe_failure(detail, _proc(tmp_path, kernel__apparmor_restrict_unprivileged_userns=1))
    assert "'course_utils'" in message and "bubblewrap funciona" in message
    assert "AppArmor" not in message and "--no-sandbox" in message


def test_apparmor_userns_restriction_is_named(tmp_path):
    detail = "bwrap: setting up uid map: Permission denied"
    message = probe_failure(detail, _proc(tmp_path, kernel__apparmor_restrict_unprivileged_userns=1))
    assert "apparmor_restrict_unprivileged_userns=1" in message and "docs/instructors.md" in message
    assert "setting up uid map" in message


def test_other_namespace_refusals(tmp_path):
    detail = "bwrap: No permissions to creating new namespace"
    assert "unprivileged_userns_clone=0" in probe_failure(detail, _proc(tmp_path, kernel__unprivileged_userns_clone=0))
    assert "seccomp" in probe_failure(detail, _proc(tmp_path / "vacío"))


def test_root_and_network(tmp_path):
    assert "uid 0" in probe_failure("AssertionError: uid 0", tmp_path)
    assert "la red es accesible" in probe_failure("network reachable", tmp_path)
