"""The per-student memory watch: a process tree over its limit together is stopped with the
reason written; shared pages of forked children are not counted twice."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from course_utils.tools.grading.memory import MemoryWatch, memory_note

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the grading sandbox is Linux-only")

# a parent that touches ``own`` MiB, then forks ``children`` that each touch ``each`` MiB of their
# own (0: they only share the parent's pages), all sleeping until killed; "listo" once every
# child holds its memory (a loaded machine must not turn the watch's window into allocation time)
TREE = """
import os, sys, time
own, children, each = (int(a) for a in sys.argv[1:])
block = bytearray(b"\\x01") * (own * 2 ** 20)
ready, told = os.pipe()
for _ in range(children):
    if os.fork() == 0:
        mine = bytearray(b"\\x02") * (each * 2 ** 20)
        os.write(told, b"1")
        time.sleep(60)
        os._exit(0)
for _ in range(children):
    os.read(ready, 1)
print("listo", flush=True)
time.sleep(60)
"""


# as TREE, but each child first forks a tiny child of its own, then fills its memory: every holder
# is a parent, its pages private (red team 2: the watch read only processes without children, and
# four 1,100 MiB holders went unread, 4,400 MiB held against 3,072)
TREE_OF_PARENTS = TREE.replace(
    '        mine = bytearray(b"\\x02")',
    '        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n        mine = bytearray(b"\\x02")',
)


def _watch(
    tmp_path, own: int, children: int, each: int, limit: int, tree: str = TREE, settled: bool = False
) -> tuple[bool, str]:
    """(whether the tree still ran after a second under the watch — up to 10 s while the watch has
    written nothing, for a loaded machine —, the teacher's note)."""
    record = tmp_path / "memoria.log"
    process = subprocess.Popen(
        [sys.executable, "-c", tree, str(own), str(children), str(each)], stdout=subprocess.PIPE, text=True
    )
    watch = MemoryWatch(process.pid, limit, record, interval=0.02, exact_every=0.02)
    if not settled:
        watch.start()
    try:
        process.stdout.readline()
        if settled:  # the tree as it stands once built, not a moment of its building
            watch.start()
        time.sleep(1.0)
        waited = 1.0
        while process.poll() is None and not memory_note(record, limit) and waited < 10:
            time.sleep(0.2)
            waited += 0.2
        watch.stop()
        watch.join()
        return process.poll() is None, memory_note(record, limit)
    finally:
        if process.poll() is None:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
        process.kill()
        process.wait()


def test_children_over_the_limit_together_are_stopped(tmp_path):
    alive, note = _watch(tmp_path, own=10, children=3, each=150, limit=300)
    assert not alive, "the tree over its limit was left running"
    held = int(note.split(" MiB")[0].split()[-1])
    assert held > 300 and "límite de 300 MiB por estudiante" in note, note


# each holder fills its memory, then forks a child that shares it (no page private to either)
TREE_OF_SHARERS = TREE.replace(
    '        os.write(told, b"1")\n',
    '        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n        os.write(told, b"1")\n',
)


def test_holders_sharing_their_pages_with_a_child_of_their_own_are_counted(tmp_path):
    assert TREE_OF_SHARERS != TREE
    alive, note = _watch(tmp_path, own=10, children=3, each=150, limit=300, tree=TREE_OF_SHARERS, settled=True)
    assert not alive, "three 150 MiB holders, each sharing with its own child, were left running over 300 MiB"
    assert "límite de 300 MiB por estudiante" in note, note


def test_holders_that_are_parents_are_read_too(tmp_path):
    assert TREE_OF_PARENTS != TREE
    alive, note = _watch(tmp_path, own=10, children=3, each=150, limit=300, tree=TREE_OF_PARENTS, settled=True)
    assert not alive, "three 150 MiB holders with a child each were left running over a 300 MiB limit"
    assert "límite de 300 MiB por estudiante" in note, note


def test_shared_pages_of_forked_children_count_once(tmp_path):
    # resident sizes add up to about 4 × 200 MiB; the pages are the parent's, shared: about 200 MiB held
    alive, note = _watch(tmp_path, own=200, children=3, each=0, limit=400)
    assert alive and note == "", note


def test_no_record_no_note(tmp_path):
    assert memory_note(tmp_path / "ninguno.log", 100) == ""
