"""The kernel manager nbgrader uses while grading: it starts each notebook kernel inside the
sandbox (:mod:`.sandbox`) and talks to it over ZeroMQ ``ipc`` sockets, because TCP on the
loopback does not cross network namespaces.

The kernel's working folder is a *copy* of the notebook's folder (regular files only), mounted
at the same path inside the sandbox: whatever the student's code creates there — links to
solutions, to ``/``, FIFOs — never reaches a folder that nbgrader (outside, as the grader)
reads, writes or chmods afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode

from .sandbox import Sandbox
from .workspace import copy_regular_files

KERNEL_HOME = "kernel-home"  # the kernel's HOME, TMPDIR and caches; nbgrader keeps its own home


class SandboxedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernels run in the bwrap sandbox."""

    sandbox = Unicode("", config=True, help="the Sandbox, as JSON (Sandbox.to_json)")
    workspace = Unicode("", config=True, help="the student's grading workspace (outside the sandbox)")

    def _folder(self, name: str) -> Path:
        path = Path(self.workspace) / name
        if not path.is_dir():
            path.mkdir(parents=True)
            Sandbox.from_json(self.sandbox).hand_over(path)
        return path

    async def _async_pre_start_kernel(self, **kw):
        self.transport = "ipc"
        ipc = self._folder("ipc")
        if not self.connection_file:
            self.connection_file = str(ipc / f"kernel-{uuid.uuid4().hex[:8]}.json")
        self.ip = str(ipc / "k")
        # the kernel is told to stop by a message: a signal to bwrap would kill the sandbox
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        sandbox = Sandbox.from_json(self.sandbox)
        cwd = os.path.realpath(kw.get("cwd") or os.getcwd())
        run = Path(self.workspace) / "run"
        if not run.exists():  # the first start; a restart keeps the folder as it is
            copy_regular_files(Path(cwd), run)
            sandbox.hand_over(run)
        sandbox.hand_over(Path(self.connection_file))
        # the kernel gets its own home (HOME, TMPDIR, caches, the network log move with it): what
        # it writes there is never read by nbgrader, which runs as the grader
        env = dict(kw.get("env") or os.environ)
        home = str(self._folder(KERNEL_HOME))
        if env.get("HOME"):
            env = {k: v.replace(env["HOME"], home, 1) if v.startswith(env["HOME"]) else v for k, v in env.items()}
        writable = [str(self._folder("ipc")), home]
        kw.update(env=env, cwd=str(self.workspace))
        # no parent polling: inside the PID namespace the parent is the sandbox's init (pid 1);
        # the sandbox dies with nbgrader instead (--die-with-parent)
        command = [*kernel_cmd, "--IPKernelApp.parent_handle=0"]
        wrapped = sandbox.argv(command, writable, cwd, binds={cwd: str(run)})
        await super()._async_launch_kernel(wrapped, **kw)


def config_lines(sandbox: Sandbox, workspace: Path) -> str:
    """Lines for a workspace's ``nbgrader_config.py`` that make nbgrader start kernels in
    ``sandbox``."""
    return (
        "\n# --- added by course_utils.tools.grading: notebook kernels run in the bwrap sandbox ---\n"
        "c.Execute.kernel_manager_class = 'course_utils.tools.grading.kernel.SandboxedKernelManager'\n"
        f"c.SandboxedKernelManager.sandbox = {sandbox.to_json()!r}\n"
        f"c.SandboxedKernelManager.workspace = {str(workspace)!r}\n"
    )
