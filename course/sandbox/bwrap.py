"""The bubblewrap command line that wraps a kernel."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import course

#: Where the sandboxed kernel finds its submission (read-only) and works (a private tmpfs).
SUBMISSION = "/home/student/submission"
WORK = "/home/student/work"
HOME = "/home/student"


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine; the message says what to do."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one kernel. Defaults suit these notebooks with room to spare."""

    cpu_seconds: int = 120          # CPU time for the whole kernel
    memory_mb: int = 4096           # address space (numpy and matplotlib reserve a lot virtually)
    processes: int = 64             # new processes the kernel may have at once, beyond the current
    file_mb: int = 64               # largest file it may write
    open_files: int = 256
    tmpfs_mb: int = 256             # its working space, in memory


def python_paths() -> list[Path]:
    """The read-only Python environment: interpreter prefixes and the course package itself."""
    paths = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix),
             Path(course.__file__).resolve().parent}
    # Collapse nested paths: binding a parent already shows the child.
    ordered = sorted(p.resolve() for p in paths if p.exists())
    return [p for i, p in enumerate(ordered) if not any(p.is_relative_to(q) for q in ordered[:i])]


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


MPLCONFIGDIR = "/tmp/matplotlib"


@functools.lru_cache(maxsize=1)
def _font_cache() -> Path | None:
    """The host's matplotlib font list, built once: every fresh sandbox would otherwise rebuild it
    (about half a second per kernel)."""
    try:
        from matplotlib import font_manager
        import matplotlib
    except ImportError:
        return None
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.is_file() else None


def _cache_binds() -> list[str]:
    fonts = _font_cache()
    return ["--ro-bind", str(fonts), f"{MPLCONFIGDIR}/{fonts.name}"] if fonts else []


def command(inner: list[str], submission: Path, runtime_dir: Path, limits: Limits) -> list[str]:
    """bwrap argv running ``inner`` with ``submission`` visible read-only."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be sandboxed. Install it "
            "(Debian/Ubuntu: apt-get install bubblewrap) or, knowing the risk, set "
            "COURSE_ALLOW_UNSANDBOXED=1.")
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            *_system_binds()]
    # The private /tmp first: the Python environment may itself live under /tmp (a course in a
    # scratch folder), and a later mount would hide it.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(64 << 20), "--tmpfs", "/tmp"]
    for path in python_paths():
        args += ["--ro-bind", str(path), str(path)]
    args += ["--size", str(limits.tmpfs_mb << 20), "--tmpfs", HOME,
             "--ro-bind", str(submission), SUBMISSION,
             *_cache_binds(),
             # The kernel's sockets (IPC transport: there is no network inside).
             "--bind", str(runtime_dir), str(runtime_dir),
             "--chdir", HOME, "--clearenv",
             "--setenv", "HOME", HOME,
             "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin",
             "--setenv", "LANG", "C.UTF-8",
             "--setenv", "MPLCONFIGDIR", MPLCONFIGDIR,
             "--setenv", "MPLBACKEND", "module://matplotlib_inline.backend_inline",
             "--setenv", "OPENBLAS_NUM_THREADS", "1",
             "--setenv", "OMP_NUM_THREADS", "1",
             "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
             "--setenv", "NBGRADER_EXECUTION", "autograde"]
    return [*args, "--", *inner]


def current_processes() -> int:
    """Processes of this user now: RLIMIT_NPROC counts them all, so the limit is relative."""
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


@functools.lru_cache(maxsize=1)
def probe() -> None:
    """Make one sandbox and run Python in it; raise SandboxUnavailable with the reason if not."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        cmd = command([sys.executable, "-c", "import course"], Path(tmp), Path(tmp), Limits())
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise SandboxUnavailable(f"bubblewrap could not start a sandbox: {err}") from None
        if proc.returncode != 0:
            raise SandboxUnavailable(
                "bubblewrap is installed but could not make a sandbox here "
                f"({proc.stderr.strip()[-500:]}). On some systems unprivileged user namespaces "
                "must be enabled (sysctl kernel.unprivileged_userns_clone=1).")
