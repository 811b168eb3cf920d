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
import time
from pathlib import Path

import psutil

MEMORY_LOG = "kernel-memory.log"  # one line per kernel the watch stopped (in the student's workspace)
MIB = 1024 * 1024
LARGE_TREE = 64  # processes; a larger tree (a fork bomb) is read every 5 s only
EXACT_PROCESSES = 8  # how many of the largest processes have their page maps read


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


def largest(processes: list[psutil.Process], n: int, parent_floor_mib: int | None = None) -> list[psutil.Process]:
    """The ``n`` processes with the most resident memory among those without children and the
    parents holding at least ``parent_floor_mib`` (those that vanish are left out). Reading a
    process's page maps holds its memory lock, which its ``fork`` needs: a small forking parent
    is not read, so a fork bomb runs at its own pace; a large one is (red team 2: four 1,100 MiB
    holders that each forked a tiny child were never read, 4,400 MiB held against 3,072).
    Leaving processes out keeps :func:`unique_mib` a lower bound."""
    parents = set()
    for process in processes:
        try:
            parents.add(process.ppid())
        except psutil.Error:
            continue
    sized = []
    floor = None if parent_floor_mib is None else parent_floor_mib * MIB
    for process in processes:
        try:
            rss = process.memory_info().rss
        except psutil.Error:
            continue
        if process.pid not in parents or (floor is not None and rss >= floor):
            sized.append((rss, process))
    return [p for _, p in sorted(sized, key=lambda pair: pair[0], reverse=True)[:n]]


def unique_mib(processes: list[psutil.Process]) -> int:
    """MiB the processes hold together, about never more than they do: the larger of two lower
    bounds. (a) The pages private to each (USS) plus the largest set of shared pages of any one
    of them: a page shared by several (a forked child's copy-on-write pages) counts once, and a
    page becomes private only when its other holders are gone, so processes that exit while they
    are read cannot be counted twice. (b) The sum of their PSS (each shared page split among its
    holders): exact for a still tree, but read one process after another while processes exit it
    can count a page up to twice — only the few largest processes are read, so that needs
    processes exiting during a read of milliseconds; (a) alone missed holders that each share
    their pages with a child of their own (no private pages: 3 × 150 MiB read as 166)."""
    private, shared, proportional = 0, 0, 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        private += info.uss
        shared = max(shared, info.rss - info.uss)
        proportional += getattr(info, "pss", 0)
    return max(private + shared, proportional) // MIB


class MemoryWatch(threading.Thread):
    """Stops a student's sandbox (``pid``: the bwrap process) when its processes hold more than
    ``limit_mb`` MiB together; the reason goes to ``record`` (appended, Spanish)."""

    def __init__(self, pid: int, limit_mb: int, record: Path, interval: float = 0.2, exact_every: float = 1.0) -> None:
        super().__init__(name=f"memoria-{pid}", daemon=True)
        self.pid, self.limit_mb, self.record, self.interval = pid, limit_mb, record, interval
        self.exact_every = exact_every  # seconds between two reads of the page maps (costly)
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        last_exact, wait = 0.0, self.interval
        while not self.stopped.wait(wait):
            processes = tree(root)
            if not processes:
                return
            rss, count = held_mib(processes)
            # reading hundreds of processes slows the kernel that forks them (and its cell's time
            # limit): a tree of more than LARGE_TREE processes is read every 5 seconds only
            wait = self.interval if count <= LARGE_TREE else 5.0
            if rss <= self.limit_mb or time.monotonic() - last_exact < self.exact_every:
                continue
            # the page maps of the largest processes only: still a lower bound, and a fork bomb's
            # hundreds of small children cost the grader (and its kernel's cells) nothing
            last_exact = time.monotonic()
            held = unique_mib(largest(processes, EXACT_PROCESSES, parent_floor_mib=self.limit_mb // 8))
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


def start_watch(pid: int, limit_mb: int, record: Path):
    """The watch in a process of its own (``python -m …memory PID LIMIT RECORD``), so reading a
    fork bomb's hundreds of processes never holds the GIL of the grader, whose event loop times
    the kernel's cells. Returns the ``Popen``; it ends by itself with the sandbox."""
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", __name__, str(pid), str(limit_mb), str(record)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


if __name__ == "__main__":  # the watch process of start_watch
    import sys

    # not niced: a limit that yields to the processes it binds is not a limit (under CI's load a
    # niced watch can be starved past a short peak)
    MemoryWatch(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])).run()
