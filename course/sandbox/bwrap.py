"""The bubblewrap command line that wraps a kernel, and the probe that checks it works here."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import course
from course.protections import Protections

#: Where the sandboxed kernel finds its submission (read-only) and works (a private tmpfs).
HOME = "/home/student"
SUBMISSION = f"{HOME}/submission"
WORK = f"{HOME}/work"
#: The kernel's sockets: a tiny tmpfs inside the sandbox (the grader reaches it through /proc).
SOCKETS = "/run/kernel"
CONNECTION = "/run/connection.json"
#: The course package the grader loaded, and nothing else of the folder it lives in.
PACKAGE_ROOT = "/opt/course/lib"
MPLCONFIGDIR = "/tmp/matplotlib"
#: File descriptors the launch script opens for bubblewrap (see kernel.py).
INFO_FD, SECCOMP_FD = 8, 9


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine; the message says what to do."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one kernel. Defaults suit these notebooks with room to spare.

    Overridable in nbgrader_config.py, e.g. ``c.Sandbox.memory_mb = 2048``.
    """

    cpu_seconds: int = 120          # CPU time for the whole kernel
    memory_mb: int = 4096           # address space of a process, and memory of all of them
    processes: int = 64             # processes the kernel and its children may have at once
    file_mb: int = 64               # largest file it may write
    open_files: int = 256
    home_mb: int = 256              # its working space, in memory
    tmp_mb: int = 64                # /tmp
    shm_mb: int = 64                # /dev/shm
    sockets_kb: int = 256           # the kernel's socket folder
    message_mb: int = 1             # largest message the grader accepts (figures: ~100 kB)

    @classmethod
    def from_config(cls, config) -> "Limits":
        section = config.get("Sandbox", {}) if config is not None else {}
        return cls(**{f.name: int(section[f.name]) for f in dataclasses.fields(cls)
                      if f.name in section})


def python_paths() -> list[Path]:
    """The read-only Python environment: the interpreter's prefixes."""
    paths = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix)}
    # Collapse nested paths: binding a parent already shows the child.
    ordered = sorted(p.resolve() for p in paths if p.exists())
    return [p for i, p in enumerate(ordered) if not any(p.is_relative_to(q) for q in ordered[:i])]


def package_dir() -> Path:
    """The folder of the course package this process imported."""
    return Path(course.__file__).resolve().parent


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    # Only harmless files from /etc: never the whole folder (it holds password hashes).
    for name in ("ld.so.cache", "localtime", "nsswitch.conf", "mime.types", "fonts"):
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


@functools.lru_cache(maxsize=1)
def _font_cache() -> Path | None:
    """The host's matplotlib font list, built once: every fresh sandbox would otherwise rebuild it
    (about half a second per kernel).

    Looked for where matplotlib keeps it without importing matplotlib: that import, about 0.2 s,
    would delay the warm process's start at the beginning of every grading. Only where it is not
    there yet is matplotlib asked, which builds and saves it."""
    path = font_list_path()
    if path is None or not path.is_file():
        try:
            import matplotlib
            from matplotlib import font_manager   # its import builds the list and saves it
        except ImportError:
            return None
        path = Path(matplotlib.get_cachedir()) / \
            f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.is_file() else None


def font_list_path() -> Path | None:
    """Where matplotlib keeps its font list (its cache folder, a file named for its FontManager's
    version), read from its source (tests/test_sandbox.py holds this to matplotlib's answer)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.origin:
        return None
    try:
        source = Path(spec.origin).with_name("font_manager.py").read_text(encoding="utf-8")
    except OSError:
        return None
    version = re.search(r"^class FontManager\b.*?^    __version__ = ['\"]([\w.]+)['\"]$", source,
                        re.M | re.S)
    if version is None:
        return None
    if os.environ.get("MPLCONFIGDIR"):
        folder = Path(os.environ["MPLCONFIGDIR"]).resolve()
    else:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "matplotlib")
    return folder / f"fontlist-v{version[1]}.json"


def _mb(n: int) -> str:
    return str(n << 20)


#: Made read-only in a kernel's /proc. bubblewrap covers these only where access() says they are
#: writable, and it says so of none of /proc/sys, while a grader running as root makes a kernel
#: that is root's user id on the host, which may write most of it even with no capability
#: (kernel.core_pattern names a program the host runs as root).
PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")


def _proc_read_only() -> list[str]:
    return [arg for name in PROC_READ_ONLY if os.path.exists(f"/proc/{name}")
            for arg in ("--ro-bind", f"/proc/{name}", f"/proc/{name}")]


def command(inner: list[str], submission: Path | None, limits: Limits,
            protections: Protections | None = None, *, runtime: Path | None = None,
            connection: Path | None = None, info_fd: bool = False,
            seccomp_fd: bool = False, zygote: bool = False) -> list[str]:
    """bwrap argv running ``inner`` with ``submission`` visible read-only.

    ``connection`` is the kernel's connection file (bound read-only at CONNECTION). With the
    private_sockets protection the kernel's sockets go on a small tmpfs at SOCKETS; without it (a
    control only), the host folder ``runtime`` is bound read-write, as it once was.

    ``zygote`` makes the warm start process's sandbox (``course.sandbox.zygote``): no submission,
    and the capabilities it needs, in its own user namespace, to give each kernel it forks new
    namespaces of its own (each kernel then drops every capability and forbids any more).
    """
    protections = protections or Protections()
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be sandboxed. Install it "
            "(Debian/Ubuntu: apt-get install bubblewrap) or, knowing the risk, set "
            "COURSE_ALLOW_UNSANDBOXED=1.")
    confine = ["--cap-add", "ALL"] if zygote else ["--disable-userns", "--cap-drop", "ALL"]
    args = [bwrap, "--unshare-all", "--unshare-user", *confine, "--die-with-parent",
            "--new-session", *_system_binds()]
    # The private /tmp first: the Python environment may itself live under /tmp (a course in a
    # scratch folder), and a later mount would hide it.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", _mb(limits.tmp_mb), "--tmpfs", "/tmp"]
    if not zygote:   # (the warm process's forks cover their own /proc)
        args += _proc_read_only()
    if protections.capped_filesystems:
        args += ["--size", _mb(limits.shm_mb), "--tmpfs", "/dev/shm"]
    for path in python_paths():
        args += ["--ro-bind", str(path), str(path)]
    env = []
    if protections.grader_package:
        args += ["--ro-bind", str(package_dir()), f"{PACKAGE_ROOT}/course"]
        env += ["--setenv", "PYTHONPATH", PACKAGE_ROOT]
    else:  # a control only: the package at its own path, found through the environment
        args += ["--ro-bind", str(package_dir()), str(package_dir())]
    args += ["--size", _mb(limits.home_mb), "--tmpfs", HOME]
    if submission is not None:
        args += ["--ro-bind", str(submission), SUBMISSION]
    fonts = _font_cache()
    if fonts:
        args += ["--ro-bind", str(fonts), f"{MPLCONFIGDIR}/{fonts.name}"]
    if protections.private_sockets:
        args += ["--size", str(limits.sockets_kb << 10), "--tmpfs", SOCKETS]
    elif runtime is not None:
        args += ["--bind", str(runtime), str(runtime)]
    if connection is not None:
        args += ["--ro-bind", str(connection), CONNECTION]
    if protections.capped_filesystems:
        # Last: every mount point exists now, so nothing else needs / or /dev to be writable.
        args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    if info_fd:
        args += ["--info-fd", str(INFO_FD)]
    if seccomp_fd:
        args += ["--seccomp", str(SECCOMP_FD)]
    args += ["--chdir", HOME, "--clearenv",
             "--setenv", "HOME", HOME,
             "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin",
             "--setenv", "LANG", "C.UTF-8",
             "--setenv", "MPLCONFIGDIR", MPLCONFIGDIR,
             "--setenv", "MPLBACKEND", "module://matplotlib_inline.backend_inline",
             "--setenv", "OPENBLAS_NUM_THREADS", "1",
             "--setenv", "OMP_NUM_THREADS", "1",
             "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
             "--setenv", "NBGRADER_EXECUTION", "autograde", *env]
    return [*args, "--", *inner]


def current_processes() -> int:
    """Processes of this user now (RLIMIT_NPROC counts them all on kernels before 5.14)."""
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def launcher(kernel_cmd: list[str], limits: Limits) -> list[str]:
    """The command run inside the sandbox: set limits, prepare the work folder, start the kernel."""
    return [sys.executable, "-m", "course.sandbox.launch",
            "--cpu", str(limits.cpu_seconds), "--memory-mb", str(limits.memory_mb),
            "--nproc", str(current_processes() + limits.processes),
            "--file-mb", str(limits.file_mb), "--open-files", str(limits.open_files),
            "--", *kernel_cmd]


PROBE = "import course; print(course.__file__)"


@functools.lru_cache(maxsize=1)
def probe() -> None:
    """Make one sandbox and import the course package in it; raise SandboxUnavailable if not."""
    check(Protections())


def check(protections: Protections) -> None:
    """The probe's work, for these protections.

    The message names the real cause: bubblewrap refusing (namespaces), Python failing inside,
    or the kernel finding another copy of the package than the one the grader loaded.
    """
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        cmd = command([sys.executable, "-c", PROBE], Path(tmp), Limits(), protections)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise SandboxUnavailable(f"bubblewrap could not start a sandbox: {err}") from None
    err = proc.stderr.strip()
    if proc.returncode != 0 and err.startswith("bwrap:"):
        raise SandboxUnavailable(
            f"bubblewrap is installed but could not make a sandbox here ({err[-500:]}). On some "
            "systems unprivileged user namespaces must be enabled "
            "(sysctl kernel.unprivileged_userns_clone=1 or user.max_user_namespaces).")
    if proc.returncode != 0:
        raise SandboxUnavailable(
            f"the sandbox started, but Python inside it failed ({err[-800:]}). The sandbox shows "
            f"the Python environment {', '.join(map(str, python_paths()))} and the course package "
            f"from {package_dir()}: check that both are complete.")
    expected = f"{PACKAGE_ROOT}/course/__init__.py"
    found = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "nothing"
    if found != expected:
        raise SandboxUnavailable(
            f"the sandboxed Python imported the course package from {found}, not the copy the "
            f"grader loaded ({package_dir()}), which the sandbox shows at {expected}. Something "
            "in the Python environment (a .pth file or an installed copy) takes precedence: "
            "reinstall the course with `pip install -e .` from the course folder.")
