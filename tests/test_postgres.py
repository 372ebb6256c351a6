"""A PostgreSQL gradebook, with several `course grade` processes writing to it at once.

The server is Debian's postgresql, started by the test on loopback in a scratch folder and stopped
at the end, pass or fail (tests/postgres_kit.py). `make test` installs the package on a fresh
machine.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from course import content, notebooks
from course import submissions as subs
from course.build import nbgrader, scratch_course, scripts_first
from course.gradebook import scores

from conftest import ROOT
from postgres_kit import postgres, postgres_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.pipeline
FOLDER = "m1_first_contact"


def test_several_graders_write_to_one_postgres_gradebook(postgres, tmp_path):
    course = scratch_course(ROOT, tmp_path, [FOLDER])
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.CourseDirectory.db_url = {postgres!r}\n")
    nbgrader(course, "generate_assignment", FOLDER, "--force")
    module = content.module("m1")
    source = notebooks.read(notebooks.source_notebook(course, module))
    release = notebooks.read(notebooks.release_notebook(course, module))
    key, pts = subs.keys(source), subs.points(source)
    items = list(key)
    expected = {}
    for n in range(6):  # a mix: full, blank, partial; typed and clicked
        chosen = {i: key[i] for i in items[: (n * 3) % (len(items) + 1)]}
        clicks = chosen if n % 2 else {}
        nb = subs.typed(release, {} if clicks else chosen)
        subs.write_submission(course / "submitted", f"s{n}", FOLDER, "first_contact", nb, clicks)
        expected[f"s{n}"] = float(sum(pts[i] for i in chosen))
    env = scripts_first(dict(os.environ))
    graders = [subprocess.Popen([sys.executable, "-m", "course.cli", "grade", FOLDER, "--jobs", "1",
                                 *[a for s in group for a in ("--student", s)]],
                                cwd=course, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
               for group in (["s0", "s1"], ["s2", "s3"], ["s4", "s5"])]
    outputs = [g.communicate(timeout=600)[0] for g in graders]
    assert all(g.returncode == 0 for g in graders), "\n".join(outputs)
    got = {s: v["auto"] for s, v in scores(postgres, FOLDER).items()}
    assert got == expected
