"""Warm kernels, the grader's side of the warm process: forked from a process that has already
imported what every kernel imports.

A cold sandboxed kernel pays, for every submission, a Python start and the imports of ipykernel,
IPython, matplotlib, the widgets and the course (about a second on these machines). Here one
``Zygote`` per grading run pays them once, in a bubblewrap sandbox of its own; each kernel is a
fork of it that makes a fresh sandbox of its own before any student code runs (see
``course.sandbox.zygote``). ``course.sandbox.warm_kernel`` starts kernels with it; everything else
about them (cgroup or watchdog, socket pinning through /proc, message bound, clean-up) is a cold
kernel's.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from course.protections import Protections
from course.safe_files import remove_tree
from course.sandbox import bwrap, seccomp
from course.sandbox.bwrap import Limits, SandboxUnavailable
from course.sandbox.kernel import STARTUP_SECONDS

#: Becomes bubblewrap with its seccomp filter open (the warm process joins no cgroup: it is the
#: grader's own code; each kernel joins its own).
ZYGOTE_SCRIPT = f'filter=$1; shift; exec "$@" {bwrap.SECCOMP_FD}<"$filter"'
_CREDENTIALS = struct.calcsize("3i")
#: What the warm sandbox shows at the connection file's place: each kernel binds its own over it.
#: (Not a file of a temp folder: once that is removed, nothing can be mounted over it.)
PLACEHOLDER = Path(os.devnull)


class KernelStartFailed(RuntimeError):
    """A warm kernel could not be started; the message says where it stopped."""


class ForkedProcess:
    """What jupyter_client's provisioner needs of a kernel process that is not its child.

    It is held by a pidfd, so a signal can never reach another process that later takes its id.
    """

    def __init__(self, pid: int, pidfd: int, channel: socket.socket):
        self.pid, self._pidfd, self._channel = pid, pidfd, channel
        self.init_pid: int | None = None   # PID 1 of its namespaces, as the host sees it
        self._init_pidfd: int | None = None
        self.returncode = None
        self.stdin = self.stdout = self.stderr = None

    def poll(self):
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def _ended(self) -> None:
        code = -signal.SIGKILL
        try:   # the setup process's last word is its kernel's exit status
            self._channel.setblocking(False)
            last = self._channel.recv(4096)
            if len(last) >= 5 and last[-5:-4] == b"E":
                code = struct.unpack("!i", last[-4:])[0]
        except OSError:
            pass
        self.returncode = code
        self._channel.close()
        for fd in (self._pidfd, self._init_pidfd):
            if fd is not None:
                os.close(fd)

    def wait(self, timeout: float | None = None):
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("kernel", timeout)
            self._ended()
        return self.returncode

    def init_started(self, pid: int) -> None:
        self.init_pid = pid
        try:
            self._init_pidfd = os.pidfd_open(pid)
        except ProcessLookupError:   # its kernel ended already, and it with it
            pass

    def send_signal(self, signum: int) -> None:
        if self.poll() is not None:
            return
        # SIGKILL goes to PID 1 of the kernel's namespaces: every process in them has ended by
        # the time it has, and then the setup process, waiting for it, ends too. Waiting for
        # that here (milliseconds) leaves the cgroup empty, with no polling loop to wait out.
        pidfd = self._init_pidfd if signum == signal.SIGKILL and self._init_pidfd is not None \
            else self._pidfd
        for fd in dict.fromkeys((pidfd, self._pidfd)):
            try:
                signal.pidfd_send_signal(fd, signum)
            except ProcessLookupError:
                continue
            if signum != signal.SIGKILL:
                return
            try:
                self.wait(5)
                return
            except subprocess.TimeoutExpired:
                pass   # the setup process did not end: kill it as well

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _receive_hello(channel: socket.socket, expected: bytes, size: int = 1) -> tuple[int, bytes]:
    """(the host's process id of the sender, its message) for a message that starts ``expected``
    from a process on the other side of ``channel``, which the kernel vouches for."""
    data, ancillary, _, _ = channel.recvmsg(size, socket.CMSG_SPACE(_CREDENTIALS))
    if data[:1] == b"X":   # it failed, and says why
        (length,) = struct.unpack("!I", _read_exact(channel, 4))
        raise KernelStartFailed(_read_exact(channel, length).decode(errors="replace"))
    if data[:1] != expected:
        raise KernelStartFailed("the warm process ended while starting" if not data else
                                f"the warm process said {data[:20]!r}, not {expected!r}")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            return struct.unpack("3i", payload[:_CREDENTIALS])[0], data
    raise KernelStartFailed("the warm process did not say who it is")


def _read_exact(channel: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = channel.recv(size)
        if not chunk:
            raise KernelStartFailed("the warm kernel ended while starting")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class Zygote:
    """The warm start process of this grading process, for one set of limits and protections
    (``key``): started here, or started by a parent and handed over (``adopt``)."""

    _instances: dict = {}
    _lock = threading.Lock()

    def __init__(self, limits: Limits, protections: Protections, wait: bool = True):
        """Start it; with ``wait`` False, ``wait_ready`` must follow (in any thread: only the
        start must happen in a thread that lives as long as it should, its parent's death
        signal being tied to the starting thread)."""
        self.key = key_of(limits, protections)
        self.process = self.log = None
        self._folder = Path(tempfile.mkdtemp(prefix="course-zygote-"))
        self._folder.chmod(0o700)
        try:
            self._start(self._folder, limits, protections)
        except BaseException:
            remove_tree(self._folder)
            raise
        if wait:
            self.wait_ready()

    def _start(self, folder: Path, limits: Limits, protections: Protections) -> None:
        use_filter = protections.shared_budget and seccomp.supported()
        (folder / "filter.bpf").write_bytes(seccomp.program() if use_filter else b"")
        # Messages keep their bounds: workers of one grading may ask for kernels at once.
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        # Above the descriptors the launch script opens for bubblewrap.
        handed = fcntl.fcntl(theirs.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
        theirs.close()
        inner = bwrap.command([sys.executable, "-m", "course.sandbox.zygote",
                               str(handed)], None, limits, protections,
                              connection=PLACEHOLDER, seccomp_fd=use_filter,
                              zygote=True)
        # Its own messages (a failed start) go to a file that is gone from the disk already.
        self.log = tempfile.TemporaryFile(prefix="course-zygote-")
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", ZYGOTE_SCRIPT, "sh", str(folder / "filter.bpf"), *inner],
            pass_fds=(handed,),
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, start_new_session=True)
        os.close(handed)

    def wait_ready(self) -> None:
        """Until it has done its imports and said so (SandboxUnavailable if it never does)."""
        self.control.settimeout(STARTUP_SECONDS)
        try:
            self._pid, said = _receive_hello(self.control, b"R", 1 << 16)
            self.package = json.loads(said[1:])["package"]
            self._pidfd = os.pidfd_open(self._pid)
        except (OSError, ValueError, KernelStartFailed) as err:
            self.close()
            raise SandboxUnavailable(f"the warm start process did not start ({err}): "
                                     f"{self.tail()}") from None
        finally:
            remove_tree(self._folder)   # bubblewrap has read what it needed from it by now

    @classmethod
    def adopted(cls, key, control: socket.socket, pid: int, package: str) -> "Zygote":
        """A warm process that another process (course grade's parent) started."""
        zygote = cls.__new__(cls)
        zygote.key, zygote.control, zygote._pid, zygote.package = key, control, pid, package
        zygote.process = zygote.log = None
        zygote._pidfd = os.pidfd_open(pid)
        return zygote

    def handoff(self) -> tuple:
        """What ``adopt`` needs, in a process this one starts, to use this warm process."""
        return self.key, self.control, self._pid, self.package

    def pid(self) -> int:
        """The warm process's id, as this process sees it."""
        return self._pid

    def alive(self) -> bool:
        return self._pidfd is not None and not select.select([self._pidfd], [], [], 0)[0]

    def tail(self) -> str:
        if self.log is None:
            return ""
        try:
            self.log.flush()
            size = os.fstat(self.log.fileno()).st_size
            return os.pread(self.log.fileno(), 1000, max(0, size - 1000)).decode(errors="replace")
        except (OSError, ValueError):
            return ""

    @classmethod
    def get(cls, limits: Limits, protections: Protections) -> "Zygote":
        key = key_of(limits, protections)
        with cls._lock:
            zygote = cls._instances.get(key)
            if zygote is None or not zygote.alive():
                if zygote is not None:   # it died (killed): let go of what is left of it
                    zygote.close()
                zygote = cls._instances[key] = cls(limits, protections)
            return zygote

    def fork(self, request: dict, files: list, cgroup_procs: list,
             kernel_end: socket.socket | None = None) -> ForkedProcess:
        """Start one kernel; the process returned is its setup process (ending it ends all).
        ``kernel_end``, if given, is handed to the kernel as the socket it talks on."""
        ours, theirs = socket.socketpair()
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        ours.settimeout(STARTUP_SECONDS)
        handed = [theirs.fileno()] + ([kernel_end.fileno()] if kernel_end is not None else [])
        try:
            with self._lock:
                socket.send_fds(self.control, [b"k"], handed)
            theirs.close()
            setup, _ = _receive_hello(ours, b"S")
            process = ForkedProcess(setup, os.pidfd_open(setup), ours)
        except (OSError, KernelStartFailed) as err:
            ours.close()
            raise KernelStartFailed(f"the warm start process did not fork ({err}): "
                                    f"{self.tail()}") from None
        try:
            header = json.dumps({**request, "files": [[rel, len(data)] for rel, data in files]})
            ours.sendall(struct.pack("!I", len(header)) + header.encode())
            for procs in cgroup_procs:   # before it runs anything a student wrote
                procs.write_text(f"{setup}\n")
            ours.sendall(b"g")
            for _, data in files:
                ours.sendall(data)
            process.init_started(_receive_hello(ours, b"I")[0])
        except (OSError, KernelStartFailed) as err:
            process.kill()
            raise KernelStartFailed(f"the warm kernel did not start: {err}") from None
        return process

    def close(self) -> None:
        """End it (if it is this process's own) and let go of it; safe to call twice."""
        self.control.close()
        pidfd, self._pidfd = getattr(self, "_pidfd", None), None
        if pidfd is not None:
            os.close(pidfd)
        if self.process is not None:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.log.close()
            remove_tree(self._folder)   # already gone, unless it was never waited for

    @classmethod
    def close_all(cls) -> None:
        with cls._lock:
            for zygote in cls._instances.values():
                zygote.close()
            cls._instances.clear()


def key_of(limits: Limits, protections: Protections) -> tuple:
    return limits, tuple(protections.switched_off())


def adopt(key, control: socket.socket, pid: int, package: str) -> None:
    """In a worker process: use the warm process its parent started (see ``shared``)."""
    with Zygote._lock:
        Zygote._instances[key] = Zygote.adopted(key, control, pid, package)


#: The warm process `course grade`'s command line started before it read the course's config.
_early: list = []


def start_early() -> None:
    """For `course grade`'s command line: start the warm process for the default sandbox first
    thing, so that it fills while the command imports nbgrader and reads the course's config
    (0.8 s, which it otherwise waited for before starting). ``shared`` takes it if the config
    asks for the same sandbox; else it ends, unused, with the command."""
    limits, protections = Limits(), Protections()
    if _early or not usable(protections):
        return
    try:
        _early.append(Zygote(limits, protections, wait=False))
    except (OSError, SandboxUnavailable):
        return
    atexit.register(_end_early)


def _end_early() -> None:
    while _early:
        _early.pop().close()


def _take_early(key) -> "Zygote | None":
    """The early warm process if it was started for ``key``; one for another ends here."""
    early = _early.pop() if _early else None
    if early is not None and early.key != key:
        early.close()
        early = None
    return early


@contextlib.contextmanager
def shared(config):
    """For course grade's parent: one warm process for all its workers (each would otherwise
    start and fill one of its own). It starts at once (or was started early: ``start_early``)
    and fills in the background; what this yields, when called, waits for it and returns its
    ``handoff()`` for the workers' ``adopt`` (None where kernels start cold: they then start warm
    processes of their own, or say why not). It ends with the grading."""
    limits, protections = Limits.from_config(config), Protections(config=config)
    early = _take_early(key_of(limits, protections))
    zygote = None
    if wanted(config) and usable(protections):
        try:
            zygote = early or Zygote(limits, protections, wait=False)
        except (OSError, SandboxUnavailable):
            zygote = None
    elif early is not None:
        early.close()
    ready: list = []
    thread = threading.Thread(target=lambda: ready.append(_ready(zygote, protections)),
                              daemon=True)
    thread.start()

    def handoff():
        thread.join()
        return zygote.handoff() if ready and ready[0] else None
    try:
        yield handoff
    finally:
        thread.join()
        if zygote is not None:
            zygote.close()


def _ready(zygote: Zygote | None, protections: Protections) -> bool:
    if zygote is None:
        return False
    try:
        zygote.wait_ready()
    except SandboxUnavailable:
        return False
    return not wrong_package(zygote, protections)


def wanted(config) -> bool:
    """Whether SafeExecute, with this nbgrader config, starts its kernels warm where it can."""
    section = config.get("SafeExecute", {}) if config is not None else {}
    return section.get("warm_start", True) and section.get("use_sandbox", True)


def wrong_package(zygote: Zygote, protections: Protections) -> str | None:
    expected = f"{bwrap.PACKAGE_ROOT}/course/__init__.py"
    if protections.grader_package and zygote.package != expected:
        return (f"the warm process imported the course package from {zygote.package}, not the "
                f"grader's copy at {expected}")
    return None


atexit.register(Zygote.close_all)


def unavailable(limits: Limits, protections: Protections) -> str | None:
    """Why kernels cannot start warm here (None: they can, and the warm process is running)."""
    if not usable(protections):
        return ("a protection warm kernels cannot honour is switched off (private_sockets), or "
                "this system lacks seccomp or pidfd support")
    try:
        zygote = Zygote.get(limits, protections)
    except SandboxUnavailable as err:
        return str(err)
    return wrong_package(zygote, protections)


def usable(protections: Protections) -> bool:
    """Warm kernels honour every protection but one: with private_sockets off (a control only),
    a host folder would have to be shown to a kernel that is already running, so kernels start
    cold, where that switch is honoured."""
    return protections.private_sockets and seccomp.supported() and hasattr(os, "pidfd_open")
