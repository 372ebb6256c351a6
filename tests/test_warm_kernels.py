"""Warm kernels (course.sandbox.warm), run for real: each is a fork of one warm process, in a
fresh sandbox of its own, and keeps every protection a cold kernel has.

Nothing passes between students: one kernel leaves files in every place it can write and
processes that hide in sessions of their own, and the next kernel (still running beside it, or
graded after it by `course grade`) finds none of them. The control makes the kernels share the warm
process's namespaces and folders (Protections.fresh_namespaces off), and the next kernel finds
them. The cold kernel's attacks and controls of test_sandbox.py are run here on warm kernels, each
with its control where a warm kernel honours the switch.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from traitlets.config import Config

from course import submissions as subs
from course.build import nbgrader, scripts_first
from course.gradebook import db_url, scores
from course.protections import Protections
from course.safe_execute import SafeExecute
from course.sandbox import cgroup, warm
from course.sandbox.bwrap import PACKAGE_ROOT, Limits
from course.sandbox.direct import DirectKernelManager
from course.sandbox.kernel import SandboxedKernelManager
from course.sandbox.warm_kernel import WarmKernelManager

from hostile_cases import FOLDER, NAME, Q1, inject, write
from hostile_kit import generated, graded_notebook_text  # noqa: F401 (the module's scratch course)
from waiting import until
from test_sandbox import (BOMB, FILL_RUNTIME, FLOOD, HELD_FLOOD, INOTIFY, MEMFD, SPREAD, config,
                          started)

ROOT = Path(__file__).resolve().parents[1]


class Client(NotebookClient):
    """nbclient as SafeExecute drives it: the manager watches the client's channels."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        self.km.watch(kc)
        return kc


#: The kind of warm kernel these tests start: stock ipykernel on ZeroMQ here;
#: test_direct_kernels.py runs many of them again on direct kernels.
MANAGER = WarmKernelManager


def client(code: str, c: Config | None = None, folder: Path | None = None, timeout: int = 60):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(code))])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return Client(nb, kernel_manager_class=MANAGER, timeout=timeout,
                  allow_errors=True, config=c or Config(),
                  resources={"metadata": {"path": str(folder)}} if folder else {})


def text_of(nb) -> str:
    return "".join(o.get("text", "") + o.get("evalue", "") for o in nb.cells[0].outputs)


def run(code: str, c: Config | None = None, folder: Path | None = None, timeout: int = 60):
    """Run one cell in a warm kernel; (its text output, the kernel manager)."""
    nbclient = client(code, c, folder, timeout)
    km = nbclient.create_kernel_manager()
    try:
        nbclient.execute()
    except DeadKernelError:
        pass
    assert km._warm, "the kernel started cold"
    assert type(km) is MANAGER
    return text_of(nbclient.nb), km


@pytest.fixture(autouse=True, scope="module")
def close_warm_processes():
    yield
    warm.Zygote.close_all()


# ---------------------------------------------------------------- nothing passes between students
LEAVE = """
import os, socket, subprocess, sys
for folder in ("/home/student/work", "/home/student", "/tmp", "/dev/shm", "/run/kernel"):
    with open(os.path.join(folder, "left-behind.txt"), "w") as f:
        f.write("MARK")
hold = ("import socket, time; s = socket.socket(socket.AF_UNIX); s.bind('\\\\0left-behind'); "
        "s.listen(); time.sleep(313)")
subprocess.Popen([sys.executable, "-c", hold], start_new_session=True)
subprocess.Popen(["sleep", "313"], start_new_session=True)
import time; time.sleep(1)   # the socket is bound
print("left")
"""

LOOK = """
import os, socket
files = [os.path.join(folder, name)
         for folder in ("/home/student/work", "/home/student", "/tmp", "/dev/shm", "/run/kernel")
         for name in os.listdir(folder) if name.startswith("left-behind")]
processes = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if b"313" in open(f"/proc/{pid}/cmdline", "rb").read():
            processes.append(pid)
    except OSError:
        pass
try:
    socket.socket(socket.AF_UNIX).connect("\\0left-behind")
    sockets = ["left-behind"]
except OSError:
    sockets = []
print("FOUND files:", sorted(files), "processes:", processes, "sockets:", sockets)
"""
NOTHING = "FOUND files: [] processes: [] sockets: []"


def leave_then_look(c: Config | None = None) -> str:
    """One kernel leaves its traces and stays running; a second one, forked from the same warm
    process while the first is still there, looks for them."""
    leaver = client(LEAVE, c)
    leaver.create_kernel_manager()
    with leaver.setup_kernel():
        leaver.execute_cell(leaver.nb.cells[0], 0)
        assert "left" in text_of(leaver.nb), text_of(leaver.nb)
        found, km = run(LOOK, c)
    return found


def test_a_kernel_finds_nothing_another_left_beside_it():
    assert NOTHING in leave_then_look()


def test_control_sharing_the_warm_process_namespaces_the_next_kernel_finds_it_all():
    found = leave_then_look(config("fresh_namespaces"))
    assert "/tmp/left-behind.txt" in found and "/home/student/work/left-behind.txt" in found
    assert "processes: []" not in found and "sockets: ['left-behind']" in found, found


def test_nothing_survives_its_kernel():
    """After a kernel has ended, nothing of it is anywhere: its processes died with it."""
    assert "left" in run(LEAVE)[0]
    assert NOTHING in run(LOOK)[0]


SEEK = """
print("seeker ran")
""" + LOOK


def outputs_of(notebook_text: str) -> str:
    """The text every cell of a graded notebook printed (not its code, which names the traces)."""
    return "".join("".join(out.get("text", "")) for cell in json.loads(notebook_text)["cells"]
                   for out in cell.get("outputs", []))


def grade_leaver_and_seeker(base: Path, tmp_path: Path, release, switch_off: tuple) -> str:
    """`course grade` (one worker, so one warm process) grades a student who leaves traces, then
    one who looks for them; returns what the second one's graded notebook printed."""
    course = tmp_path / "course"
    shutil.copytree(base, course)
    with open(course / "nbgrader_config.py", "a") as f:
        f.writelines(f"\nc.Protections.{name} = False\n" for name in switch_off)
    write(course / "submitted" / "aaa_leaver" / FOLDER, inject(subs.typed(release, {}), Q1, LEAVE))
    write(course / "submitted" / "zzz_seeker" / FOLDER, inject(subs.typed(release, {}), Q1, SEEK))
    proc = subprocess.run([sys.executable, "-m", "course.cli", "grade", FOLDER, "--jobs", "1"],
                          cwd=course, env=scripts_first(dict(os.environ)),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    got = scores(db_url(course), FOLDER)
    assert got["aaa_leaver"]["auto"] == got["zzz_seeker"]["auto"] == 0
    assert "left" in outputs_of(graded_notebook_text(course, "aaa_leaver"))
    printed = outputs_of(graded_notebook_text(course, "zzz_seeker"))
    assert "seeker ran" in printed and "FOUND" in printed, printed[-3000:]
    return printed


@pytest.mark.pipeline
@pytest.mark.parametrize("switch_off", [(), ("shared_budget",), ("fresh_namespaces",),
                                        ("fresh_namespaces", "shared_budget")],
                         ids=["protected", "no-cgroup", "control-shared-folders",
                              "control-shared-folders-no-cgroup"])
def test_the_next_student_graded_finds_nothing_only_protected(
        generated, tmp_path, switch_off):  # noqa: F811
    """Graded one after the other: with fresh namespaces nothing is found, even without the
    cgroup (the first kernel's processes die with its PID namespace). Without them, the files are
    found; the processes too once no cgroup kills them at the kernel's end."""
    base, _, release = generated
    found = grade_leaver_and_seeker(base, tmp_path, release, switch_off)
    if "fresh_namespaces" not in switch_off:
        assert NOTHING in found, found
        return
    assert "'/tmp/left-behind.txt'" in found and "'/home/student/work/left-behind.txt'" in found
    if "shared_budget" in switch_off:
        assert "processes: []" not in found and "sockets: ['left-behind']" in found, found


# ---------------------------------------------------------------- the sandbox of its own
PROBE = """
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
print("caps", open("/proc/self/status").read().split("CapEff:")[1].split()[0])
print("unshare", libc.unshare(0x10000000), ctypes.get_errno())
print("mount", libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None), ctypes.get_errno())
print("userns", open("/proc/sys/user/max_user_namespaces").read().strip())
import course
print("package", course.__file__)
try:
    open("/x", "w")
except OSError as err:
    print("root", err.errno)
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
except OSError as err:
    print("network", type(err).__name__)
home = os.statvfs("/home/student")
print("home", home.f_blocks * home.f_frsize >> 20)
print("processes", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
print("files", sorted(os.listdir(".")))
print("connection", open("/run/connection.json").read()[:1])
"""


def test_a_warm_kernel_is_sandboxed_as_a_cold_one_is(tmp_path):
    (tmp_path / "data.txt").write_text("the learner's file")
    (tmp_path / f"{NAME}.ipynb").write_text("{}")
    (tmp_path / "link.txt").symlink_to(tmp_path / "data.txt")
    out, km = run(PROBE, folder=tmp_path)
    assert "caps 0000000000000000" in out
    assert re.search(r"unshare -1 1\b", out) and re.search(r"mount -1 1\b", out), out
    assert "userns 0" in out
    assert f"package {PACKAGE_ROOT}/course/__init__.py" in out
    assert "root 30" in out and "network" in out
    assert f"home {Limits().home_mb}" in out
    assert "processes [1, 2]" in out, out   # its init and itself: nothing of anyone else
    assert "files ['data.txt']" in out, out   # regular files only, never the notebook
    assert "connection {" in out
    assert not km._runtime.exists() and km._cgroup is None


def test_the_warm_process_never_holds_a_submission(tmp_path):
    """Each kernel reads its own files: the warm process, every later kernel's ancestor, never
    has a student's bytes in its memory."""
    mark = secrets.token_hex(16)
    (tmp_path / "secret.txt").write_text(mark)
    assert mark[:6] in run("print(open('secret.txt').read()[:6])", folder=tmp_path)[0]
    zygote = warm.Zygote.get(Limits(), Protections())
    pid = zygote.pid()
    found = False
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("rw"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                found = found or mark.encode() in mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                pass
    assert not found


# ---------------------------------------------------------------- a cold kernel's protections
WRITE = """
import errno, os
def fill(folder, mb):   # files of 10 MB: each under the kernel's 64 MB file-size limit
    done = 0
    try:
        os.makedirs(folder, exist_ok=True)
        for n in range(mb // 10):
            with open(os.path.join(folder, f"fill{n}.bin"), "wb") as f:
                for _ in range(10):
                    f.write(b"x" * (1 << 20)); f.flush(); done += 1
        return f"{folder} wrote {done}"
    except OSError as err:
        return f"{folder} stopped at {done} {errno.errorcode[err.errno]}"
for folder in ("/dev/shm/f", "/tmp/f", "/f", "/dev/f"):
    print(fill(folder, 100))
"""


def test_every_writable_file_system_is_capped_and_the_rest_is_read_only():
    out, _ = run(WRITE)
    assert "/dev/shm/f stopped at 64 ENOSPC" in out and "/tmp/f stopped at 64 ENOSPC" in out
    assert "/f stopped at 0 EROFS" in out and "/dev/f stopped at 0 EROFS" in out, out


def test_control_without_caps_memory_file_systems_take_anything():
    out, _ = run(WRITE, config("capped_filesystems"))
    assert "/dev/shm/f wrote 100" in out and "/f wrote 100" in out and "/dev/f wrote 100" in out


def test_the_kernel_cannot_write_to_the_host_through_its_sockets_folder():
    out, _ = run(FILL_RUNTIME)
    assert "refused in /run/kernel" in out and "wrote 100 MB" not in out


def test_with_the_sockets_in_a_host_folder_kernels_start_cold():
    """The control of private_sockets binds a host folder into a new sandbox, which a running
    warm process cannot show its forks: SafeExecute starts those kernels cold, where
    test_sandbox.py shows the control."""
    assert warm.unavailable(Limits(), Protections(private_sockets=False))
    assert SafeExecute(config=config("private_sockets")).kernel_manager_class is \
        SandboxedKernelManager
    assert SafeExecute().kernel_manager_class is DirectKernelManager
    c = Config()
    c.SafeExecute.direct_kernel = False
    assert SafeExecute(config=c).kernel_manager_class is WarmKernelManager
    c = Config()
    c.SafeExecute.warm_start = False
    assert SafeExecute(config=c).kernel_manager_class is SandboxedKernelManager


@pytest.mark.parametrize("code", ["import os; os.makedirs('/tmp/a/b/c'); print('ok')",
                                  "import os; os.kill(os.getpid(), 9)"], ids=["ended", "died"])
def test_nothing_of_a_kernel_is_left_on_the_host(code):
    _, km = run(code)
    assert not km._runtime.exists()
    assert km._cgroup is None


def test_children_share_the_memory_budget():
    out, km = run(SPREAD, config(memory_mb=1024))
    assert "children done: 3 of 3" not in out
    assert "children done:" in out or "memory in all" in (km.ending() or "")


def test_control_per_process_limits_let_children_take_three_times_the_budget():
    out, _ = run(SPREAD, config("shared_budget", memory_mb=1024))
    assert "children done: 3 of 3" in out


def test_processes_are_bounded_for_the_whole_kernel_even_as_root():
    out, _ = run(FLOOD, config(processes=32))
    assert started(out) <= 32


@pytest.mark.skipif(os.getuid() != 0, reason="the gap it shows exists only for root")
def test_control_as_root_the_process_rlimit_alone_binds_nothing():
    out, _ = run(FLOOD, config("shared_budget", processes=32))
    assert started(out) == 150


def test_where_no_cgroup_can_be_made_a_watchdog_holds_the_budget(monkeypatch):
    monkeypatch.setattr(cgroup, "make", lambda *args, **kw: None)
    out, km = run(SPREAD, config(memory_mb=1024))
    assert km._cgroup is None and km._watchdog is not None
    assert "children done: 3 of 3" not in out
    assert "memory in all" in (km.ending() or "")
    out, km = run(HELD_FLOOD, config(processes=32))
    assert "more than 32 processes" in (km.ending() or "")


def test_memory_that_no_process_holds_cannot_be_made():
    assert "memfd refused 1" in run(MEMFD)[0]


def test_control_without_the_filter_memfd_is_allowed():
    assert "memfd made" in run(MEMFD, config("shared_budget"))[0]


def test_no_inotify_instance_is_taken_from_the_hosts_quota():
    assert "inotify refused 1" in run(INOTIFY)[0]


def test_control_without_the_filter_inotify_is_allowed():
    assert "inotify made" in run(INOTIFY, config("shared_budget"))[0]


def grader_peak_mb(off: str | None) -> tuple[int, str]:
    """The bomb in a warm kernel of a fresh grader process: (the grader's VmHWM in MB, what it
    reported). The warm process is not the grader's: it is a process of its own."""
    script = textwrap.dedent(f"""
        import re, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import test_warm_kernels
        from {MANAGER.__module__} import {MANAGER.__name__}
        test_warm_kernels.MANAGER = {MANAGER.__name__}
        from test_warm_kernels import run, config
        out, km = run({BOMB!r}, config({off!r}, memory_mb=3072))
        status = open("/proc/self/status").read()
        print("PEAK", int(re.search(r"VmHWM:\\s*(\\d+)", status).group(1)) // 1024)
        print("ENDING", km.ending())
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=180, cwd=ROOT)
    peak = re.search(r"PEAK (\d+)", proc.stdout)
    assert peak, proc.stdout + proc.stderr[-2000:]
    return int(peak.group(1)), proc.stdout


def test_a_huge_message_never_enters_the_graders_memory():
    peak, out = grader_peak_mb(None)
    assert peak < 250, out
    assert "larger than the 1 MB" in out


def test_control_without_the_bound_the_grader_holds_the_message():
    peak, out = grader_peak_mb("bounded_messages")
    assert peak > 600, out


# ---------------------------------------------------------------- when no warm process can start
def test_where_no_warm_process_starts_kernels_start_cold_and_say_why(monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise warm.SandboxUnavailable("no nested user namespaces here")

    monkeypatch.setattr(warm.Zygote, "get", classmethod(refuse))
    monkeypatch.setattr(SafeExecute, "_said", set())
    with caplog.at_level("WARNING"):
        chosen = SafeExecute().kernel_manager_class
    assert chosen is SandboxedKernelManager
    assert "no nested user namespaces here" in caplog.text


WHICH_KERNEL = "import sys\nprint('KERNEL', 'warm' if 'course.sandbox.bwrap' in sys.modules else 'cold')"


@pytest.mark.pipeline
def test_nbgrader_autograde_with_the_course_config_grades_in_warm_kernels(
        generated, tmp_path):  # noqa: F811
    """The nbgrader command line (and formgrader's button) shares the fast path."""
    base, keys, release = generated
    course = tmp_path / "course"
    shutil.copytree(base, course)
    write(course / "submitted" / "which" / FOLDER,
          inject(subs.typed(release, keys), Q1, WHICH_KERNEL))
    nbgrader(course, "autograde", FOLDER, "--force")
    assert scores(db_url(course), FOLDER)["which"]["auto"] == 9
    assert "KERNEL warm" in graded_notebook_text(course, "which")


# ---------------------------------------------------------------- a kernel ends with its grader
HANG = """
import subprocess, time
subprocess.Popen(["sleep", "314"], start_new_session=True)
time.sleep(120)
"""


def grade_in_a_worker(handoff: tuple, code: str, temp: str) -> None:
    """In a process of its own, as a worker of course grade: run ``code`` in a warm kernel of the
    warm process its parent started. Without a cgroup (as for a grader that cannot make one),
    so that nothing but the kernel's own watch on its grader can end it. Its temp folders go in
    ``temp`` (a killed worker cannot remove them; course grade's parent does, for its workers)."""
    import tempfile
    tempfile.tempdir = temp
    cgroup.make = lambda *args, **kwargs: None
    warm.adopt(*handoff)
    run(code, timeout=120)


def sleepers(pattern: str = "^sleep 314$") -> list[str]:
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()


def test_a_kernel_never_outlives_the_process_grading_it(tmp_path):
    """course grade's workers share the warm process its parent started: a worker killed while
    its kernel runs (by the system's out-of-memory killer, say) takes the kernel with it, not
    leaving it to run until the end of the grading."""
    from multiprocessing import get_context

    with warm.shared(Config()) as ready:
        handoff = ready()
        worker = get_context("forkserver").Process(target=grade_in_a_worker,
                                                   args=(handoff, HANG, str(tmp_path)))
        worker.start()
        try:
            assert until(sleepers), "the kernel never started"
            worker.kill()
            worker.join()
            assert until(lambda: not sleepers(), 10), "the kernel outlived the process grading it"
            assert Path(f"/proc/{handoff[2]}").exists()   # the warm process serves the others
        finally:
            worker.kill()


# ---------------------------------------------------------------- started early, by the command line
def test_a_warm_process_started_early_is_the_one_grading_uses():
    """`course grade` starts the warm process before it reads the course's config (so that it
    fills meanwhile); grading with the sandbox it was started for uses that one, no second."""
    warm.start_early()
    (early,) = warm._early
    try:
        with warm.shared(Config()) as ready:
            assert ready()[2] == early.pid()
        assert not warm._early and early.process.poll() is not None   # ended with the grading
    finally:
        warm._end_early()


def test_one_started_early_for_another_sandbox_ends_unused():
    """A course whose config asks for other limits gets a warm process made for them; the one
    started early ends at once and leaves nothing in the temp folder."""
    warm.start_early()
    (early,) = warm._early
    c = Config()
    c.Sandbox.memory_mb = Limits().memory_mb + 256
    try:
        with warm.shared(c) as ready:
            assert early.process.poll() is not None and not early._folder.exists()
            handoff = ready()
            assert handoff is not None and handoff[0] == warm.key_of(Limits.from_config(c),
                                                                     Protections(config=c))
    finally:
        warm._end_early()
