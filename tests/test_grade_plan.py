"""`course grade`'s resume logic, without grading anything: which submissions it would grade.

A submission already graded, whose files and assignment definition have not changed since, is
skipped; anything changed (a file, a link added, the assignment regenerated) is graded again, and
--force grades everything.
"""

import json
import logging
import os
import shutil

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


# ---------------------------------------------------------------- what a mistyped command gets
def test_a_mistyped_assignment_is_named_with_the_ones_there_are(course):
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    _, _, problems = class_grader.plan(course_config.load(course), ["m1_frist_contact"], None,
                                       False)
    assert problems == [("-", "m1_frist_contact", f"no assignment 'm1_frist_contact' in "
                         f"{course / 'source'} (assignments: {ASSIGNMENT})")]


def test_an_assignment_not_generated_yet_says_how_to_generate_it(course):
    (course / "source" / "m2_listening").mkdir(parents=True)
    _, _, problems = class_grader.plan(course_config.load(course), ["m2_listening"], None, False)
    assert "run `course build --gradebook m2_listening` first" in problems[0][2]


def test_a_requested_student_with_nothing_submitted_is_a_failure_not_silence(course):
    tasks, _, problems = class_grader.plan(course_config.load(course), [ASSIGNMENT],
                                           ["ada", "zoe"], False)
    assert [t.student for t in tasks] == ["ada"]
    assert problems == [("zoe", ASSIGNMENT, "nothing submitted: there is no folder "
                         f"{course / 'submitted' / 'zoe' / ASSIGNMENT}")]


def test_no_submitted_folder_or_empty_gradebook_stops_with_what_to_do(course, tmp_path):
    shutil.rmtree(course / "submitted")
    with pytest.raises(class_grader.GradingError, match="no folder .*submitted, so nothing to "
                       "grade: collect first"):
        class_grader.plan(course_config.load(course), None, None, False)
    (course / "gradebook.db").unlink()
    (course / "submitted").mkdir()
    with pytest.raises(class_grader.GradingError, match="the gradebook has no assignments yet"):
        class_grader.plan(course_config.load(course), None, None, False)


def test_course_grade_says_it_in_one_line_and_exits_2(course, capsys, monkeypatch):
    from course import cli
    (course / "source").mkdir()
    shutil.rmtree(course / "submitted")
    monkeypatch.chdir(course)
    assert cli.main(["grade"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("course grade: there is no folder") and "FAILED" not in err


def test_a_failed_grading_is_reported_by_its_exception_not_nbgraders_wrapper():
    import traceback

    from sqlalchemy.exc import OperationalError
    try:   # a real one: its message runs on over lines, a link to SQLAlchemy's docs last
        raise OperationalError("UPDATE grade", {}, Exception("database is locked"))
    except OperationalError:
        logged = traceback.format_exc()
    collector = class_grader._ErrorCollector()
    for message in ["There was an error processing assignment: /x/submitted/ada/m1", logged,
                    "Please see the the above traceback for details"]:
        collector.emit(logging.makeLogRecord({"msg": message, "levelno": logging.ERROR}))
    assert collector.reason() == \
        "sqlalchemy.exc.OperationalError: (builtins.Exception) database is locked"
    plain = class_grader._ErrorCollector()
    for message in ["There was an error processing assignment: x", "Cannot read the gradebook"]:
        plain.emit(logging.makeLogRecord({"msg": message}))
    assert plain.reason() == "Cannot read the gradebook"


def test_a_student_named_alone_fails_only_for_submitting_nothing_at_all(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "demo") as gb:
        gb.add_assignment("m2_listening")   # ada and bea have not reached it yet: no failure
    tasks, _, problems = class_grader.plan(course_config.load(course), None, ["ada", "zoe"],
                                           False)
    assert [t.student for t in tasks] == ["ada"]
    assert problems == [("zoe", "-", "nothing submitted: no submission under "
                         f"{course / 'submitted' / 'zoe'}")]


@pytest.mark.parametrize("jobs", ["0", "-2", "two"])
def test_jobs_must_be_a_whole_number_of_one_or_more(jobs, capsys):
    from course import cli
    with pytest.raises(SystemExit) as stop:
        cli.main(["grade", "--jobs", jobs])
    assert stop.value.code == 2
    assert "is not a whole number of 1 or more" in capsys.readouterr().err
