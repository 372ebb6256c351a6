"""The course command: build, check, grade, report on and demo the course, from its directory."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from course import build as build_mod
from course import content, course_config
from course.notebooks import NotebookError


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def find_root(start: Path) -> Path:
    """The course folder at or above ``start``, once its nbgrader_config.py is known to load."""
    for path in [start, *start.parents]:
        if (path / "nbgrader_config.py").exists() and (path / "source").is_dir():
            course_config.load(path)   # else every command would stop inside nbgrader, unclearly
            return path
    raise SystemExit("course: run this inside the course directory (the folder that holds "
                     "nbgrader_config.py and source/).")


def cmd_build(args) -> int:
    root = find_root(Path.cwd())
    if args.gradebook:
        folders = build_mod.record_in_gradebook(root, args.modules)
        print(f"Recorded {', '.join(folders)} in the gradebook (notebooks, tests and points); "
              "release/ and source/ are unchanged.")
        return 0
    if args.check:
        problems = build_mod.drift(root, args.modules)
        for p in problems:
            print(p)
        if problems:
            print("release/ is out of date: run `course build` and commit the result.")
            return 1
        print("release/ matches source/.")
        return 0
    folders = build_mod.build(root, args.modules)
    print(f"Built release/ for {', '.join(folders)}.")
    return 0


def cmd_check(args) -> int:
    from course import verify
    root = find_root(Path.cwd())
    rows = verify.run(root, args.modules, workdir=args.keep)
    print(verify.table(rows))
    bad = [r for r in rows if not r.ok]
    print(f"\n{len(rows) - len(bad)} of {len(rows)} expectations met.")
    if args.keep:
        print(f"The graded course is kept in {args.keep}.")
    return 1 if bad else 0


def cmd_demo(args) -> int:
    from course import demo as demo_mod
    root = find_root(Path.cwd())
    demo_mod.run(root, args.out, modules=args.modules)
    return 0


def cmd_grade(args) -> int:
    if not (args.scheduler or os.environ.get("COURSE_DASK_SCHEDULER")):
        # Local kernels: their warm process fills while this process imports nbgrader and
        # reads the course's config (course grade uses it if the config asks for the same).
        from course.sandbox import warm
        warm.start_early()
    from course import class_grader
    root = find_root(Path.cwd())
    try:
        summary = class_grader.grade(root, args.assignments, args.student, args.jobs, args.force,
                                     scheduler=args.scheduler)
    except class_grader.GradingError as err:
        print(f"course grade: {err}", file=sys.stderr)
        return 2
    print(class_grader.report(summary))
    return 0 if summary.ok else 1


def cmd_report(args) -> int:
    from course import report as report_mod
    root = find_root(Path.cwd())
    try:
        built = report_mod.build(root, args.out, db_url=args.db_url,
                                 add_to_feedback=args.add_to_feedback)
    except report_mod.ReportError as err:
        print(f"course report: {err}", file=sys.stderr)
        return 2
    print(report_mod.summary(built))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="generate release/ from source/ (deterministic)")
    p.add_argument("modules", nargs="*", help="module folders (default: all)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="only report drift; change nothing")
    what.add_argument("--gradebook", action="store_true",
                      help="instead, record the modules in the course's gradebook for grading "
                           "(nbgrader generate_assignment --force into a temporary folder); "
                           "release/ and source/ are left as they are")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("check", help="solutions score full marks, blanks zero, partials exactly")
    p.add_argument("modules", nargs="*", help="module folders (default: all)")
    p.add_argument("--keep", type=Path, default=None,
                   help="grade in this folder and keep it (to inspect, or to run `course report` in)")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("demo", help="grade a fictional class end to end and print the table")
    p.add_argument("modules", nargs="*", help="module folders (default: all)")
    p.add_argument("--out", type=Path, default=None, help="work directory (default build/demo)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("grade", help="autograde submitted/ in parallel, sandboxed and resumable")
    p.add_argument("assignments", nargs="*", help="assignments to grade (default: all)")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="parallel jobs (default: one per core)")
    p.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="grade on this Dask cluster's workers instead of local processes "
                        "(default: $COURSE_DASK_SCHEDULER, else c.CourseGrade.scheduler in "
                        "nbgrader_config.py, else local)")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("report", help="theme mastery, item analysis, feedback and grade exports")
    p.add_argument("--out", type=Path, default=None, help="report folder (default build/report)")
    p.add_argument("--db-url", default=None,
                   help="gradebook URL (default: the db_url of nbgrader_config.py)")
    p.add_argument("--add-to-feedback", action="store_true",
                   help="also add each learner's study guide to nbgrader's feedback/ HTML")
    p.set_defaults(func=cmd_report)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (build_mod.BuildError, NotebookError, content.ContentError,
            course_config.ConfigError) as err:
        print(f"course: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
