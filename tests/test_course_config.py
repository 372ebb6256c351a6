"""The course's commands read the settings nbgrader reads.

nbgrader reads nbgrader_config.py from the Jupyter config folders (``jupyter --paths``) and then
from the course folder. A gradebook URL or course id set only in an instructor's Jupyter config
folder is the one formgrader and ``nbgrader autograde`` use; ``course grade`` must merge into that
gradebook too, or grades split silently between two databases. The course's own file still wins
where both set something, and the course folder is the one the command was given even where a
Jupyter folder names another (``course build`` works on scratch copies of the course).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from course import course_config

from conftest import ROOT

NBGRADER_DB_URL = ("from nbgrader.apps.baseapp import NbGrader\n"
                   "app = NbGrader(); app.initialize([])\n"
                   "print(app.coursedir.db_url); print(app.coursedir.course_id)\n")


@pytest.fixture()
def course(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    return course


@pytest.fixture()
def jupyter_folder(tmp_path, monkeypatch):
    folder = tmp_path / "jupyter-config"
    folder.mkdir()
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(folder))
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    return folder


def set_in(folder, *lines: str) -> None:
    with open(folder / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write("c = get_config()  # noqa: F821\n" + "".join(f"{line}\n" for line in lines))


def test_course_grade_writes_to_the_gradebook_nbgrader_writes_to(course, jupyter_folder,
                                                                 tmp_path):
    url = f"sqlite:///{tmp_path / 'the-class.db'}"
    set_in(jupyter_folder, f"c.CourseDirectory.db_url = {url!r}")
    cfg = course_config.load(course)
    nbgrader = subprocess.run([sys.executable, "-c", NBGRADER_DB_URL], cwd=course,
                              capture_output=True, text=True)
    assert nbgrader.stdout.split() == [url, "customer-service-in-security"], nbgrader.stderr
    assert (cfg.db_url, cfg.course_id) == (url, "customer-service-in-security")


def test_the_course_file_wins_over_the_jupyter_folders(course, jupyter_folder):
    set_in(jupyter_folder, "c.CourseDirectory.course_id = 'from-jupyter'",
           "c.Sandbox.memory_mb = 700")
    cfg = course_config.load(course)
    assert cfg.course_id == "customer-service-in-security"   # the course's config sets it
    assert cfg.config.Sandbox.memory_mb == 700   # set only there: it applies


def test_a_root_named_in_a_jupyter_folder_does_not_move_the_course(course, jupyter_folder,
                                                                   tmp_path):
    elsewhere = tmp_path / "the-real-course"
    elsewhere.mkdir()
    set_in(jupyter_folder, f"c.CourseDirectory.root = {str(elsewhere)!r}")
    cfg = course_config.load(course)
    assert cfg.root == course.resolve()
    assert cfg.db_url == f"sqlite:///{course.resolve() / 'gradebook.db'}"


def test_a_broken_jupyter_config_stops_with_its_name(course, jupyter_folder):
    set_in(jupyter_folder, "c.CourseDirectory.course_id = undefined_name")
    with pytest.raises(course_config.ConfigError, match=r"jupyter-config/nbgrader_config\.py "
                                                        r"could not be loaded \(NameError"):
        course_config.load(course)


def test_without_a_jupyter_config_only_the_course_file_counts(course, jupyter_folder):
    cfg = course_config.load(course)
    assert cfg.root == course.resolve() and cfg.course_id == "customer-service-in-security"
    assert cfg.db_url == f"sqlite:///{course.resolve() / 'gradebook.db'}"
