"""Benchmark: stock nbgrader autograde (serial, minimal config) against course grade --jobs N.

Both grade the same N fictional honest submissions of Module 1, in the same run, on this machine,
and their scores must be identical (as must those of `nbgrader autograde` with the course's
config, timed too: it grades in warm kernels as course grade does, one notebook at a time). It
prints the wall times and the ratio; where one submission's time goes in course grade (sandbox,
kernel start, imports, the learner's cells, nbgrader's own steps, merging); and the seconds per
notebook and worker against three floors measured here too: a cold kernel started and the
notebook run in it; the learner's cells alone in a kernel already started with the course's
imports done (the floor the target is set against); and the learners' notebooks run as course
grade's kernels run them, each in a fresh sandbox of its own, with nothing of nbgrader's (what
keeping students apart costs, beside what nbgrader's steps do). Last, the CPU time per
submission by process (the students' kernels, the grading workers, the parent) beside the floor's
(its kernel and its client): on a machine whose cores course grade keeps busy, CPU time is what
the seconds per notebook and worker are made of. Speed is judged by these printed figures, never
by timed tests.

With --dask it also grades them on a Dask cluster on this machine (`dask scheduler` and --jobs
workers of one thread, started by the bench with Dask's own commands and stopped after), so the
cost of distribution (packing, sending, unpacking, Dask's own bookkeeping) is printed beside
`course grade --jobs N`; the cluster's start is timed apart.

    .venv/bin/python bench/grade_bench.py [--students 24] [--jobs 2] [--dask]
    .venv/bin/python bench/grade_bench.py --long 1000   # course grade alone: flat time, memory
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course import class_grader, content, keys, notebooks, timings  # noqa: E402
from course import submissions as subs  # noqa: E402
from course.build import nbgrader, scratch_course, scripts_first  # noqa: E402
from course.gradebook import db_url, scores  # noqa: E402

FOLDER, NAME = "m1_first_contact", "first_contact"
#: The rows of one submission's breakdown: (label, the timing parts it adds up).
BREAKDOWN = [("sandbox: made and torn down", ("sandbox",)),
             ("kernel start, until it answers", ("kernel start",)),
             ("imports (the notebook's import cells)", ("imports",)),
             ("the learner's other cells", ("cells",)),
             ("nbgrader's own steps (and the worker's)", ("nbgrader",)),
             ("merging into the gradebook (parent)", ("merging",))]


def prepare(base: Path, students: int) -> None:
    # Imported here: only making the submissions needs course.demo (matplotlib and the widgets).
    from course import demo
    scratch_course(ROOT, base, [FOLDER])
    nbgrader(base, "generate_assignment", FOLDER, "--force")
    module = content.module("m1")
    module_keys = keys.load(base, module)
    release = notebooks.read(notebooks.release_notebook(base, module))
    rng = random.Random(7)
    profiles = list(demo.PROFILES.values())
    for n in range(students):
        nb, clicks = demo.simulate(module_keys, release, profiles[n % len(profiles)], rng)
        subs.write_submission(base / "submitted", f"learner{n:04d}", FOLDER, NAME, nb, clicks)


def learner(base: Path, n: int):
    folder = base / "submitted" / f"learner{n:04d}" / FOLDER
    return folder, nbformat.read(str(folder / f"{NAME}.ipynb"), as_version=4)


def cold_floor(base: Path, runs: int = 3) -> float:
    """A bare kernel started (no sandbox) and one learner's notebook run in it, nothing else."""
    times = []
    for n in range(runs):
        folder, nb = learner(base, n)
        start = time.perf_counter()
        NotebookClient(nb, kernel_name="python3", timeout=120,
                       resources={"metadata": {"path": str(folder)}}).execute()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def warm_floor(base: Path, runs: int = 3) -> tuple[float, float, float]:
    """The learner's cells alone, in a bare kernel already started, with the course's imports
    (the notebook's import cells) already run in it: each run in a kernel of its own. The medians
    of the wall time, of the kernel's CPU time and of the client's (this process's) CPU time."""
    times, kernel_cpu, client_cpu = [], [], []
    for n in range(runs):
        folder, nb = learner(base, n)
        client = NotebookClient(nb, kernel_name="python3", timeout=120,
                                resources={"metadata": {"path": str(folder)}})
        code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        with client.setup_kernel():
            for index, cell in code:
                if timings.only_imports(cell.source):
                    client.execute_cell(cell, index)
            kernel = client.km.provisioner.process.pid
            start, kernel_start, client_start = time.perf_counter(), _cpu(kernel), _own_cpu()
            for index, cell in code:
                if not timings.only_imports(cell.source):
                    client.execute_cell(cell, index)
            times.append(time.perf_counter() - start)
            kernel_cpu.append(_cpu(kernel) - kernel_start)
            client_cpu.append(_own_cpu() - client_start)
    return tuple(statistics.median(v) for v in (times, kernel_cpu, client_cpu))


def sandboxed_floor(base: Path, students: int, jobs: int) -> float:
    """The learners' notebooks run as course grade's kernels run them, each in a fresh sandbox of
    its own (a kernel forked from the warm process, every protection of the course's config on),
    by ``jobs`` processes forked as course grade's workers are, with nothing of nbgrader's: the
    seconds per notebook and worker, timed once each process has run one notebook to warm up.
    What course grade's pace has above it is nbgrader's steps, the hidden tests and merging."""
    from concurrent.futures import ProcessPoolExecutor

    from course import course_config, worker_pool
    from course.sandbox import warm

    config = course_config.load(base).config
    context = worker_pool.context()
    warmed = context.Barrier(jobs + 1)
    with warm.shared(config) as handoff, \
            ProcessPoolExecutor(jobs, mp_context=context, initializer=_sandboxed_worker,
                                initargs=(handoff(), base, config, warmed)) as pool:
        futures = [pool.submit(_run_sandboxed, base, config, n) for n in range(students)]
        warmed.wait(timeout=300)   # raises if a process failed to warm up
        start = time.perf_counter()
        for future in futures:
            future.result()
        return (time.perf_counter() - start) * jobs / students


def _sandboxed_worker(handoff, base: Path, config, warmed) -> None:
    from course.sandbox import warm

    if handoff:
        warm.adopt(*handoff)
    _run_sandboxed(base, config, 0)
    warmed.wait()


def _run_sandboxed(base: Path, config, n: int) -> None:
    from course.safe_execute import SafeExecute

    folder, nb = learner(base, n)
    SafeExecute(config=config).preprocess(nb, {"metadata": {"path": str(folder)}})


def run_course_grade(course: Path, jobs: int, cpu: "CpuMeter | None" = None):
    start = time.perf_counter()
    STARTED[course] = time.monotonic()   # the clock of the summary's "merged at"
    if cpu:
        cpu.start()
    summary = class_grader.grade(course, [FOLDER], jobs=jobs, force=True, progress=False)
    if cpu:
        cpu.finish()
    seconds = time.perf_counter() - start
    if not summary.ok:
        sys.exit(class_grader.report(summary))
    return summary, seconds


#: When each course grade run began (time.monotonic), by course folder.
STARTED: dict = {}


def start_up(summary, started: float, jobs: int) -> tuple[float, float]:
    """(seconds until the first submission was merged, seconds per notebook and worker after
    it): the first holds what a run pays once (the warm process, the gradebook template, the
    workers' imports where this process lacks them) and the first submission; the second is the
    pace after it."""
    merged = sorted(t["merged at"] for t in summary.timings)
    pace = (merged[-1] - merged[0]) * jobs / (len(merged) - 1) if len(merged) > 1 else 0.0
    return merged[0] - started, pace


def breakdown(summary) -> list[tuple[str, float, float, float]]:
    """(label, median, lowest, highest seconds) of each part, over the graded submissions."""
    rows = []
    for label, parts in BREAKDOWN:
        values = [sum(t.get(p, 0.0) for p in parts) for t in summary.timings]
        rows.append((label, statistics.median(values), min(values), max(values)))
    return rows


def machine() -> str:
    return (f"{datetime.date.today().isoformat()}, {platform.node()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


@contextmanager
def dask_cluster(folder: Path, workers: int):
    """A `dask scheduler` and ``workers`` one-thread `dask worker` processes on loopback; the
    scheduler's address, and the seconds the cluster took to start (all workers joined)."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    info = folder / "scheduler.json"
    started = time.perf_counter()
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(info)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        while not (info.exists() and info.stat().st_size):
            time.sleep(0.05)
        address = json.loads(info.read_text())["address"]
        for n in range(workers):
            procs.append(subprocess.Popen(
                [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                 "--no-dashboard", "--local-directory", str(folder / f"worker{n}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        with Client(address) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address, time.perf_counter() - started
    finally:
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def on_dask(tmp: Path, base: Path, students: int, jobs: int, ours_s: float, ours: dict) -> None:
    """The same submissions graded on a local Dask cluster of ``jobs`` workers."""
    course = tmp / "dask"
    shutil.copytree(base, course)
    with dask_cluster(tmp, jobs) as (address, start_s):
        start = time.perf_counter()
        summary = class_grader.grade(course, [FOLDER], force=True, progress=False,
                                     scheduler=address)
        dask_s = time.perf_counter() - start
    if not summary.ok:
        sys.exit(class_grader.report(summary))
    got = {s: v["auto"] for s, v in scores(db_url(course), FOLDER).items()}
    print(f"course grade on Dask, {jobs} local workers:    {dask_s:7.1f} s  "
          f"(the cluster started in {start_s:.1f} s, not counted)")
    print(f"cost of distribution (Dask / --jobs {jobs}):     {dask_s / ours_s:7.2f}x  "
          f"= {(dask_s - ours_s) / students:+.2f} s per submission")
    print(f"scores identical on Dask:                    {got == ours}  ({len(got)} learners)")
    if got != ours:
        sys.exit("scores differ between course grade here and on Dask")


def compare(tmp: Path, students: int, jobs: int, dask: bool = False) -> None:
    base = tmp / "base"
    base.mkdir()
    prepare(base, students)

    stock = tmp / "stock"
    shutil.copytree(base, stock)
    (stock / "nbgrader_config.py").write_text("c = get_config()\n")  # stock nbgrader
    start = time.perf_counter()
    nbgrader(stock, "autograde", FOLDER, "--force")
    stock_s = time.perf_counter() - start

    ours = tmp / "ours"
    shutil.copytree(base, ours)
    cpu = CpuMeter()
    summary, ours_s = run_course_grade(ours, jobs, cpu)

    serial = tmp / "serial"   # nbgrader's own command with the course's config: warm kernels too
    shutil.copytree(base, serial)
    start = time.perf_counter()
    nbgrader(serial, "autograde", FOLDER, "--force")
    serial_s = time.perf_counter() - start

    cold, (warm, floor_kernel, floor_client) = cold_floor(base), warm_floor(base)
    sandboxed = sandboxed_floor(base, students, jobs)
    a = {s: v["auto"] for s, v in scores(db_url(stock), FOLDER).items()}
    b = {s: v["auto"] for s, v in scores(db_url(ours), FOLDER).items()}
    c = {s: v["auto"] for s, v in scores(db_url(serial), FOLDER).items()}
    per_notebook = ours_s * jobs / students
    print(f"{machine()}")
    print(f"submissions: {students}  (Module 1, fictional learners)")
    print(f"stock nbgrader autograde, serial, no sandbox: {stock_s:7.1f} s")
    print(f"course grade --jobs {jobs}, sandboxed:          {ours_s:7.1f} s")
    print(f"ratio (stock / course grade):                {stock_s / ours_s:7.2f}x  (target >= 3x)")
    print(f"nbgrader autograde, course config, serial:   {serial_s:7.1f} s  "
          f"({stock_s / serial_s:.2f}x stock)")
    print(f"scores identical:                            {a == b == c}  ({len(a)} learners, "
          "all three)")
    print("one submission in course grade, seconds (median, lowest, highest over the run):")
    for label, median, low, high in breakdown(summary):
        print(f"  {label:<42} {median:6.3f}  ({low:.3f} to {high:.3f})")
    print(f"course grade, per notebook and worker:       {per_notebook:7.2f} s")
    first, pace = start_up(summary, STARTED[ours], jobs)
    print(f"  of it, until the first submission merged:   {first:7.2f} s  "
          f"({first * jobs / students:.2f} s per notebook and worker)")
    print(f"  after it, per notebook and worker:          {pace:7.2f} s  "
          f"-> {pace / warm:.2f}x the warm floor")
    print(f"  floor, cold kernel + notebook:             {cold:7.2f} s  "
          f"-> {per_notebook / cold:.2f}x the floor")
    print(f"  floor, learner's cells in a warm kernel:   {warm:7.2f} s  "
          f"-> {per_notebook / warm:.2f}x the floor  (target <= 1.3x)")
    print(f"  floor, the learners' notebooks in a fresh sandbox each, no nbgrader, {jobs} "
          f"processes:\n                                             {sandboxed:7.2f} s  "
          f"-> {sandboxed / warm:.2f}x the warm floor; the pace above is {pace / sandboxed:.2f}x "
          "it")
    print(f"CPU per submission, core-seconds (course grade kept {cpu.busy_share():.0%} of the "
          f"{os.cpu_count()} cores busy):")
    for label, seconds in cpu.per_submission(students):
        print(f"  {label:<42} {seconds:6.3f}")
    print(f"  floor: the kernel {floor_kernel:.3f} + the client {floor_client:.3f} = "
          f"{floor_kernel + floor_client:.3f}")
    if not a == b == c:
        sys.exit("scores differ between stock nbgrader and the course's graders")
    if dask:
        on_dask(tmp, base, students, jobs, ours_s, b)


# ---------------------------------------------------------------- CPU time
def _cpu(pid: int) -> float:
    """A process's CPU time so far (user and system), in seconds; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _machine_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), sum(ticks) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Where course grade's CPU time goes: its own process (the parent: planning, merging), its
    grading workers (nbgrader's steps and the kernel messaging; sampled, they live for the whole
    run), and the rest of the machine's busy time, which on an otherwise idle machine is the
    students' kernels, the warm process they fork from and their sandboxes (short-lived
    processes that sampling would undercount)."""

    def __init__(self):
        self.me, self.workers, self.stop = os.getpid(), {}, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self.machine, self.parent = _machine_cpu(), _own_cpu()
        self.before = set(_descendants(self.me))
        self.thread.start()

    def _sample(self) -> None:
        while not self.stop.wait(0.1):
            for pid in _descendants(self.me):
                if _role(pid, self.me) == "worker":
                    now = _cpu(pid)
                    # A worker started during the run counts from zero (its start-up too).
                    first = self.workers.get(pid, (now if pid in self.before else 0.0, 0))[0]
                    self.workers[pid] = (first, now)
        self.sampling = time.thread_time()   # the sampler's own time, not the parent's

    def finish(self) -> None:
        self.stop.set()
        self.thread.join()
        busy, total = _machine_cpu()
        self.busy = busy - self.machine[0]
        self.total = total - self.machine[1]
        self.parent = _own_cpu() - self.parent - self.sampling
        self.worker = sum(last - first for first, last in self.workers.values())

    def busy_share(self) -> float:
        return self.busy / self.total if self.total else 0.0

    def per_submission(self, n: int) -> list[tuple[str, float]]:
        rest = self.busy - self.parent - self.worker
        return [("students' kernels, warm process, sandboxes", rest / n),
                ("grading workers (nbgrader, messaging)", self.worker / n),
                ("parent (plan, template, merging)", self.parent / n),
                ("in all", self.busy / n)]


# ---------------------------------------------------------------- the long run
def _status(pid: int) -> dict:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {k: int(v) // 1024 for k, v in re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", text, re.M)}


def _argv(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _role(pid: int, me: int) -> str | None:
    """What a process of this run is: the grader (parent), a worker, or the warm process; None
    for the rest (the students' kernels, bubblewrap). A fork keeps its parent's command line, so
    they are told apart by their parents': a worker is the grader's fork, a kernel's setup
    process the warm process's."""
    if pid == me:
        return "parent"
    argv, parent = _argv(pid), _parent(pid)
    if argv[1:3] == ["-m", "course.sandbox.zygote"]:
        return None if _argv(parent)[1:3] == argv[1:3] else "warm process"
    if parent == me and argv == _argv(me):
        return "worker"
    return None


def _descendants(root: int) -> list[int]:
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:   # it ended since its parent listed it
            continue
        for task in tasks:
            try:
                pending += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


class MemorySampler(threading.Thread):
    """Every half second: the resident memory (VmRSS) of the grader's processes by role, and each
    one's peak (VmHWM, the process's own; getrusage would count a forked parent's pages)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.me = os.getpid()
        self.peak: dict = {}        # role -> largest VmHWM of a process in that role (MB)
        self.rss: list = []         # (time.monotonic(), {role: largest VmRSS (MB)})
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            now = {}
            for pid in _descendants(self.me):
                role = _role(pid, self.me)
                status = _status(pid) if role else {}
                if status:
                    self.peak[role] = max(self.peak.get(role, 0), status["VmHWM"])
                    now[role] = max(now.get(role, 0), status["VmRSS"])
            self.rss.append((time.monotonic(), now))

    def rss_at(self, moment: float) -> dict:
        before = [rss for at, rss in self.rss if at <= moment]
        return before[-1] if before else {}


def long_run(tmp: Path, students: int, jobs: int) -> None:
    base = tmp / "long"
    base.mkdir()
    prepare(base, students)
    sampler = MemorySampler()
    sampler.start()
    began = time.monotonic()
    summary, seconds = run_course_grade(base, jobs)
    sampler.stop.set()
    sampler.join()
    merged = [t["merged at"] for t in summary.timings]
    # Each hundred from the merge before its first: the start-up, before the first merge, is
    # printed apart (it is paid once, not per hundred).
    first, last = merged[100] - merged[0], merged[-1] - merged[-101]
    print(f"{machine()}")
    print(f"{students} submissions, course grade --jobs {jobs}: {seconds:.0f} s "
          f"(the first merged {merged[0] - began:.1f} s after the start)")
    print(f"first hundred graded in {first:.1f} s; last hundred in {last:.1f} s "
          f"({(last - first) / first:+.1%}; target within 10%)")
    cells = [statistics.median(t.get("cells", 0.0) for t in summary.timings[a:b])
             for a, b in ((1, 101), (-100, None))]
    print(f"  the learner's cells (the same work in every hundred, which the grader does not "
          f"change) took {(cells[1] - cells[0]) / cells[0]:+.1%}: the machine's own pace")
    warm = warm_floor(base)[0]
    per_notebook, pace = seconds * jobs / students, (first + last) / 2 * jobs / 100
    print(f"per notebook and worker: {per_notebook:.2f} s over the run, {pace:.2f} s in those two "
          f"hundreds; the warm floor, measured after: {warm:.2f} s -> {per_notebook / warm:.2f}x "
          f"and {pace / warm:.2f}x (target <= 1.3x)")
    print("each hundred: seconds, then the medians of one submission's parts (s): the "
          "learner's cells, nbgrader's steps, sandbox, kernel start, merging")
    # Counted as the first and last hundred above are: from the merge before each one's first.
    ends = sorted({*range(100, len(merged), 100), len(merged) - 1})
    for end in ends:
        parts = summary.timings[end - 99:end + 1]
        medians = [statistics.median(t.get(p, 0.0) for t in parts)
                   for p in ("cells", "nbgrader", "sandbox", "kernel start", "merging")]
        print(f"  {end - 98:4d}-{end + 1:<4d} {merged[end] - merged[end - 100]:6.1f}  "
              + "  ".join(f"{m:.3f}" for m in medians))
    print("resident memory (MB), largest process of each role, when the first hundred were "
          "graded and at the end:")
    early, late = sampler.rss_at(merged[99]), sampler.rss_at(merged[-1])
    for role in ("parent", "worker", "warm process"):
        print(f"  {role:<13} {early.get(role, 0):6d} -> {late.get(role, 0):6d}")
    print("peak memory (VmHWM, MB) of the grader's processes: " + ", ".join(
        f"{role} {mb}" for role, mb in sorted(sampler.peak.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dask", action="store_true",
                        help="also grade on a local Dask cluster of --jobs workers")
    parser.add_argument("--long", type=int, default=0, metavar="N",
                        help="instead: course grade alone on N generated submissions (at least "
                             "200): the time of the first and last hundred, and memory")
    args = parser.parse_args()
    scripts_first(os.environ)
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        if args.long:
            if args.long < 200:
                parser.error("--long needs at least 200 submissions (two hundreds to compare)")
            long_run(Path(tmp), args.long, args.jobs)
        else:
            compare(Path(tmp), args.students, args.jobs, args.dask)


if __name__ == "__main__":
    main()
