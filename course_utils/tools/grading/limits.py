"""Per-student resource limits: wall-clock and per-cell time, memory, file size, disk, processes
and printed output, enforced by the operating system (``setrlimit``, the sandbox's size-limited
``tmpfs``) and by nbgrader.

The limits bind each student alone: under a root grader every student's kernel runs under a uid
of its own (:func:`.sandbox.student_uid`), so ``RLIMIT_NPROC`` counts that student's processes
only, and the disk quota is a ``tmpfs`` made for that kernel. Memory binds each process
(``RLIMIT_AS``) and all of a student's processes together (:mod:`.memory`: the sandbox is
stopped when they hold more than ``memory_mb`` at once)."""

from __future__ import annotations

import resource
from dataclasses import dataclass, field


def _limit(default: int, help: str) -> int:  # noqa: A002 - argparse's word
    return field(default=default, metadata={"help": help})


STARTUP_TIMEOUT = 180  # seconds for a new kernel's first reply (not a limit on the student: before any cell)


@dataclass(frozen=True)
class GradingLimits:
    """Per-student limits. Times in seconds, sizes in MiB (each is a ``course grade autograde``
    option: ``--cell-timeout`` …, its help the field's)."""

    cell_timeout: int = _limit(60, "seconds per cell")
    notebook_timeout: int = _limit(600, "seconds per notebook (the whole grading of one student)")
    memory_mb: int = _limit(4096, "MiB per process and for all of a student's processes together")
    file_size_mb: int = _limit(256, "largest file a kernel may write (MiB)")
    max_processes: int = _limit(512, "processes and threads of one student")
    max_output_lines: int = _limit(1000, "output lines kept per cell")
    disk_mb: int = _limit(1024, "disk quota: the kernel's working folder, HOME and /tmp together (a tmpfs: RAM; MiB)")

    def nbgrader_options(self) -> list[str]:
        """nbgrader traits that enforce the per-cell limits inside ``nbgrader autograde``."""
        return [
            f"--Execute.timeout={self.cell_timeout}",
            "--Execute.interrupt_on_timeout=True",
            # a kernel's first reply (kernel_info) may wait long on a loaded grader, and nbclient's 60 s
            # default would then fail the whole submission (a suspect for one unexplained failed
            # submission on CI's two busy cores); the kernel's own start is bounded by ready_timeout
            f"--Execute.startup_timeout={STARTUP_TIMEOUT}",
            # nbclient waits 4 s after a cell's reply for its remaining output: a cell that printed
            # 70,000 short lines and ended in time outran it, and nbgrader then failed the notebook
            f"--Execute.iopub_timeout={self.cell_timeout}",
            f"--LimitOutput.max_lines={self.max_output_lines}",
            "--LimitOutput.max_traceback=100",
        ]


def apply_limits(limits: GradingLimits) -> None:
    """Set the resource limits of this process; the notebook kernel it starts inherits them
    (``RLIMIT_NPROC`` binds the kernel, which never runs as root)."""
    mib = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes,) * 2)
