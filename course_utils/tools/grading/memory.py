"""The per-student memory limit: what all of one student's processes hold at once.

``RLIMIT_AS`` binds each process alone, so a kernel that forks children could hold several
times the limit. A :class:`MemoryWatch` runs in the grader's process beside each sandboxed
kernel and sums what the sandbox and every process under it hold (:func:`unique_mib`: private
pages, and shared pages once, so a forked child is not counted twice) — inside the
sandbox's PID namespace every orphan is re-parented to the sandbox's own init, so nothing
escapes the tree. Over the limit, the whole tree is killed (as a cgroup with
``memory.oom.group`` would) and the reason is written for the teacher. Portable wherever the
sandbox runs (Linux), with or without a writable cgroup hierarchy."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import psutil

MEMORY_LOG = "kernel-memory.log"  # one line per kernel the watch stopped (in the student's workspace)
MIB = 1024 * 1024


def tree(root: psutil.Process) -> list[psutil.Process]:
    """``root`` and every process under it (those that vanish meanwhile are left out)."""
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def held_mib(processes: list[psutil.Process]) -> tuple[int, int]:
    """(resident MiB together, number of processes): cheap, and never below what they hold, so
    under the limit it settles the question; over it, :func:`unique_mib` decides."""
    rss, alive = 0, []
    for process in processes:
        try:
            rss += process.memory_info().rss
            alive.append(process)
        except psutil.Error:
            continue
    return rss // MIB, len(alive)


def unique_mib(processes: list[psutil.Process]) -> int:
    """MiB the processes hold together, never more than they do: the pages private to each
    (USS) plus the largest set of shared pages of any one of them. A page shared by several
    (a forked child's copy-on-write pages) counts once; a page becomes private only when its
    other holders are gone, so processes that exit while they are read cannot be counted twice
    (PSS, read one process after another while hundreds exit, counted up to twice)."""
    private, shared = 0, 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        private += info.uss
        shared = max(shared, info.rss - info.uss)
    return (private + shared) // MIB


class MemoryWatch(threading.Thread):
    """Stops a student's sandbox (``pid``: the bwrap process) when its processes hold more than
    ``limit_mb`` MiB together; the reason goes to ``record`` (appended, Spanish)."""

    def __init__(self, pid: int, limit_mb: int, record: Path, interval: float = 0.05) -> None:
        super().__init__(name=f"memoria-{pid}", daemon=True)
        self.pid, self.limit_mb, self.record, self.interval = pid, limit_mb, record, interval
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stopped.wait(self.interval):
            processes = tree(root)
            if not processes:
                return
            rss, count = held_mib(processes)
            if rss <= self.limit_mb:
                continue
            held = unique_mib(processes)
            if held > self.limit_mb:
                self._kill(processes, held, count)
                return

    def _kill(self, processes: list[psutil.Process], held: int, count: int) -> None:
        for process in reversed(processes):  # the children first: none is left to the sandbox's init
            try:
                os.kill(process.pid, signal.SIGKILL)
            except OSError:
                continue
        with open(self.record, "a", encoding="utf-8") as fh:
            fh.write(f"{held} {count}\n")


def memory_note(record: Path, limit_mb: int) -> str:
    """The teacher's reason when the watch stopped this student's kernel ('' when it never did)."""
    try:
        lines = [line.split() for line in record.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError:
        return ""
    if not lines:
        return ""
    held, count = max((int(a), int(b)) for a, b in lines)
    times = "una vez" if len(lines) == 1 else f"{len(lines)} veces"
    return (
        f"sus procesos ocuparon {held} MiB a la vez ({count} procesos; límite de {limit_mb} MiB por estudiante): "
        f"se detuvo el kernel {times}"
    )
