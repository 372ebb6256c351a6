"""`course report` reads the course's nbgrader configuration as `course grade` does (through
course.course_config), so both honour the configured folders and gradebook."""

from __future__ import annotations

from pathlib import Path

from course import course_config
from course.report import course_settings


def test_without_a_config_the_report_uses_nbgraders_folders(tmp_path):
    settings = course_settings(tmp_path)
    assert settings == {"db_url": f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}",
                        "autograded": Path("autograded"), "submitted": Path("submitted"),
                        "feedback": Path("feedback")}


def test_the_configured_folders_and_gradebook_are_honoured(tmp_path):
    elsewhere = tmp_path / "graded_elsewhere"
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.submitted_directory = 'handed_in'\n"
        f"c.CourseDirectory.autograded_directory = {str(elsewhere)!r}\n"
        "c.CourseDirectory.feedback_directory = 'returned'\n"
        "c.CourseDirectory.db_url = 'sqlite:////srv/grades.db'\n", encoding="utf-8")
    root = tmp_path / "course"
    settings = course_settings(root)
    assert settings == {"db_url": "sqlite:////srv/grades.db", "autograded": elsewhere.resolve(),
                        "submitted": Path("handed_in"), "feedback": Path("returned")}
    config = course_config.load(root)   # the one reader, which `course grade` uses too
    assert root.resolve() / settings["submitted"] == config.submitted
    assert root.resolve() / settings["autograded"] == config.autograded


def test_a_configured_course_root_is_where_the_folders_are(tmp_path):
    """nbgrader's own root setting moves every folder; the report's old reader of its own ignored
    it and looked beside the config file instead."""
    course = tmp_path / "course_files"
    (tmp_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n", encoding="utf-8")
    settings = course_settings(tmp_path)
    assert settings["autograded"] == Path("course_files") / "autograded"
    assert settings["submitted"] == Path("course_files") / "submitted"
    assert settings["db_url"] == f"sqlite:///{course.resolve() / 'gradebook.db'}"
