"""`course grade`'s resume logic, without grading anything: which submissions it would grade.

A submission already graded, whose files and assignment definition have not changed since, is
skipped; anything changed (a file, a link added, the assignment regenerated) is graded again, and
--force grades everything.
"""

import json
import os

import pytest
from nbgrader.api import Gradebook

from course import class_grader, course_config
from course.build import scripts_first

ASSIGNMENT, NOTEBOOK = "m1_first_contact", "first_contact"


@pytest.fixture()
def course(tmp_path, monkeypatch):
    # nbgrader's Gradebook runs `alembic` by name.
    monkeypatch.setenv("PATH", scripts_first(dict(os.environ))["PATH"])
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'demo'\n")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "demo") as gb:
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(NOTEBOOK, ASSIGNMENT)
        gb.add_grade_cell("q1_test", NOTEBOOK, ASSIGNMENT, max_score=1, cell_type="code")
        gb.add_source_cell("q1_test", NOTEBOOK, ASSIGNMENT, cell_type="code", source="x",
                           checksum="one")
    for student in ("ada", "bea"):
        folder = tmp_path / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{NOTEBOOK}.ipynb").write_text("{}")
    return tmp_path


def plan(root, force=False):
    tasks, skipped, problems = class_grader.plan(course_config.load(root), [ASSIGNMENT], None, force)
    assert not problems
    return sorted(t.student for t in tasks), sorted(t.student for t in skipped)


def record_graded(root, student):
    """What a finished grading leaves: the gradebook row and the fingerprint marker."""
    cfg = course_config.load(root)
    tasks, _, _ = class_grader.plan(cfg, [ASSIGNMENT], [student], True)
    with Gradebook(cfg.db_url, "demo") as gb:
        gb.add_student(student)
        gb.add_submission(ASSIGNMENT, student)
    marker = cfg.autograded / student / ASSIGNMENT / class_grader.MARKER
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"fingerprint": tasks[0].fingerprint}))


def test_nothing_graded_yet_means_everything_is_graded(course):
    assert plan(course) == (["ada", "bea"], [])


def test_an_unchanged_graded_submission_is_skipped(course):
    record_graded(course, "ada")
    assert plan(course) == (["bea"], ["ada"])


def test_a_changed_file_is_graded_again(course):
    record_graded(course, "ada")
    (course / "submitted" / "ada" / ASSIGNMENT / "notes.txt").write_text("new")
    assert plan(course) == (["ada", "bea"], [])


def test_a_link_added_changes_the_fingerprint_without_being_read(course):
    record_graded(course, "ada")
    (course / "submitted" / "ada" / ASSIGNMENT / "m1_answers.json").symlink_to("/dev/zero")
    assert plan(course) == (["ada", "bea"], [])


def test_a_regenerated_assignment_regrades_everyone(course):
    record_graded(course, "ada")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "demo") as gb:
        gb.update_or_create_source_cell("q1_test", NOTEBOOK, ASSIGNMENT, checksum="two")
    assert plan(course) == (["ada", "bea"], [])


def test_a_marker_without_a_gradebook_row_is_not_trusted(course):
    cfg = course_config.load(course)
    tasks, _, _ = class_grader.plan(cfg, [ASSIGNMENT], ["ada"], True)
    marker = cfg.autograded / "ada" / ASSIGNMENT / class_grader.MARKER
    marker.parent.mkdir(parents=True)
    marker.write_text(json.dumps({"fingerprint": tasks[0].fingerprint}))
    assert plan(course) == (["ada", "bea"], [])


def test_a_marker_that_is_a_link_or_garbage_is_not_trusted(course):
    record_graded(course, "ada")
    marker = course / "autograded" / "ada" / ASSIGNMENT / class_grader.MARKER
    marker.write_text("not json")
    assert plan(course) == (["ada", "bea"], [])


def test_force_grades_everything(course):
    record_graded(course, "ada")
    assert plan(course, force=True) == (["ada", "bea"], [])


def test_student_folders_that_are_links_are_not_planned(course, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / ASSIGNMENT).mkdir()
    (course / "submitted" / "eve").symlink_to(elsewhere)
    assert plan(course)[0] == ["ada", "bea"]


def test_the_configured_submitted_folder_is_honoured(course):
    (course / "submitted").rename(course / "handed_in")
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("c.CourseDirectory.submitted_directory = 'handed_in'\n")
    assert plan(course) == (["ada", "bea"], [])
