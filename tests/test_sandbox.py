"""The sandbox, run for real with bubblewrap: every bound holds, and each one's control shows the
attack succeeding with that one protection switched off.

Kernels are started through SandboxedKernelManager exactly as grading starts them (without
nbgrader around them), so each test costs a kernel start or two.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from traitlets.config import Config

import hostile_cases
from conftest import host_disk
from hostile_kit import PeakGrowth
from course.protections import Protections
from course.safe_execute import SafeExecute
from course.sandbox import bwrap, cgroup, seccomp
from course.sandbox.kernel import SandboxedKernelManager

ROOT = Path(__file__).resolve().parents[1]


def config(off: str | None = None, **sandbox) -> Config:
    c = Config()
    if off:
        c.Protections[off] = False
    for key, value in sandbox.items():
        c.Sandbox[key] = value
    return c


class Client(NotebookClient):
    """nbclient as SafeExecute drives it: the manager watches the client's channels."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        self.km.watch(kc)
        return kc

    start_new_kernel_client = SafeExecute.start_new_kernel_client


def run(code: str, c: Config | None = None, folder: Path | None = None, timeout: int = 60):
    """Run one cell in a sandboxed kernel; (its text output, the kernel manager)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(code))])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = Client(nb, kernel_manager_class=SandboxedKernelManager, timeout=timeout,
                    allow_errors=True, config=c or Config(),
                    resources={"metadata": {"path": str(folder)}} if folder else {})
    km = client.create_kernel_manager()
    try:
        client.execute()
    except DeadKernelError:
        pass
    text = "".join(o.get("text", "") + o.get("evalue", "") for o in nb.cells[0].outputs)
    return text, km


# ---------------------------------------------------------------- the bwrap command itself
def test_a_python_environment_under_tmp_stays_visible(tmp_path, monkeypatch):
    """A course (and its .venv) in a scratch folder under /tmp: the sandbox's private /tmp must
    not hide it, or every kernel fails to start."""
    env = tmp_path / "venv-like"
    env.mkdir()
    (env / "marker.txt").write_text("still here")
    paths = bwrap.python_paths()
    monkeypatch.setattr(bwrap, "python_paths", lambda: [*paths, env])
    work = tmp_path / "work"
    work.mkdir()
    inner = [sys.executable, "-c", f"print(open({str(env / 'marker.txt')!r}).read())"]
    proc = subprocess.run(bwrap.command(inner, work, bwrap.Limits()),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "still here"


def test_the_sandbox_tmp_is_private(tmp_path):
    """Beside the mounts it needs, the sandbox's /tmp is empty: no other file of the host's /tmp."""
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    submission = tmp_path / "submission"
    submission.mkdir()
    inner = [sys.executable, "-c", f"import os; print(os.path.exists({str(secret)!r}))"]
    proc = subprocess.run(bwrap.command(inner, submission, bwrap.Limits()),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert secret.exists() and proc.stdout.strip() == "False"


WRITE = """
import errno, os
def fill(folder, mb):
    done = 0
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "fill.bin"), "wb") as f:
            for _ in range(mb):
                f.write(b"x" * (1 << 20)); f.flush(); done += 1
        return f"{folder} wrote {done}"
    except OSError as err:
        return f"{folder} stopped at {done} {errno.errorcode[err.errno]}"
for folder in ("/dev/shm/f", "/f", "/dev/f"):
    print(fill(folder, 100))
"""


def sandboxed_python(code: str, protections: Protections, tmp_path: Path) -> str:
    submission = tmp_path / "submission"
    submission.mkdir(exist_ok=True)
    proc = subprocess.run(bwrap.command([sys.executable, "-c", code], submission, bwrap.Limits(),
                                        protections), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_writable_file_system_is_capped_and_the_rest_is_read_only(tmp_path):
    out = sandboxed_python(WRITE, Protections(), tmp_path)
    assert "/dev/shm/f stopped at 64 ENOSPC" in out
    assert "/f stopped at 0 EROFS" in out and "/dev/f stopped at 0 EROFS" in out


def test_control_without_caps_memory_file_systems_take_anything(tmp_path):
    out = sandboxed_python(WRITE, Protections(capped_filesystems=False), tmp_path)
    assert "/dev/shm/f wrote 100" in out and "/f wrote 100" in out and "/dev/f wrote 100" in out


# ---------------------------------------------------------------- the package the grader loaded
PACKAGE = "import course, importlib.util; print(course.__file__, " \
          "importlib.util.find_spec('course._grader_copy') is not None)"


def copy_of_the_package(tmp_path: Path) -> Path:
    """A second copy of the course package, as an editable install elsewhere would make."""
    lib = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "course", lib / "course",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (lib / "course" / "_grader_copy.py").write_text("")
    return lib


def environment_copy() -> Path:
    """The course package the Python environment itself imports (the folder an editable install
    points at, or site-packages), as a fresh interpreter outside any test folder finds it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", "import course; print(course.__file__)"],
                          cwd="/", env=env, capture_output=True, text=True, check=True)
    return Path(proc.stdout.strip()).parent


def kernel_package(lib: Path, protections: Protections, tmp_path: Path) -> str:
    """What a sandbox made by a grader that loaded ``lib/course`` imports as ``course``, when the
    environment's own copy of the package is visible in the sandbox as well (as it is when the
    course is installed into the environment, or the editable install's folder is shown)."""
    script = textwrap.dedent(f"""
        import subprocess, sys
        from pathlib import Path
        sys.path.insert(0, {str(lib)!r})
        from course.sandbox import bwrap
        from course.protections import Protections
        shown = bwrap.python_paths()
        bwrap.python_paths = lambda: [*shown, Path({str(environment_copy())!r})]
        cmd = bwrap.command([sys.executable, "-c", {PACKAGE!r}], __import__("pathlib").Path(
            {str(tmp_path)!r}), bwrap.Limits(), Protections(grader_package={protections.grader_package}))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        print(proc.stdout.strip() or proc.stderr.strip()[-300:])
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60).stdout.strip()


def test_the_kernel_imports_exactly_the_package_the_grader_loaded(tmp_path):
    lib = copy_of_the_package(tmp_path)
    assert kernel_package(lib, Protections(), tmp_path) == \
        f"{bwrap.PACKAGE_ROOT}/course/__init__.py True"


def test_control_without_the_pin_the_kernel_imports_the_environments_copy(tmp_path):
    """Not an import error: another copy that exists, which the grader never loaded."""
    lib = copy_of_the_package(tmp_path)
    found = kernel_package(lib, Protections(grader_package=False), tmp_path)
    assert found == f"{environment_copy()}/__init__.py False", found
    assert environment_copy() != lib / "course"


def test_the_probe_names_the_real_cause_when_the_copies_differ():
    """Without the pin the sandbox finds the package through the environment, elsewhere than
    where the grader's copy is shown: the probe says so, not "user namespaces"."""
    bwrap.check(Protections())
    with pytest.raises(bwrap.SandboxUnavailable, match="imported the course package from"):
        bwrap.check(Protections(grader_package=False))


# ---------------------------------------------------------------- sockets off the host's disk
FILL_RUNTIME = """
import glob, os
for folder in glob.glob("/tmp/course-kernel-*") + ["/run/kernel"]:
    try:
        for n in range(10):   # files of 10 MB: each one under the 64 MB file-size limit
            with open(os.path.join(folder, f"fill{n}.bin"), "wb") as f:
                f.write(b"x" * (10 << 20))
        print("wrote 100 MB into", folder)
    except OSError as err:
        print("refused in", folder, type(err).__name__)
"""


def test_the_kernel_cannot_write_to_the_host_through_its_sockets_folder():
    out, _ = run(FILL_RUNTIME)
    assert "refused in /run/kernel" in out and "wrote 100 MB" not in out


def test_control_with_the_sockets_in_a_host_folder_the_kernel_fills_it(tmp_path_factory):
    with host_disk(tmp_path_factory, measuring=False):   # it writes to the host's disk
        out, km = run(FILL_RUNTIME, config("private_sockets"))
    assert f"wrote 100 MB into {km._runtime}" in out


def test_control_with_the_sockets_in_a_host_folder_the_hostile_checks_fail(tmp_path_factory):
    """The hostile class's deep trees and filler, with the sockets in a host folder: both write
    there, and the checks the hostile suites apply to them name that folder, so they can fail."""
    with host_disk(tmp_path_factory, measuring=False):
        deep, deep_km = run(hostile_cases.DEEP_TREES, config("private_sockets"))
        filler = hostile_cases.filesystem_filler(80, 20)
        with PeakGrowth(Path(tempfile.gettempdir())) as growth:
            filled, fill_km = run(filler, config("private_sockets"))
    assert f"DEEP {deep_km._runtime} on {deep_km._runtime}: made 1500 folders deep" in deep
    assert str(deep_km._runtime) in (hostile_cases.deep_trees_problem(deep) or ""), deep
    assert f"FILL {fill_km._runtime}/f on {fill_km._runtime}: wrote 80 MB" in filled
    assert str(fill_km._runtime) in (hostile_cases.filler_problem(filled) or ""), filled
    # The 100 MB went with the kernel's folder: only the peak, sampled while it ran, shows them.
    assert growth.peak["disk"] - growth.final["disk"] > 64 << 20, (growth.peak, growth.final)


@pytest.mark.parametrize("code", ["import os; os.makedirs('/tmp/a/b/c'); print('ok')",
                                  "import os; os.kill(os.getpid(), 9)"], ids=["ended", "died"])
def test_nothing_of_a_kernel_is_left_on_the_host(code):
    """Whether the kernel is shut down or dies (nbclient shuts down only a live one)."""
    _, km = run(code)
    assert not km._runtime.exists()
    assert km._cgroup is None


# ---------------------------------------------------------------- memory and processes, shared
SPREAD = """
import subprocess, sys
hog = "b = bytearray(450 << 20)\\nfor i in range(0, len(b), 4096): b[i] = 1\\nimport time; time.sleep(3)"
kids = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(3)]
print(f"children done: {sum(k.wait() == 0 for k in kids)} of 3")
"""
FLOOD = """
import subprocess
kids = []
try:
    for _ in range(150):
        kids.append(subprocess.Popen(["sleep", "30"]))
except OSError as err:
    pass
print("started", len(kids))
for kid in kids:
    kid.kill()
"""
# The watchdog looks every tenth of a second from a thread of a busy grader: the flood stays up
# long enough for a look even on a loaded machine, and a watchdog that never looks still fails.
HELD_FLOOD = FLOOD.replace('print("started", len(kids))\n',
                           'print("started", len(kids))\nimport time\ntime.sleep(20)\n')
assert HELD_FLOOD != FLOOD, "the flood's text changed: hold it again"


def test_children_share_the_memory_budget():
    out, km = run(SPREAD, config(memory_mb=1024))
    assert "children done: 3 of 3" not in out
    assert "children done:" in out or "memory in all" in (km.ending() or "")


def test_control_per_process_limits_let_children_take_three_times_the_budget():
    out, _ = run(SPREAD, config("shared_budget", memory_mb=1024))
    assert "children done: 3 of 3" in out


def started(out: str) -> int:
    return int(re.search(r"started (\d+)", out).group(1))


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


MEMFD = "import os\ntry:\n    os.memfd_create('x'); print('memfd made')\n" \
        "except OSError as err:\n    print('memfd refused', err.errno)"


@pytest.mark.skipif(not seccomp.supported(), reason="no seccomp table for this architecture")
def test_memory_that_no_process_holds_cannot_be_made():
    assert "memfd refused 1" in run(MEMFD)[0]


def test_control_without_the_filter_memfd_is_allowed():
    assert "memfd made" in run(MEMFD, config("shared_budget"))[0]


INOTIFY = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfd = libc.inotify_init1(0)\n"
           "print('inotify', 'made' if fd >= 0 else f'refused {ctypes.get_errno()}')")


@pytest.mark.skipif(not seccomp.supported(), reason="no seccomp table for this architecture")
def test_no_inotify_instance_is_taken_from_the_hosts_quota():
    assert "inotify refused 1" in run(INOTIFY)[0]


def test_control_without_the_filter_inotify_is_allowed():
    assert "inotify made" in run(INOTIFY, config("shared_budget"))[0]


def test_every_refused_call_is_known_on_some_architecture():
    known = set().union(*(names for _, names in seccomp._TABLES.values()))
    assert set(seccomp.REFUSED) <= known


# ---------------------------------------------------------------- one huge message
BOMB = "from IPython.display import display\ndisplay({'text/plain': 'x' * (300 << 20)}, raw=True)"


def grader_peak_mb(off: str | None) -> tuple[int, str]:
    """Run the bomb in a fresh grader process; (its peak memory in MB, what it reported).

    The peak is the process image's own (VmHWM): getrusage's ru_maxrss also counts the parent's
    pages at the fork before exec, so under xdist it would measure the test worker instead.
    """
    script = textwrap.dedent(f"""
        import re, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_sandbox import run, config
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


# ---------------------------------------------------------------- a grader that died
MAKE_AND_DIE = """
import os, sys
from course.sandbox import cgroup
group = cgroup.make(64 << 20, 8)
print(group.leaves and list(group.leaves.values())[0], flush=True)
if sys.argv[1] == "die":
    os._exit(0)   # as a worker killed mid-run: no clean-up
sys.stdin.read()
"""


def test_a_dead_graders_cgroup_is_swept_and_a_live_ones_is_kept():
    """A worker killed mid-grading leaves its sandbox's cgroup (the control: it is still there
    after the worker died); the next sandbox made removes it, never one whose grader runs."""
    probe = cgroup.make(64 << 20, 8)
    assert probe is not None, "this machine cannot make cgroups (not root?)"
    probe.remove()
    dead = subprocess.run([sys.executable, "-c", MAKE_AND_DIE, "die"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    orphan = Path(dead.stdout.strip())
    assert orphan.is_dir(), "the dead grader's cgroup should still be there before a sweep"
    live = subprocess.Popen([sys.executable, "-c", MAKE_AND_DIE, "live"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    kept = Path(live.stdout.readline().strip())   # made after sweeping the orphans
    try:
        assert not orphan.exists()
        assert kept.is_dir() and kept not in cgroup.sweep_orphans()
    finally:
        live.communicate("", timeout=30)
    assert kept in cgroup.sweep_orphans() and not kept.exists()


MATPLOTLIBS_ANSWER = ("import matplotlib; from matplotlib import font_manager; "
                      "print(matplotlib.get_cachedir() + '/fontlist-v' + "
                      "font_manager.FontManager.__version__ + '.json')")


@pytest.mark.parametrize("setting", ["default", "MPLCONFIGDIR", "XDG_CACHE_HOME"])
def test_the_font_list_is_found_where_matplotlib_keeps_it(setting, tmp_path):
    """The sandbox binds the host's font list, found without importing matplotlib: the same
    file matplotlib itself reads (each asked in a fresh process, under the same settings)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CACHE_HOME")}
    if setting != "default":
        env[setting] = str(tmp_path / setting)
    ours = ("import sys; from course.sandbox import bwrap; print(bwrap.font_list_path()); "
            "print('matplotlib' in sys.modules)")
    run = lambda code: subprocess.run([sys.executable, "-c", code], env=env, check=True,  # noqa: E731
                                      capture_output=True, text=True).stdout.split()
    found, imported = run(ours)
    assert imported == "False"
    assert Path(found) == Path(run(MATPLOTLIBS_ANSWER)[-1]).resolve()


def test_a_missing_font_list_is_built_by_matplotlib_and_then_bound(tmp_path):
    """On a machine where matplotlib has not yet saved its font list, it is asked to (in a fresh
    process: matplotlib keeps the folder it found for the rest of a process's life)."""
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}
    code = ("from course.sandbox import bwrap; before = bwrap.font_list_path().exists(); "
            "print(before, bwrap._font_cache() == bwrap.font_list_path())")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                         text=True).stdout.split()
    assert out == ["False", "True"]
    assert len(list(tmp_path.glob("fontlist-v*.json"))) == 1
