"""Benchmark: build the instructor report for 1,000 learners x 5 modules.

The class is generated (course.report.synthetic): a real nbgrader SQLite gradebook, written through
nbgrader's API and bulk inserts into its tables, and each learner's answers as grading leaves them
(typed into a graded notebook or clicked into the answers file). Only building the report is timed,
phase by phase. Run: .venv/bin/python bench/report_bench.py [--learners N] [--modules M]
This prints times; no test asserts on them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from course.report import analysis, export, feedback, figures, gather, page, synthetic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--modules", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        course_dir = Path(tmp)
        url = f"sqlite:///{course_dir / 'gradebook.db'}"
        mods = synthetic.modules(args.modules)
        start = time.perf_counter()
        subs, duedates = synthetic.random_class(mods, args.learners, seed=8)
        synthetic.write_gradebook(url, mods, subs, duedates)
        synthetic.write_answers(course_dir, subs)
        setup = time.perf_counter() - start
        print(f"Generated {args.learners} learners x {args.modules} modules "
              f"({len(subs)} submissions, {sum(len(m.items) + len(m.reflections) for m in mods)}"
              f" graded cells per learner) in {setup:.1f} s (not timed below).")

        out = course_dir / "report"
        (out / "figures").mkdir(parents=True)
        times = {}

        def timed(name, fn, *a):
            t = time.perf_counter()
            value = fn(*a)
            times[name] = time.perf_counter() - t
            return value

        data = timed("read gradebook", gather.read_gradebook, url)
        timed("read answers", gather.read_answers, data, mods, course_dir)
        result = timed("statistics", analysis.analyse, mods, data)
        files = timed("CSV tables and exports", export.write_all, result, out)
        rendered = timed("figures", figures.all_figures, result)
        notes = timed("feedback", feedback.write_all, result, out / "feedback")
        timed("HTML page", lambda: (out / "report.html").write_text(
            page.render(result, rendered, files, len(notes)), encoding="utf-8"))
        total = sum(times.values())
        for name, seconds in times.items():
            print(f"  {name:<24} {seconds:6.2f} s")
        size = (out / "report.html").stat().st_size
        print(f"Report for {len(result.learners)} learners x {len(result.modules)} modules built in "
              f"{total:.1f} s ({len(rendered)} figures, {len(notes)} feedback files, "
              f"report.html {size / 1e6:.1f} MB).")


if __name__ == "__main__":
    main()
