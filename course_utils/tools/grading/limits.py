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
from dataclasses import dataclass


@dataclass(frozen=True)
class GradingLimits:
    """Per-student limits. Times in seconds, sizes in MiB."""

    cell_timeout: int = 60
    notebook_timeout: int = 600
    memory_mb: int = 4096
    file_size_mb: int = 256
    max_processes: int = 512
    max_output_lines: int = 1000
    disk_mb: int = 1024  # the kernel's working folder, home and /tmp together (a tmpfs: RAM)

    def nbgrader_options(self) -> list[str]:
        """nbgrader traits that enforce the per-cell limits inside ``nbgrader autograde``."""
        return [
            f"--Execute.timeout={self.cell_timeout}",
            "--Execute.interrupt_on_timeout=True",
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
