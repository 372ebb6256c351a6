"""A Jupyter kernel manager whose kernels run inside the sandbox."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from course.sandbox.bwrap import Limits, command, launcher


def stage(folder: Path | None, dest: Path, limits: Limits) -> Path:
    """Copy what the kernel may see of a submission folder.

    Never notebooks: during autograding the folder holds the notebook being graded, whose test
    cells nbgrader has restored *with their hidden tests*. Oversized files and anything beyond the
    sandbox's working space are left out too.
    """
    dest.mkdir(parents=True)
    if folder is None:
        return dest
    budget = (limits.tmpfs_mb << 20) // 2
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or path.suffix == ".ipynb" or any(
                part in (".ipynb_checkpoints", "__pycache__") for part in rel.parts):
            continue
        size = path.stat().st_size
        if size > limits.file_mb << 20 or size > budget:
            continue
        budget -= size
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / rel)
    return dest


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel under bubblewrap, talking over Unix sockets in a private folder."""

    limits = Limits()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._runtime = Path(tempfile.mkdtemp(prefix="course-kernel-"))
        self._runtime.chmod(0o700)
        # No network inside the sandbox: the kernel's channels are Unix sockets in this folder.
        self.transport = "ipc"
        self.ip = str(self._runtime / "kernel")
        self.connection_file = str(self._runtime / "connection.json")

    async def _async_pre_start_kernel(self, **kw):
        # Interrupts go as messages: a signal would reach bubblewrap, not the kernel.
        self.kernel_spec.interrupt_mode = "message"
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        # Only the notebook's own folder is staged; with no folder given, the kernel gets nothing
        # (never the process's working directory, which is the course root when grading).
        folder = kw.pop("cwd", None)
        staged = stage(Path(folder) if folder else None, self._runtime / "submission", self.limits)
        kw["cwd"] = str(self._runtime)
        # The kernel process's own chatter is not the notebook's output: keep it off the terminal.
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        return command(launcher(kernel_cmd, self.limits), staged, self._runtime, self.limits), kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._runtime, ignore_errors=True)
