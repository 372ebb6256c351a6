"""A Jupyter kernel manager whose kernels run inside the sandbox.

How the grader talks to a kernel that has no network and may write nothing on the host: the kernel
binds its ZeroMQ sockets on a tiny tmpfs inside the sandbox (``/run/kernel``). Once they exist, the
grader opens each socket file through ``/proc/<sandbox init>/root`` without following links,
checks that it is a socket, and keeps the open descriptor; the client then connects through
``/proc/self/fd/<n>``, so it reaches exactly those sockets, whatever the kernel does to its folder
later. The only host folder involved (``course-kernel-*`` in the temp folder) is private to the
grader and holds the connection files and those links; the kernel never sees it.

Each sandbox is bounded as a whole: a cgroup where one can be made, else a watchdog thread.
Messages from the kernel larger than ``Limits.message_mb`` are refused by ZeroMQ before they are
read into the grader's memory; the refusal is noticed and reported (``trouble``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client import manager as stock_manager
from jupyter_client.manager import AsyncKernelManager

from course.protections import Protections
from course.safe_files import Bounds, copy_tree, remove_tree
from course.sandbox import cgroup, seccomp
from course.sandbox.bwrap import CONNECTION, INFO_FD, SECCOMP_FD, SOCKETS, Limits, command, launcher
from course.sandbox.watchdog import Watchdog

#: Joins the cgroup(s), then becomes bubblewrap with its info and seccomp files open.
LAUNCH_SCRIPT = ('n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; '
                 'n=$((n-1)); done; info=$1; filter=$2; shift 2; '
                 f'exec "$@" {INFO_FD}>"$info" {SECCOMP_FD}<"$filter"')
STARTUP_SECONDS = 60
#: Where a kernel's manager keeps its things, in the temp folder (tempfile adds 8 characters).
RUNTIME_PREFIX = "course-kernel-"
#: Unix socket paths stop at 107 bytes (108 with the closing NUL).
SOCKET_PATH_MAX = 107


def sockets_do_not_fit(temp: str) -> str | None:
    """Why kernels started with the temp folder ``temp`` cannot make their sockets, or None.
    Their client's side is ``<temp>/course-kernel-XXXXXXXX/c-N`` (``kernel-N`` without private
    sockets), N one of jupyter_client's few ports; ZeroMQ refuses a longer path at each
    kernel's start, so the whole class would fail one submission at a time."""
    longest = os.path.join(temp, RUNTIME_PREFIX + "x" * 8, "kernel-9")
    if len(os.fsencode(longest)) <= SOCKET_PATH_MAX:
        return None
    return (f"the kernels' sockets do not fit in the temp folder {temp} (Unix socket paths stop "
            f"at {SOCKET_PATH_MAX + 1} bytes); set TMPDIR to a shorter folder, such as /tmp, "
            "and run again")


def stage(folder: Path | None, dest: Path, limits: Limits) -> Path:
    """Copy what the kernel may see of a submission folder: its regular files, never notebooks.

    During autograding the folder holds the notebook being graded, whose test cells nbgrader has
    restored *with their hidden tests*. Oversized files and anything past the sandbox's working
    space are left out too; links, pipes and devices never get here (safe_files).
    """
    dest.mkdir(parents=True)
    if folder is None:
        return dest
    bounds = Bounds(file_bytes=limits.file_mb << 20, total_bytes=(limits.home_mb << 20) // 2)
    copy_tree(folder, dest, bounds, skip=(".ipynb_checkpoints", "__pycache__"),
              keep=lambda rel: not rel.endswith(".ipynb"))
    return dest


def without_pause(stock):
    """jupyter_client's start or shutdown of a kernel as it is, but for the 10 ms sleep that its
    ``in_pending_state`` decorator adds after each ("so tests can capture the state"): a grading
    worker sat idle through it at every submission's end. The decorator's ``ready`` future is
    kept as it keeps it."""
    method = stock.__wrapped__

    @functools.wraps(method)
    async def wrapper(self, *args, **kwargs):
        if self._attempted_start or not self._ready:
            self._ready = stock_manager._get_future()
        try:
            out = await method(self, *args, **kwargs)
        except Exception as err:
            self._ready.set_exception(err)
            self.log.exception(self._ready.exception())
            raise
        if self.owns_kernel:
            self._ready.set_result(None)
        return out
    return wrapper


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel under bubblewrap, talking over Unix sockets it cannot tamper with."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.limits = Limits.from_config(self.config)
        self.protections = Protections(config=self.config)
        self._runtime = Path(tempfile.mkdtemp(prefix=RUNTIME_PREFIX))
        self._runtime.chmod(0o700)
        self._pinned: list[int] = []
        self._cgroup = None
        self._watchdog = None
        self._monitors = []
        self._info: dict = {}
        self._dropped_at = 0.0
        self._stopped_because: str | None = None
        self._stop_requested: str | None = None
        self.sandbox_seconds = 0.0   # making the sandbox, of the kernel's start (the benchmark's)
        self.sockets = SOCKETS        # the folder, inside the sandbox, of the kernel's sockets
        if self.protections.bounded_messages:  # the manager's own control socket too
            self.context.setsockopt(zmq.MAXMSGSIZE, self.limits.message_mb << 20)
        self.transport = "ipc"
        # The client's side: links in the private folder (private sockets), or the shared folder.
        self.ip = str(self._runtime / ("c" if self.protections.private_sockets else "kernel"))
        self.connection_file = str(self._runtime / "connection.json")

    _async_start_kernel = without_pause(AsyncKernelManager._async_start_kernel)
    _async_shutdown_kernel = without_pause(AsyncKernelManager._async_shutdown_kernel)
    # jupyter_client's public names are bound to its own coroutines, not to overrides.
    start_kernel = _async_start_kernel
    shutdown_kernel = _async_shutdown_kernel

    # -- starting -----------------------------------------------------------------------------
    async def _async_pre_start_kernel(self, **kw):
        # Interrupts go as messages: a signal would reach bubblewrap, not the kernel.
        self.kernel_spec.interrupt_mode = "message"
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        return self._sandboxed(kernel_cmd, kw)

    def _sandboxed(self, kernel_cmd: list, kw: dict) -> tuple[list, dict]:
        """The command that starts ``kernel_cmd`` in a fresh sandbox, and its keywords."""
        # Only the notebook's own folder is staged; with no folder given, the kernel gets nothing
        # (never the process's working directory, which is the course root when grading).
        folder = kw.pop("cwd", None)
        staged = stage(Path(folder) if folder else None, self._runtime / "submission", self.limits)
        kernel_json = self._kernel_connection_file()
        kernel_cmd = [CONNECTION if part == self.connection_file else part for part in kernel_cmd]
        inner = command(launcher(kernel_cmd, self.limits), staged, self.limits, self.protections,
                        runtime=self._runtime, connection=kernel_json, info_fd=True,
                        seccomp_fd=self._write_filter())
        kw["cwd"] = str(self._runtime)
        # The kernel process's own chatter is not the notebook's output: keep it off the terminal.
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        procs = self._confine()
        wrapped = ["/bin/sh", "-c", LAUNCH_SCRIPT, "sh", str(len(procs)), *map(str, procs),
                   str(self._runtime / "info.json"), str(self._runtime / "filter.bpf"), *inner]
        return wrapped, kw

    def _kernel_connection_file(self) -> Path:
        info = self.get_connection_info()
        info["key"] = info["key"].decode() if isinstance(info["key"], bytes) else info["key"]
        if self.protections.private_sockets:
            info["ip"] = f"{self.sockets}/k"
        path = self._runtime / "kernel.json"
        path.write_text(json.dumps(info))
        return path

    def _write_filter(self) -> bool:
        use = self.protections.shared_budget and seccomp.supported()
        (self._runtime / "filter.bpf").write_bytes(seccomp.program() if use else b"")
        return use

    def _confine(self) -> list[Path]:
        """The cgroup files the sandbox's first process joins (none: the watchdog bounds it)."""
        if not self.protections.shared_budget:
            return []
        self._cgroup = cgroup.make(self.limits.memory_mb << 20, self.limits.processes + 2)
        return self._cgroup.procs if self._cgroup else []

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        started = time.perf_counter()
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._info = await self._read_info()
        self.sandbox_seconds = time.perf_counter() - started   # bubblewrap made the sandbox
        if self.protections.private_sockets:
            await self._pin_sockets()
        if self.protections.shared_budget and self._cgroup is None:
            self._watchdog = Watchdog(self._info["child-pid"], self._info["pid-namespace"],
                                      self.limits.memory_mb << 20, self.limits.processes)
            self._watchdog.start()

    def _process_alive(self) -> bool:
        process = getattr(self.provisioner, "process", None)
        return process is not None and process.poll() is None

    async def _read_info(self) -> dict:
        """bubblewrap's report of the sandbox it made (its first process's id, its namespaces)."""
        path = self._runtime / "info.json"
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                return json.loads(path.read_text())
            except (OSError, ValueError):
                if not self._process_alive():
                    break
                await asyncio.sleep(0.005)
        raise RuntimeError("the sandbox did not start (bubblewrap reported nothing)")

    async def _pin_sockets(self) -> None:
        """Hold each of the kernel's sockets open and point the client's links at them."""
        root = f"/proc/{self._info['child-pid']}/root{self.sockets}"
        ports = [self.shell_port, self.iopub_port, self.stdin_port, self.hb_port, self.control_port]
        deadline = time.monotonic() + STARTUP_SECONDS
        for port in ports:
            while True:
                try:
                    fd = os.open(f"{root}/k-{port}", os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
                    break
                except FileNotFoundError:
                    if not self._process_alive() or time.monotonic() > deadline:
                        raise RuntimeError("the kernel did not start in the sandbox") from None
                    await asyncio.sleep(0.005)
            self._pinned.append(fd)
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                raise RuntimeError("the kernel's socket folder held something that is not a socket")
            os.symlink(f"/proc/self/fd/{fd}", f"{self.ip}-{port}")

    # -- talking --------------------------------------------------------------------------------
    def client(self, **kwargs):
        if self.protections.bounded_messages:
            context = zmq.asyncio.Context()
            # libzmq refuses a larger message from the header alone, before allocating it.
            context.setsockopt(zmq.MAXMSGSIZE, self.limits.message_mb << 20)
            kwargs.setdefault("context", context)
        return super().client(**kwargs)

    def watch(self, client) -> None:
        """Notice when ZeroMQ drops a channel (a refused message does that)."""
        shadow = zmq.Context.shadow(client.context.underlying)
        for name in ("iopub", "shell"):
            socket = getattr(client, f"{name}_channel").socket
            address = f"inproc://monitor-{id(self)}-{name}"
            socket.monitor(address, zmq.EVENT_DISCONNECTED)
            pair = shadow.socket(zmq.PAIR)
            pair.connect(address)
            self._monitors.append(pair)
        stop_channels = client.stop_channels

        def stop_then_unwatch():
            # The monitors share the client's ZeroMQ context, whose end waits for every socket.
            self._close_monitors()
            return stop_channels()

        client.stop_channels = stop_then_unwatch

    def _close_monitors(self) -> None:
        for pair in self._monitors:
            pair.close(linger=0)
        self._monitors = []

    def stop_soon(self, reason: str) -> None:
        """Ask for the kernel to be stopped at the next check (within a second), saying why."""
        self._stop_requested = self._stop_requested or reason

    def trouble(self) -> str | None:
        """Why this kernel must stop now, if it must: a refused message, the memory or process
        budget, a stop asked for, or None."""
        if self._stop_requested:
            return self._stop_requested
        now = time.monotonic()
        for pair in self._monitors:
            while pair.poll(0):
                pair.recv_multipart()
                self._dropped_at = self._dropped_at or now
        # A channel dropped. When the kernel dies its channels drop too, but the sandbox is gone
        # a moment later; a sandbox still running well after the drop means ZeroMQ refused a
        # message.
        if self._dropped_at and now - self._dropped_at > 0.3 and self._process_alive():
            return (f"it sent a message larger than the {self.limits.message_mb} MB the grader "
                    "accepts; the rest was dropped")
        if self._watchdog is not None and self._watchdog.reason:
            return self._watchdog.reason
        return None

    async def _async_is_alive(self) -> bool:
        # nbclient asks this every second while a cell runs: a kernel in trouble is stopped at
        # once, and the cell reports why (SafeExecute reads ``ending``).
        reason = self.trouble()
        if reason and self._process_alive():
            self._stopped_because = reason
            await self._async_kill_kernel()
            return False
        return await super()._async_is_alive()

    is_alive = _async_is_alive

    def ending(self) -> str | None:
        """Why the kernel died, when its limits say so (after it has stopped)."""
        found = self._stopped_because or self.trouble()
        if found:
            return found
        if self._cgroup is not None:
            if self._cgroup.oom_kills():
                return f"it used more than {self.limits.memory_mb} MB of memory in all"
        return None

    # -- ending ---------------------------------------------------------------------------------
    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.release()

    # jupyter_client's public name is bound to its own coroutine, not to an override (nbclient
    # calls it for a kernel that died, which is never shut down).
    cleanup_resources = _async_cleanup_resources

    def release(self) -> None:
        """End the sandbox and remove everything it had on the host; safe to call twice.

        nbclient shuts down only a kernel that is still alive, so a kernel that died (killed,
        out of memory) is released here, by whoever grades (SafeExecute, at the end of a notebook).
        """
        self._close_monitors()
        if self._watchdog is not None:
            self._watchdog.stop()
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        process = getattr(self.provisioner, "process", None) if self.provisioner else None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        for fd in self._pinned:
            try:
                os.close(fd)
            except OSError:
                pass
        self._pinned = []
        remove_tree(self._runtime)
