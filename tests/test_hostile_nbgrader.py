"""The hostile class graded by stock `nbgrader autograde` with the course's config, as formgrader's
Autograde button grades it; and the control: the same attack without the sandbox succeeds."""

import shutil

import pytest

from hostile_kit import *  # noqa: F401,F403 (the shared checks and fixtures: hostile_kit.__all__)
from hostile_cases import FOLDER, Q1, THIEF, inject, subs, write

from course.build import nbgrader
from course.gradebook import db_url, scores

pytestmark = pytest.mark.pipeline
GRADER = "nbgrader autograde"


def test_without_the_sandbox_the_thief_succeeds(generated, tmp_path):
    """The control: the thief is a real attack, and only the sandbox stops it."""
    base, keys, release = generated
    course = tmp_path / "control"
    shutil.copytree(base, course)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("\nc.SafeExecute.use_sandbox = False\n")
    write(course / "submitted" / "thief" / FOLDER, inject(subs.typed(release, {}), Q1, THIEF))
    nbgrader(course, "autograde", FOLDER, "--force", check=False)
    assert scores(db_url(course), FOLDER)["thief"]["auto"] == 9
