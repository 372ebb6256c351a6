"""Putting a class into ngshare: the course, its instructors and its students.

ngshare only lets its admins create a course, and the course's instructors enrol students; nobody
else may release, submit or read anything in it. The class list is the hub's roster
(deploy/roster.example.toml: ``instructors = [...]``, ``students = [...]``), so the hub and the
exchange agree on who is who::

    python -m course.ngshare enrol /etc/jupyterhub/roster.toml

run by an instructor who is also an ngshare admin (its ``--admins``), from a terminal in their
hub server (which has the token and, on a hub set up as deploy/README.md says, the URL).
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

from course.ngshare.client import Ngshare, NgshareError
from course.ngshare.exchange import URL_VARIABLE

COURSE_ID = "customer-service-in-security"


def enrol(client: Ngshare, course: str, instructors: list[str], students: list[str]) -> list[str]:
    """Create the course if it is missing, then enrol the students; what was done, in words."""
    done = []
    if course not in client.courses():
        client.create_course(course, instructors)
        done.append(f"created {course} with instructors {', '.join(instructors)}")
    refused = {}
    if students:
        for status in client.add_students(course, students):
            if not status.get("success"):
                refused[str(status.get("username"))] = str(status.get("message"))
    enrolled = sorted(set(students) - set(refused))
    done.append(f"{len(enrolled)} student(s) enrolled in {course}: {', '.join(enrolled) or 'none'}")
    if refused:
        done.append("not enrolled: " + "; ".join(f"{n} ({why})" for n, why in refused.items()))
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.ngshare",
                                     description="Put the class into ngshare.")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("enrol", help="create the course and enrol the roster's students")
    cmd.add_argument("roster", type=Path, help="a TOML file with instructors = [...] and "
                                               "students = [...]")
    cmd.add_argument("--course", default=COURSE_ID, help=f"the course id (default {COURSE_ID})")
    cmd.add_argument("--url", default=os.environ.get(URL_VARIABLE, ""),
                     help=f"ngshare's address (default ${URL_VARIABLE})")
    args = parser.parse_args(argv)
    try:
        roster = tomllib.loads(args.roster.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        print(f"Cannot read the roster {args.roster}: {err}", file=sys.stderr)
        return 2
    try:
        client = Ngshare(args.url, os.environ.get("JUPYTERHUB_API_TOKEN", ""))
        for line in enrol(client, args.course, list(roster.get("instructors", [])),
                          list(roster.get("students", []))):
            print(line)
    except NgshareError as err:
        print(err, file=sys.stderr)
        return 1
    return 0
