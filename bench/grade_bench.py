"""Benchmark: stock nbgrader autograde (serial, minimal config) against course grade --jobs N.

Both grade the same N fictional honest submissions of Module 1, in the same run, on this machine.
It prints both wall times, the ratio, the scores' agreement, and the seconds per notebook of
course grade's workers against a floor: a bare kernel start plus the notebook's own execution,
measured here too. Speed is judged by these printed ratios, never by timed tests.

With --dask it also grades them on a Dask cluster on this machine (`dask scheduler` and --jobs
workers of one thread, started by the bench with Dask's own commands and stopped after), so the
cost of distribution (packing, sending, unpacking, Dask's own bookkeeping) is printed beside
`course grade --jobs N`; the cluster's start is timed apart.

    .venv/bin/python bench/grade_bench.py [--students 20] [--jobs 2] [--dask]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course import class_grader, content, demo, keys, notebooks  # noqa: E402
from course import submissions as subs  # noqa: E402
from course.build import nbgrader, scratch_course  # noqa: E402
from course.gradebook import db_url, scores  # noqa: E402

FOLDER = "m1_first_contact"


def prepare(base: Path, students: int) -> None:
    scratch_course(ROOT, base, [FOLDER])
    nbgrader(base, "generate_assignment", FOLDER, "--force")
    module = content.module("m1")
    module_keys = keys.load(base, module)
    release = notebooks.read(notebooks.release_notebook(base, module))
    rng = random.Random(7)
    profiles = list(demo.PROFILES.values())
    for n in range(students):
        nb, clicks = demo.simulate(module_keys, release, profiles[n % len(profiles)], rng)
        subs.write_submission(base / "submitted", f"learner{n:03d}", FOLDER, "first_contact",
                              nb, clicks)


def floor_seconds(base: Path, runs: int = 3) -> float:
    """A bare kernel start plus executing one answered notebook, no grading around it."""
    folder = base / "submitted" / "learner000" / FOLDER
    times = []
    for _ in range(runs):
        nb = nbformat.read(str(folder / "first_contact.ipynb"), as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, kernel_name="python3", timeout=120,
                       resources={"metadata": {"path": str(folder)}}).execute()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dask", action="store_true",
                        help="also grade on a local Dask cluster of --jobs workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        prepare(base, args.students)

        stock = Path(tmp) / "stock"
        shutil.copytree(base, stock)
        (stock / "nbgrader_config.py").write_text("c = get_config()\n")  # stock nbgrader
        start = time.perf_counter()
        nbgrader(stock, "autograde", FOLDER, "--force")
        stock_s = time.perf_counter() - start

        ours = Path(tmp) / "ours"
        shutil.copytree(base, ours)
        start = time.perf_counter()
        summary = class_grader.grade(ours, [FOLDER], jobs=args.jobs, force=True, progress=False)
        ours_s = time.perf_counter() - start
        if not summary.ok:
            sys.exit(class_grader.report(summary))

        if args.dask:
            on_dask = Path(tmp) / "dask"
            shutil.copytree(base, on_dask)
            with dask_cluster(Path(tmp), args.jobs) as (address, dask_start_s):
                start = time.perf_counter()
                summary = class_grader.grade(on_dask, [FOLDER], force=True, progress=False,
                                             scheduler=address)
                dask_s = time.perf_counter() - start
            if not summary.ok:
                sys.exit(class_grader.report(summary))

        floor = floor_seconds(base)
        a = {s: v["auto"] for s, v in scores(db_url(stock), FOLDER).items()}
        b = {s: v["auto"] for s, v in scores(db_url(ours), FOLDER).items()}
        per_notebook = ours_s * args.jobs / args.students
        print(f"submissions: {args.students}  (Module 1, fictional learners)")
        print(f"stock nbgrader autograde, serial, no sandbox: {stock_s:7.1f} s")
        print(f"course grade --jobs {args.jobs}, sandboxed:          {ours_s:7.1f} s")
        print(f"ratio (stock / course grade):                {stock_s / ours_s:7.2f}x  (target >= 1.7x)")
        print(f"scores identical:                            {a == b}  ({len(a)} learners)")
        print(f"floor, bare kernel + notebook execution:     {floor:7.2f} s per notebook")
        print(f"course grade, per notebook per worker:       {per_notebook:7.2f} s "
              f"= {per_notebook / floor:.2f}x the floor  (target <= 1.5x)")
        if args.dask:
            c = {s: v["auto"] for s, v in scores(db_url(on_dask), FOLDER).items()}
            print(f"course grade on Dask, {args.jobs} local workers:    {dask_s:7.1f} s  "
                  f"(the cluster started in {dask_start_s:.1f} s, not counted)")
            print(f"cost of distribution (Dask / --jobs {args.jobs}):     {dask_s / ours_s:7.2f}x  "
                  f"= {(dask_s - ours_s) / args.students:+.2f} s per submission")
            print(f"scores identical on Dask:                    {c == b}  ({len(c)} learners)")
            if c != b:
                sys.exit("scores differ between course grade here and on Dask")
        if a != b:
            sys.exit("scores differ between stock nbgrader and course grade")


if __name__ == "__main__":
    main()
