"""Benchmark: stock nbgrader autograde (serial, minimal config) against course grade --jobs N.

Both grade the same N fictional honest submissions of Module 1, in the same run, on this machine.
It prints both wall times, the ratio, the scores' agreement, and the seconds per notebook of
course grade's workers against a floor: a bare kernel start plus the notebook's own execution,
measured here too. Speed is judged by these printed ratios, never by timed tests.

    .venv/bin/python bench/grade_bench.py [--students 20] [--jobs 2]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
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
        if a != b:
            sys.exit("scores differ between stock nbgrader and course grade")


if __name__ == "__main__":
    main()
