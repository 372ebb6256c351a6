"""The kernel manager of warm kernels: a SandboxedKernelManager whose kernels are forks of the warm
process (``course.sandbox.warm``), and the client that knows when such a kernel is ready."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import Type

from course.safe_files import Bounds, read_regular, scan
from course.sandbox import bwrap
from course.sandbox.bwrap import SOCKETS, Limits
from course.sandbox.kernel import SandboxedKernelManager
from course.sandbox.warm import Zygote, usable
from course.sandbox.watchdog import Watchdog

#: What each fork does to its sandbox beyond a cold kernel's (``course.sandbox.zygote``); the
#: tests switch one off at a time to show what it stops (tests/test_warm_attacks.py). A session of
#: its own, a read-only /proc/sys, and tmpfs that hold a bounded number of files.
HARDENING = {"own_session": True, "read_only_proc": True, "bounded_inodes": True}


def submission_files(folder: Path | None, limits: Limits) -> tuple[list, list]:
    """What the kernel may see of its folder, as ``kernel.stage`` copies it for a cold kernel:
    (relative path, bytes) of its regular files, never a notebook, within the sandbox's bounds,
    and the relative paths of its real folders (empty ones too)."""
    if folder is None:
        return [], []
    bounds = Bounds(file_bytes=limits.file_mb << 20, total_bytes=(limits.home_mb << 20) // 2)
    found = scan(folder, bounds, skip=(".ipynb_checkpoints", "__pycache__"),
                 keep=lambda rel: not rel.endswith(".ipynb"))
    files = []
    for rel, size in found.files:
        try:
            files.append((rel, read_regular(folder / rel, size)))
        except OSError:
            pass
    return files, found.folders


def is_stock_ipykernel(kernel_cmd: list) -> bool:
    """Only this environment's own ipykernel can be forked from the warm process."""
    return len(kernel_cmd) >= 3 and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"] and \
        os.path.realpath(kernel_cmd[0]) == os.path.realpath(sys.executable)


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's client, told the kernel is ready as soon as it is.

    The stock ``wait_for_ready`` drains IOPub until it has been silent for 0.2 s: a fifth of a
    second of nothing, per kernel. This one drains it until the kernel reports itself idle after
    the ``kernel_info`` request, which IOPub delivers after everything the kernel published
    before; what comes later belongs to no cell's request and is ignored as the stock one is.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply and reply["msg_type"] == "kernel_info_reply" and \
                    await self._idle_after(request, deadline):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _idle_after(self, request: str, deadline: float) -> bool:
        while time.monotonic() < deadline:
            try:
                msg = await self.iopub_channel.get_msg(timeout=1)
            except Empty:
                return False   # IOPub not connected yet: ask again, as the stock client does
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle" \
                    and msg["parent_header"].get("msg_id") == request:
                return True
        return False


class WarmKernelManager(SandboxedKernelManager):
    """A SandboxedKernelManager whose kernels are forks of the warm start process (a kernel of
    another kind starts cold, as SandboxedKernelManager starts it)."""

    _warm = False
    client_factory = Type(ReadyKernelClient)

    def _kernel_end(self):
        """The socket the kernel talks on, when it has one of its own (a direct kernel,
        ``course.sandbox.direct``); a stock kernel talks on ZeroMQ sockets."""
        return None

    async def _connect(self) -> None:
        await self._pin_sockets()

    async def _async_pre_start_kernel(self, **kw):
        # Interrupts go as messages: a signal would reach the setup process, not the kernel.
        self.kernel_spec.interrupt_mode = "message"
        kernel_cmd, kw = await AsyncKernelManager._async_pre_start_kernel(self, **kw)
        self._warm = usable(self.protections) and is_stock_ipykernel(kernel_cmd)
        if not self._warm:
            return self._sandboxed(kernel_cmd, kw)
        folder = kw.get("cwd")
        self._files, self._folders = submission_files(Path(folder) if folder else None,
                                                      self.limits)
        if not self.protections.fresh_namespaces:
            # (A control only.) The kernels share the warm process's socket folder: each needs a
            # place of its own there, or the grader could pin an earlier kernel's sockets.
            self.sockets = f"{SOCKETS}/{self.kernel_id}"
        self._connection = json.loads(self._kernel_connection_file().read_text())
        at = kernel_cmd.index(self.connection_file) if self.connection_file in kernel_cmd else -1
        self._argv = [str(a) for a in kernel_cmd[at + 1:]] if at >= 0 else []
        return kernel_cmd, kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if not self._warm:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        started = time.perf_counter()
        limits = self.limits
        zygote = Zygote.get(limits, self.protections)
        request = {"connection": self._connection, "argv": self._argv,
                   "isolate": self.protections.fresh_namespaces,
                   "hardening": dict(HARDENING), "folders": self._folders,
                   "capped_filesystems": self.protections.capped_filesystems,
                   # A course (and its Python) in a folder under /tmp: the fresh /tmp keeps it.
                   "keep_under_tmp": [str(p) for p in bwrap.python_paths()
                                      if p.is_relative_to("/tmp")],
                   "sizes": {"home_mb": limits.home_mb, "tmp_mb": limits.tmp_mb,
                             "shm_mb": limits.shm_mb, "sockets_kb": limits.sockets_kb},
                   "limits": {"cpu": limits.cpu_seconds, "memory_mb": limits.memory_mb,
                              "nproc": limits.processes + 2, "file_mb": limits.file_mb,
                              "open_files": limits.open_files}}
        process = zygote.fork(request, self._files, self._confine(), self._kernel_end())
        self.sandbox_seconds = time.perf_counter() - started
        self._files = []
        self.provisioner.process = process
        self.provisioner.pid, self.provisioner.pgid = process.pid, None
        self._reconcile_connection_info(self.provisioner.connection_info)
        init = process.init_pid
        self._info = {"child-pid": init, "pid-namespace": os.stat(f"/proc/{init}/ns/pid").st_ino}
        await self._connect()
        if self.protections.shared_budget and self._cgroup is None:
            self._watchdog = Watchdog(init, self._info["pid-namespace"],
                                      limits.memory_mb << 20, limits.processes)
            self._watchdog.start()
