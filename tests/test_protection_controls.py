"""Controls for the protections that live around nbgrader: each attack of the hostile class
succeeds with its one protection (or the one nbgrader setting that guards it) switched off, so the
hostile tests are known to be able to fail.

(The sandbox's own controls are in test_sandbox.py, the browser's in browser/test_inert_views.py.)
"""

import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import pytest

from course import submissions as subs
from course.build import nbgrader, scripts_first
from course.gradebook import db_url, scores

from conftest import host_disk
from hostile_cases import FOLDER, HONEST, NAME, Q1, build_cases, linked, write
from hostile_kit import generated, graded_notebook_text  # noqa: F401 (the module-scoped course)

pytestmark = pytest.mark.pipeline


def course_with(base, tmp_path, switch_off: str | None, setting: str = ""):
    """A copy of the scratch course with one protection switched off, or one setting added."""
    course = tmp_path / "course"
    shutil.copytree(base, course)
    with open(course / "nbgrader_config.py", "a") as f:
        if switch_off:
            f.write(f"\nc.Protections.{switch_off} = False\n")
        if setting:
            f.write(f"\n{setting}\n")
    return course


def grade_students(course, release, keys, names):
    cases = build_cases(9, 300)
    for name in names:
        cases[name].build(release, keys, course / "submitted" / name / FOLDER)
    write(course / "submitted" / HONEST[1] / FOLDER, subs.typed(release, keys))
    proc = nbgrader(course, "autograde", FOLDER, "--force", check=False)
    return scores(db_url(course), FOLDER), proc


@pytest.mark.parametrize("switch_off, expected", [(None, 0), ("regular_files_only", 9)])
def test_a_notebook_linked_to_the_instructors_copy_scores_full_marks_only_unprotected(
        generated, tmp_path, switch_off, expected):  # noqa: F811
    base, keys, release = generated
    course = course_with(base, tmp_path, switch_off)
    got, _ = grade_students(course, release, keys, ["link_notebook"])
    assert got["link_notebook"]["auto"] == expected


@pytest.mark.parametrize("switch_off", [None, "canonical_metadata"])
def test_a_newer_schema_stops_the_students_after_it_only_unprotected(
        generated, tmp_path, switch_off):  # noqa: F811
    base, keys, release = generated
    course = course_with(base, tmp_path, switch_off)
    got, proc = grade_students(course, release, keys, ["mmm_schema_future"])
    if switch_off:
        assert HONEST[1] not in got, "the honest student after the attacker was graded"
        assert proc.returncode != 0
    else:
        assert got[HONEST[1]]["auto"] == 9 and got["mmm_schema_future"]["auto"] == 9


def exchange_with_planted_links(course, tmp_path):
    """A default (shared folder) exchange whose inbound holds one student's planted links."""
    exchange = tmp_path / "exchange"
    inbound = exchange / "customer-service-in-security" / "inbound"
    planted = inbound / f"eve+{FOLDER}+2026-12-01 10:00:00.000000 UTC+abcd"
    planted.mkdir(parents=True)
    (planted / f"{NAME}.ipynb").symlink_to(course / "source" / FOLDER / f"{NAME}.ipynb")
    (planted / "m1_answers.json").symlink_to(course / "gradebook.db")
    (planted / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    whole = inbound / f"mal+{FOLDER}+2026-12-01 10:00:00.000000 UTC+efgh"
    whole.symlink_to(course / "source" / FOLDER)
    return exchange


@pytest.mark.parametrize("switch_off", [None, "regular_files_only"])
def test_collect_never_turns_a_planted_link_into_a_file_only_unprotected(
        generated, tmp_path, switch_off):  # noqa: F811
    base, _, _ = generated
    course = course_with(base, tmp_path, switch_off)
    exchange = exchange_with_planted_links(course, tmp_path)
    proc = nbgrader(course, "collect", FOLDER, f"--Exchange.root={exchange}",
                    "--CollectApp.check_owner=False", check=False)
    eve = course / "submitted" / "eve" / FOLDER
    collected = [p for p in (course / "submitted").rglob("*") if p.is_file()]
    leaked = [p for p in collected if "BEGIN HIDDEN TESTS" in p.read_text(errors="ignore")
              or p.read_bytes().startswith(b"SQLite format")]
    if switch_off:
        assert leaked, "the control collected no secret: the attack is not real"
    else:
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert not leaked and not any(p.is_symlink() for p in (course / "submitted").rglob("*"))
        assert (eve / "timestamp.txt").is_file()
        assert "is a link" in proc.stderr and "Not collected" in proc.stderr
        assert not (course / "submitted" / "mal" / FOLDER).exists()


# ---------------------------------------------------------------- special files, end to end
def grading(course, log, **popen) -> subprocess.Popen:
    """`nbgrader autograde` started in the background, its log written to ``log``."""
    return subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", FOLDER, "--force"],
                            cwd=course, env=scripts_first(dict(os.environ)), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, **popen)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


#: Long enough for the protected run to grade both students; the stalled one never ends.
GRADING_SECONDS = 300
STALLED_SECONDS = 20


@pytest.mark.parametrize("switch_off", [None, "regular_files_only"])
def test_a_link_to_stdin_stalls_grading_only_unprotected(
        generated, tmp_path, switch_off):  # noqa: F811
    """Graded from a terminal, as an instructor grades: a link to /dev/stdin is a link to the
    terminal, whose reading waits for a key that never comes, and nobody after is graded."""
    base, keys, release = generated
    course = course_with(base, tmp_path, switch_off)
    linked({"m1_answers.json": "/dev/stdin"}, answers=[Q1])(
        release, keys, course / "submitted" / "link_stdin" / FOLDER)
    write(course / "submitted" / HONEST[1] / FOLDER, subs.typed(release, keys))
    terminal, grader_stdin = os.openpty()
    log_path = tmp_path / "autograde.log"
    with open(log_path, "w") as log:
        proc = grading(course, log, stdin=grader_stdin)
    try:
        if switch_off:
            copying = f"link_stdin/{FOLDER}/m1_answers.json"
            deadline = time.monotonic() + GRADING_SECONDS
            while copying not in log_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(STALLED_SECONDS)
            last = log_path.read_text().strip().splitlines()[-1]
            assert proc.poll() is None, "grading ended: the link did not stall it"
            assert copying in last and "Copying" in last, last
        else:
            proc.wait(timeout=GRADING_SECONDS)
    finally:
        stop(proc)
        os.close(terminal)
        os.close(grader_stdin)
    got = scores(db_url(course), FOLDER)
    if switch_off:
        assert HONEST[1] not in got, "the student after the stalled one was graded"
    else:
        assert got[HONEST[1]]["auto"] == 9 and got["link_stdin"]["auto"] == 1
        assert "m1_answers.json is a link" in graded_notebook_text(course, "link_stdin")


#: The most the control may write while copying /dev/zero (a file-size limit on the grader).
ZERO_COPY_LIMIT = 128 << 20


def limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (ZERO_COPY_LIMIT, ZERO_COPY_LIMIT))


@pytest.mark.parametrize("switch_off", [None, "regular_files_only"])
def test_a_link_to_dev_zero_is_copied_by_the_grader_only_unprotected(
        generated, tmp_path, tmp_path_factory, switch_off):  # noqa: F811
    """The grader itself, outside the sandbox, copies /dev/zero until something stops it: here
    a file-size limit of 128 MB set on the grading process, so the disk is never filled."""
    base, keys, release = generated
    course = course_with(base, tmp_path, switch_off)
    linked({"video.bin": "/dev/zero"}, answers=[Q1])(
        release, keys, course / "submitted" / "link_zero" / FOLDER)
    write(course / "submitted" / HONEST[1] / FOLDER, subs.typed(release, keys))
    log_path = tmp_path / "autograde.log"
    with host_disk(tmp_path_factory, measuring=False), open(log_path, "w") as log:
        proc = grading(course, log, stdin=subprocess.DEVNULL, preexec_fn=limit_file_size)
        try:
            proc.wait(timeout=GRADING_SECONDS)
        finally:
            stop(proc)
    text = log_path.read_text()
    got = scores(db_url(course), FOLDER)
    if switch_off:
        assert "File too large" in text, text[-3000:]
        assert f"link_zero/{FOLDER}/video.bin" in text
    else:
        assert proc.returncode == 0, text[-3000:]
        assert got["link_zero"]["auto"] == 1 and got[HONEST[1]]["auto"] == 9
        assert "video.bin is a link" in graded_notebook_text(course, "link_zero")


# ---------------------------------------------------------------- nbgrader settings the course sets
@pytest.mark.parametrize("setting", [None, "c.Autograde.exclude_overwriting = {}"])
def test_the_instructors_clicks_reach_students_only_unprotected(
        generated, tmp_path, setting):  # noqa: F811
    """The instructor's clicks, saved beside the source notebook while trying it, are copied over
    every student's own unless c.Autograde.exclude_overwriting names the file."""
    base, keys, release = generated
    course = course_with(base, tmp_path, None, setting or "")
    subs.clicked(course / "source" / FOLDER, keys)
    write(course / "submitted" / "blank" / FOLDER, subs.typed(release, {}))
    write(course / "submitted" / "one_click" / FOLDER, subs.typed(release, {}),
          clicks={Q1: keys[Q1]})
    nbgrader(course, "autograde", FOLDER, "--force")
    got = scores(db_url(course), FOLDER)
    if setting:
        assert got["blank"]["auto"] == got["one_click"]["auto"] == 9
    else:
        assert got["blank"]["auto"] == 0 and got["one_click"]["auto"] == 1


@pytest.mark.parametrize("setting", [None, "c.SafeExecute.max_received_output = 10**12"])
def test_endless_output_is_stopped_by_the_notebook_budget_only_when_it_has_one(
        generated, tmp_path, setting):  # noqa: F811
    """Messages small enough to pass one by one, without end: the per-cell note alone would let
    the kernel print until the cell's timeout; the notebook's budget of output received stops it."""
    base, keys, release = generated
    course = course_with(base, tmp_path, None, setting or "")
    got, _ = grade_students(course, release, keys, ["endless_output"])
    text = graded_notebook_text(course, "endless_output")
    assert got["endless_output"]["auto"] == 1
    if setting:
        assert "printed more than" not in text and "longer than 10 s" in text
    else:
        assert "printed more than 20,000,000 characters" in text
