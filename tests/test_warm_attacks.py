"""Attacks on warm kernels (course.sandbox.zygote), run for real: what one student's code, in a
kernel forked from the warm process, could do to the warm process, to the kernels beside it, to
the host, or to its own grade.

Each hardening of the fork is one entry of ``warm_kernel.HARDENING``; its control switches that
entry off for one test (``without``) and shows the attack then succeeds. The attacks that were
already blocked, and how warm and cold kernels compare, are here too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from course.protections import Protections
from course.sandbox import bwrap, warm, warm_kernel
from course.sandbox.bwrap import Limits
from course.sandbox.kernel import SandboxedKernelManager
from course.sandbox.warm_kernel import WarmKernelManager

from test_sandbox import Client as ColdClient, run as run_cold
from test_warm_kernels import Client, client, run, text_of
from waiting import until


@pytest.fixture(autouse=True, scope="module")
def close_warm_processes():
    yield
    warm.Zygote.close_all()


@pytest.fixture
def without(monkeypatch):
    """Switch one hardening of the warm kernels off, for this test only (a control)."""
    return lambda name: monkeypatch.setitem(warm_kernel.HARDENING, name, False)


def the_warm_process() -> warm.Zygote:
    return warm.Zygote.get(Limits(), Protections())


# ---------------------------------------------------------------- signals to its process group
SIGNAL_THE_GROUP = """
import os, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)   # the kernel itself lives on
try:
    os.setpriority(os.PRIO_PGRP, 0, 19)   # 0: the caller's own process group
except OSError:
    pass   # refused for the processes with capabilities in it, done for the others
os.kill(0, signal.SIGTERM)
print("signalled")
"""


def kernel_pid(km) -> int:
    """The host's id of a warm kernel's process (its init's only child)."""
    init = km.provisioner.process.init_pid
    return int(Path(f"/proc/{init}/task/{init}/children").read_text().split()[0])


def signal_beside_a_victim(patience: float = 0) -> tuple[str, bool, int | None]:
    """One kernel runs (the victim); another signals its own process group. (What the attacker
    printed, whether the victim is still alive after ``patience`` seconds for it to end, the
    victim kernel's nice value if it is.)"""
    victim = client("print('victim up')")
    victim.create_kernel_manager()
    with victim.setup_kernel():
        victim.execute_cell(victim.nb.cells[0], 0)
        assert "victim up" in text_of(victim.nb)
        out, _ = run(SIGNAL_THE_GROUP)
        process = victim.km.provisioner.process
        alive = not until(lambda: process.poll() is not None, patience)
        nice = os.getpriority(os.PRIO_PROCESS, kernel_pid(victim.km)) if alive else None
    return out, alive, nice


def test_a_kernel_cannot_signal_the_warm_process_or_the_kernels_beside_it():
    """Forks share their parent's process group unless they leave it: ``kill(0, ...)`` and
    ``setpriority(PRIO_PGRP, 0, ...)`` reach the whole group, whatever the PID namespace."""
    zygote = the_warm_process()
    out, victim_alive, nice = signal_beside_a_victim()
    assert "signalled" in out
    assert victim_alive and nice == 0
    assert zygote.alive() and the_warm_process() is zygote


def test_control_in_the_warm_process_group_a_kernel_kills_them_all(without):
    without("own_session")
    zygote = the_warm_process()
    _, victim_alive, _ = signal_beside_a_victim(patience=10)
    assert until(lambda: not zygote.alive(), 10), "the warm process survived"
    assert not victim_alive
    assert the_warm_process().alive()   # the next kernel gets a new warm process


# ---------------------------------------------------------------- the host's kernel settings
HOST_SETTINGS = """
import errno, os
for path in ("/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches"):
    try:
        os.close(os.open(path, os.O_WRONLY))   # opened only: nothing is written
        print(path, "opened")
    except OSError as err:
        print(path, errno.errorcode[err.errno])
"""


def test_a_kernel_cannot_change_the_hosts_kernel_settings():
    """A kernel of a grader running as root is root on the host's user id, without capabilities:
    that alone lets it write most of /proc/sys (core_pattern: a program the host runs as root)."""
    out, _ = run(HOST_SETTINGS)
    assert "opened" not in out and "/proc/sys/kernel/core_pattern E" in out, out


@pytest.mark.skipif(os.getuid() != 0, reason="only a grader running as root has the gap")
def test_control_with_proc_sys_writable_a_kernel_may_rewrite_the_hosts_settings(without):
    without("read_only_proc")
    out, _ = run(HOST_SETTINGS)
    assert "/proc/sys/kernel/core_pattern opened" in out, out


def test_a_cold_kernel_cannot_change_the_hosts_kernel_settings():
    out, _ = run_cold(HOST_SETTINGS)
    assert "opened" not in out and "/proc/sys/kernel/core_pattern E" in out, out


@pytest.mark.skipif(os.getuid() != 0, reason="only a grader running as root has the gap")
def test_control_cold_with_proc_sys_as_bubblewrap_leaves_it_a_kernel_may_rewrite_them(
        monkeypatch):
    monkeypatch.setattr(bwrap, "PROC_READ_ONLY", ())
    out, _ = run_cold(HOST_SETTINGS)
    assert "/proc/sys/kernel/core_pattern opened" in out, out


# ---------------------------------------------------------------- files that cost no bytes
MANY_FILES = """
import errno, os
def fill(folder, most):
    made = 0
    try:
        while made < most:
            os.close(os.open(f"{folder}/empty-{made}", os.O_CREAT | os.O_WRONLY, 0o600))
            made += 1
        return f"{folder} made {made}"
    except OSError as err:
        return f"{folder} stopped at {made} {errno.errorcode[err.errno]}"
print(fill("/tmp", 40000))
for place in ("/home/student", "/tmp", "/dev/shm", "/run/kernel"):
    print(place, "holds at most", os.statvfs(place).f_files, "files")
"""


def test_each_memory_file_system_holds_a_bounded_number_of_files():
    """Empty files take no space, so a size cap alone does not bound them; each costs about a
    kilobyte of the host's kernel memory that no process holds (the watchdog never sees it), and
    a tmpfs allows millions. Each holds at most one file per 4 kB of its size."""
    out, _ = run(MANY_FILES)
    assert re.search(r"/tmp stopped at \d+ ENOSPC", out), out
    limits = Limits()
    for place, kb in (("/home/student", limits.home_mb << 10), ("/tmp", limits.tmp_mb << 10),
                      ("/dev/shm", limits.shm_mb << 10), ("/run/kernel", limits.sockets_kb)):
        most = int(re.search(rf"{place} holds at most (\d+) files", out).group(1))
        assert most <= max(64, kb // 4), out


def test_control_without_the_bound_a_tmpfs_takes_any_number_of_files(without):
    without("bounded_inodes")
    out, _ = run(MANY_FILES)
    assert "/tmp made 40000" in out, out


# ---------------------------------------------------------------- blocked already
INTO_ITS_INIT = """
import ctypes, errno, os, re
libc = ctypes.CDLL(None, use_errno=True)
print("ptrace", libc.ptrace(16, 1, 0, 0), errno.errorcode[ctypes.get_errno()])   # ATTACH to init
for name in ("mem", "environ", "maps"):
    try:
        open(f"/proc/1/{name}", "rb").read(1)
        print(name, "read")
    except OSError as err:
        print(name, errno.errorcode[err.errno])
kinds = set()
for fd in os.listdir("/proc/self/fd"):
    try:
        kinds.add(re.sub(r":.*", ":", os.readlink(f"/proc/self/fd/{fd}")))
    except OSError:
        pass
print("fds", sorted(kinds))
maps = [line.split() for line in open("/proc/self/maps")]
print("shared writable", [m[-1] for m in maps if m[1][1::2] == "ws"])   # rw-s
"""


def test_a_kernel_holds_nothing_of_the_warm_process_and_cannot_trace_its_init():
    """The warm process is not in the kernel's PID namespace (test_warm_kernels shows only its
    init and itself); its init, PID 1, cannot be traced or read; no descriptor of the warm
    process, the setup socket or the host's files is open in it; no writable memory is shared."""
    out, _ = run(INTO_ITS_INIT)
    assert "ptrace -1 EPERM" in out, out
    assert "mem EACCES" in out and "environ EACCES" in out and "maps EACCES" in out, out
    assert "fds ['/dev/null', 'anon_inode:', 'pipe:', 'socket:']" in out, out
    assert "shared writable []" in out, out


def test_a_patched_module_reaches_no_later_kernel():
    """Each kernel patches its own copy: the warm process never runs student code."""
    patch = "import builtins, course, numpy\ncourse.PATCHED = builtins.PATCHED = numpy.PATCHED = 1"
    assert "Error" not in run(patch)[0]
    look = "import builtins, course, numpy\nprint('patched', [hasattr(m, 'PATCHED') " \
           "for m in (builtins, course, numpy)])"
    assert "patched [False, False, False]" in run(look)[0]


# ---------------------------------------------------------------- warm and cold alike
SAME_CELLS = [
    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nprint('drawn')",
    "import os\nfor top, folders, files in sorted(os.walk('.')):\n"
    "    print(top, sorted(folders), sorted(files))",
]


def outputs(manager, folder: Path) -> list:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in SAME_CELLS])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    kind = Client if manager is WarmKernelManager else ColdClient
    nbclient = kind(nb, kernel_manager_class=manager, timeout=60, allow_errors=True,
                    resources={"metadata": {"path": str(folder)}})
    km = nbclient.create_kernel_manager()
    nbclient.execute()
    assert (manager is WarmKernelManager) == bool(getattr(km, "_warm", False))
    return [[(o.output_type, sorted(o.get("data", {})), o.get("text", "")) for o in cell.outputs]
            for cell in nb.cells]


def test_a_warm_kernel_shows_what_a_cold_one_shows(tmp_path):
    """A figure drawn in a cell is shown at its end (the inline backend hooks into the kernel's
    shell when first imported: never in the warm process, which has none), and the kernel's
    folder holds the submission's empty folders too."""
    (tmp_path / "results").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "table.csv").write_text("1,2\n")
    warm_out = outputs(WarmKernelManager, tmp_path)
    cold_out = outputs(SandboxedKernelManager, tmp_path)
    assert ("display_data", ["image/png", "text/plain"], "") in cold_out[0]
    assert "./results [] []" in cold_out[1][0][2]
    assert warm_out == cold_out

