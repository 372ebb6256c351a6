"""The warm start process, inside a bubblewrap sandbox of its own: one per grading process.

It imports what every course kernel imports, once, and then only forks. It never runs student code
and never holds a submission. For each kernel the grader hands it one end of a fresh socket pair;
the fork (the *setup* process) reads everything else from that socket itself: the kernel's
connection details, its limits, and the submission's regular files, after a byte that says the
grader has put it in the kernel's cgroup. Then, before anything a student wrote runs, it makes a
fresh sandbox of its own (``isolate``):

- new user, mount, PID, network, IPC, UTS and cgroup namespaces, and a session (so a process
  group) of its own: ``kill(0, ...)`` and ``setpriority(PRIO_PGRP, 0, ...)`` reach a whole process
  group, whatever the PID namespace, and the forks would otherwise share the warm process's;
- a new /proc showing only its own processes, with /proc/sys and the host's other settings
  read-only (a grader running as root makes a kernel that is root on the host's user id, which
  may write most of /proc/sys even without capabilities), a new /dev/pts, and fresh tmpfs over
  the home folder, /tmp, /dev/shm and the socket folder, capped in size and in files (an empty
  file costs the host's kernel memory no process holds); nothing of the warm process's, or of an
  earlier kernel's, is visible there;
- the submission's files and folders written into the new home folder, and a stock kernel's
  connection file bound read-only at /run/connection.json;
- every capability dropped, the resource limits set, and a seccomp layer that refuses any further
  namespace or mount, so none of it can be undone.

The process tree inside the warm sandbox: zygote -> setup (joined the cgroup, made the
namespaces) -> init (PID 1 of the new PID namespace: reaps, ends them all when the kernel ends)
-> kernel: stock ipykernel on ZeroMQ sockets, or, when the grader handed a second socket with the
first, a direct kernel on it (``course.sandbox.runner``), which only the kernel keeps. The setup
and init processes say who they are on the socket with SCM_CREDENTIALS, which gives the grader
their process ids as the host sees them.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import socket
import struct
import sys

from course.sandbox.bwrap import (CONNECTION, HOME, MPLCONFIGDIR, PROC_READ_ONLY, SOCKETS,
                                  WORK)

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x2000000, 0x4000000, 0x8000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_CAP_AMBIENT = 1, 4, 24, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
MB = 1 << 20
#: What bubblewrap covers read-only in the /proc it makes, where access() says it is writable.
PROC_COVERED = ("sys", "sysrq-trigger", "irq", "bus")
#: Where a direct kernel finds its socket to the grader.
KERNEL_END = 3
#: Each kernel's tmpfs holds at most one file (or folder, or link) per this many kB of its size.
KB_PER_FILE = 4

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None):
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                       ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def preload() -> None:
    """Everything a course kernel imports, once: about a second per kernel otherwise.

    Not matplotlib's inline backend: imported, it hooks into the running kernel's shell (to show
    each figure at the end of its cell), and here there is none; each kernel imports it, in a few
    milliseconds, at its first figure, as a cold kernel does."""
    import matplotlib
    matplotlib.use("module://matplotlib_inline.backend_inline")
    import IPython  # noqa: F401
    import ipykernel.debugger  # noqa: F401  (debugpy alone is a third of a second)
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel.inprocess.ipkernel  # noqa: F401  (a direct kernel's, course.sandbox.runner)
    import course.sandbox.runner  # noqa: F401
    import ipywidgets  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401  (what the inline backend draws with)
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    from matplotlib import font_manager
    font_manager.fontManager  # noqa: B018  (the font list, read now)
    import course
    from pathlib import Path
    for sub in ("widgets", "plots"):   # every widget and figure a notebook can import
        for path in sorted((Path(course.__file__).parent / sub).glob("*.py")):
            __import__(f"course.{sub}" if path.stem == "__init__" else f"course.{sub}.{path.stem}")
    for name in KERNEL_IMPORTS:
        __import__(name)
    import PIL.Image
    PIL.Image.preinit()   # the image formats it loads when it first saves one (a figure)


#: What each kernel imported for itself, a few milliseconds apiece, though nothing in them is a
#: student's: found by listing the modules new in a kernel after its start and a Module 1
#: notebook (tests/test_warm_preload.py checks them). numpy.random is what the reseed
#: below imports (numpy loads it lazily), about 10 ms in every kernel.
KERNEL_IMPORTS = (
    "numpy.random",
    # the shell's making: its history database, completer, inspector, event loop
    "sqlite3", "IPython.core.completerlib", "IPython.core.oinspect", "tornado.platform.asyncio",
    # the notebooks' cells and hidden tests, and IPython's figure support
    "course.checks", "course.hidden_tests", "course.wire", "IPython.core.logger",
    "IPython.core.pylabtools", "bdb", "importlib.resources.readers",
)


def fresh_random_state() -> None:
    """A fork shares its parent's generator state: reseed numpy's from the system (Python's own
    random module reseeds itself at fork)."""
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def uncover_proc() -> None:
    """Let each kernel mount a /proc of its own: the kernel allows that in a new user namespace
    only while the /proc it can already see has nothing mounted over it, and bubblewrap covers a
    few entries (each kernel covers them again, in its own /proc)."""
    covered = [line.split()[4] for line in open("/proc/self/mountinfo")
               if line.split()[4].startswith("/proc/")]
    for point in sorted(covered, key=len, reverse=True):
        _check(_libc.umount2(point.encode(), MNT_DETACH), f"umount {point}")


# ---------------------------------------------------------------- one kernel's side
class Channel:
    """The kernel's socket to the grader, read and written whole."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def read_exact(self, size: int) -> bytes:
        chunks = []
        while size:
            chunk = self.sock.recv(min(size, MB))
            if not chunk:
                raise EOFError("the grader closed the socket")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def read_message(self) -> dict:
        (size,) = struct.unpack("!I", self.read_exact(4))
        return json.loads(self.read_exact(size))

    def hello(self, tag: bytes) -> None:
        """Tell the grader who this process is (the kernel adds its process id, as the grader
        sees it, to the message)."""
        creds = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
        self.sock.sendmsg([tag], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])


def _enter_namespaces() -> None:
    uid, gid = os.getuid(), os.getgid()
    # This fork of a process that is not dumpable could not write its own uid_map otherwise.
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                         CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    _mount("none", "/", None, MS_REC | MS_PRIVATE)


def _read_only(path: str) -> None:
    _mount(path, path, None, MS_BIND | MS_REC)
    _mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _tmpfs_options(kb: int, mode: str, hardening: dict) -> str:
    files = f",nr_inodes={max(64, kb // KB_PER_FILE)}" if hardening["bounded_inodes"] else ""
    return f"size={kb}k,mode={mode}{files}"


def _fresh_file_systems(request: dict) -> None:
    """As PID 1 of the new namespaces: everything writable is new, capped and this kernel's."""
    hardening = request["hardening"]
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # No user namespace may be made from here on (the seccomp layer refuses it too).
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0")
    if hardening["read_only_proc"]:
        covered = [f"/proc/{name}" for name in PROC_READ_ONLY]
    else:   # a control only: as bubblewrap covers them, trusting access()
        covered = [f"/proc/{name}" for name in PROC_COVERED
                   if os.path.exists(f"/proc/{name}") and os.access(f"/proc/{name}", os.W_OK)]
    for path in covered:
        if os.path.exists(path):
            _read_only(path)
    sizes = request["sizes"]
    places = [(HOME, _tmpfs_options(sizes["home_mb"] << 10, "0755", hardening)),
              ("/tmp", _tmpfs_options(sizes["tmp_mb"] << 10, "1777", hardening)),
              (SOCKETS, _tmpfs_options(sizes["sockets_kb"], "0755", hardening))]
    if request["capped_filesystems"]:
        places.append(("/dev/shm", _tmpfs_options(sizes["shm_mb"] << 10, "1777", hardening)))
    # Held open across the new /tmp: the Python environment may itself live under /tmp.
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC))
            for path in request.get("keep_under_tmp", []) if os.path.isdir(path)]
    for target, options in places:
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for path, fd in kept:
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    if os.path.isdir("/dev/pts"):
        _mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
               "newinstance,ptmxmode=0666,mode=620")


def _inside(root: str, rel: str) -> str | None:
    path = os.path.normpath(os.path.join(root, rel))
    return path if path.startswith(root + os.sep) else None


def _write_files(channel: Channel, request: dict, budget: int) -> None:
    """The submission's folders (empty ones too, as a cold kernel's copy has them), then its
    files, read from the socket."""
    os.makedirs(WORK, exist_ok=True)
    root = os.path.realpath(WORK)
    for rel in request.get("folders", []):
        path = _inside(root, rel)
        if path:
            os.makedirs(path, exist_ok=True)
    for rel, size in request["files"]:
        data = channel.read_exact(size)
        path = _inside(root, rel)
        if not path or size > budget:
            continue   # the grader sends only regular files inside the folder; be sure anyway
        budget -= size
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def _place_connection(info: dict, isolate: bool) -> str:
    """The connection file: at CONNECTION, read-only, as a cold kernel has it. (Without fresh
    namespaces, a control only, that place is the warm process's and stays where it is.)"""
    staged = f"{SOCKETS}/.connection-{os.getpid()}.json"
    with open(staged, "w") as f:
        json.dump(info, f)
    if not isolate:
        return staged
    _mount(staged, CONNECTION, None, MS_BIND)
    _mount("none", CONNECTION, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.unlink(staged)   # the bind mount keeps the file; the socket folder holds sockets only
    return CONNECTION


def _drop_privileges(limits: dict) -> None:
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)   # past the last capability: EINVAL, fine
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = struct.pack("Ii", 0x20080522, 0)   # _LINUX_CAPABILITY_VERSION_3, this process
    _check(_libc.capset(header, bytes(24)), "capset")
    for which, value in ((resource.RLIMIT_CPU, limits["cpu"]),
                         (resource.RLIMIT_AS, limits["memory_mb"] * MB),
                         (resource.RLIMIT_NPROC, limits["nproc"]),
                         (resource.RLIMIT_FSIZE, limits["file_mb"] * MB),
                         (resource.RLIMIT_NOFILE, limits["open_files"]),
                         (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(which, (value, value))


def _confine(limits: dict) -> None:
    from course.sandbox import seccomp
    _drop_privileges(limits)
    if seccomp.supported():
        seccomp.load(seccomp.student_program())


def _quiet_stdio() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _become_kernel(request: dict, connection: str | None, kernel_end: int | None) -> None:
    """The kernel: stock ipykernel, started as ``python -m ipykernel_launcher -f ...`` would, or
    with a socket of its own (``kernel_end``), ipykernel's in-process kernel on it
    (``course.sandbox.runner``)."""
    if kernel_end is not None:
        os.dup2(kernel_end, KERNEL_END, inheritable=False)
    os.closerange(3 if kernel_end is None else KERNEL_END + 1,
                  resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    _quiet_stdio()
    os.chdir(WORK)
    os.environ.clear()
    os.environ.update(ENVIRONMENT)
    os.makedirs(MPLCONFIGDIR, exist_ok=True)
    _confine(request["limits"])
    fresh_random_state()
    del sys.path[0]   # the warm process's folder; ipykernel adds the working folder back
    if kernel_end is not None:
        sys.argv = ["ipykernel_launcher"]
        from course.sandbox import runner
        runner.serve(KERNEL_END, request["argv"])
    sys.argv = ["ipykernel_launcher", "-f", connection, *request["argv"]]
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    app.start()


def _init(channel: Channel, request: dict, kernel_end: int | None) -> None:
    """PID 1 of the kernel's namespaces: prepares them, starts the kernel, reaps until it ends."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if request["hardening"]["own_session"]:
        os.setsid()   # out of the warm process's process group, before anything else
    isolate = request["isolate"]
    if isolate:
        _fresh_file_systems(request)
    _write_files(channel, request, request["sizes"]["home_mb"] * MB // 2)
    connection = None   # a direct kernel talks on its own socket, not ZeroMQ's
    if kernel_end is None:
        os.makedirs(os.path.dirname(request["connection"]["ip"]), exist_ok=True)
        connection = _place_connection(request["connection"], isolate)
    kernel = os.fork()
    if kernel == 0:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _become_kernel(request, connection, kernel_end)
        os._exit(0)
    if kernel_end is not None:
        os.close(kernel_end)
    channel.hello(b"I")
    channel.sock.close()
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    _quiet_stdio()
    # Nothing left here a student could use: not traceable (before its capabilities go, so never
    # traceable by a process with none), no capabilities, the same filter.
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _confine(request["limits"])
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        if pid == kernel:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def child(sock: socket.socket, zygote: int, kernel_end: int | None = None) -> None:
    """In a fresh fork of the zygote: the setup process of one kernel (``kernel_end``: a
    direct kernel's socket, which only the kernel keeps)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != zygote:   # the zygote died before the death signal was asked for
        os._exit(70)
    channel = Channel(sock)
    channel.hello(b"S")
    request = channel.read_message()
    if channel.read_exact(1) != b"g":   # the grader has moved this process into the cgroup
        os._exit(70)
    if request["isolate"]:
        _enter_namespaces()
    init = os.fork()
    if init == 0:
        try:
            _init(channel, request, kernel_end)
        except BaseException as err:  # noqa: BLE001 (say why on the socket, never return)
            _report(channel, err)
        os._exit(71)
    if kernel_end is not None:   # the grader sees the kernel end when no one else holds it
        os.close(kernel_end)
    code = _until_ended(channel, init)
    try:
        channel.sock.sendall(b"E" + struct.pack("!i", code))
    except OSError:
        pass
    os._exit(code & 0xFF)


def _until_ended(channel: Channel, init: int) -> int:
    """Wait for the kernel's namespaces to end; if the grader goes first (its end of the socket
    closes: a grading process killed), end them, so no kernel outlives the process grading it.
    The socket is only watched, never read: init may still be reading the files from it."""
    watch = select.poll()
    pidfd = os.pidfd_open(init)
    watch.register(pidfd, select.POLLIN)
    watch.register(channel.sock, select.POLLRDHUP)
    while True:
        events = dict(watch.poll())
        if pidfd in events:
            break
        if events.get(channel.sock.fileno(), 0) & (select.POLLRDHUP | select.POLLHUP):
            os.kill(init, signal.SIGKILL)
            break
    _, status = os.waitpid(init, 0)
    return os.waitstatus_to_exitcode(status)


def _report(channel: Channel, err: BaseException) -> None:
    message = f"{type(err).__name__}: {err}".encode()[:2000]
    try:
        channel.sock.sendall(b"X" + struct.pack("!I", len(message)) + message)
    except OSError:
        pass


# ---------------------------------------------------------------- the zygote's side
def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # its children are never waited for
    zygote = os.getpid()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, 2)
        except OSError:
            return
        if not message:
            return   # the grader has gone
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            control.close()
            kept = sorted(fds)   # the setup process's socket, and a direct kernel's if any
            limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            for low, high in zip([3] + [fd + 1 for fd in kept], kept + [limit]):
                os.closerange(low, high)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                child(socket.socket(fileno=fds[0]), zygote, fds[1] if len(fds) > 1 else None)
            except BaseException:  # noqa: BLE001 (never return into the zygote's loop)
                pass
            os._exit(71)
        for fd in fds:
            os.close(fd)


#: The sandbox's environment, as bubblewrap set it, before any import could change it.
ENVIRONMENT: dict = {}


def main() -> None:
    ENVIRONMENT.update(os.environ)
    control = socket.socket(fileno=int(sys.argv[1]))
    preload()
    uncover_proc()
    # Its memory is every kernel's starting point: nothing may read it (it is their ancestor).
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    import course
    # Ready, and which copy of the package the sandbox imported (SafeExecute checks it).
    Channel(control).hello(b"R" + json.dumps({"package": course.__file__}).encode())
    serve(control)


if __name__ == "__main__":
    main()
