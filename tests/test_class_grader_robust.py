"""`course grade` when a worker process dies, and when a student's folder is a link.

A worker killed while it grades (by the kernel's out-of-memory killer, or by hand) breaks its whole
process pool: with a plain pool every other submission in it fails too, and the run ends (the
control). `course grade` costs the dead worker only the submissions it held: those never started
go to a fresh pool, those started are graded again alone, and one that kills its worker even then
is recorded as failed with the reason; the others are graded, and nothing is left in the temp
folder. A student (or assignment) folder that is a link is never followed: `course grade` records
it as failed with the reason, and `nbgrader autograde` logs a warning naming it.

The worker is killed by replacing ``class_grader.grade_one`` in a grading process of its own with
a function of this module that the pool's workers import by name (so the replacement holds in
every worker): for a student named ``eve...`` it kills its own process, as the kernel's killer
would; for everyone else it grades for real (or, in the bookkeeping test, stands in for grading).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from course import class_grader, run_folder
from course import submissions as subs
from course.build import nbgrader, scripts_first
from course.gradebook import db_url, scores

from hostile_cases import FOLDER, HONEST, write
from waiting import until
from hostile_kit import generated  # noqa: F401 (the module-scoped scratch course)

TESTS = Path(__file__).resolve().parent
STAND_IN = "graded by the stand-in"


def dies_for_eve(task) -> None:
    if task.student.startswith("eve"):
        os.kill(os.getpid(), signal.SIGKILL)


#: The real one: the drivers below put a stand-in in its place, and workers are forks of them.
GRADE_ONE = class_grader.grade_one


def grade_or_die(root, template, task, scratch_parent=None):
    """``grade_one``, except that grading a student called eve... kills the worker process."""
    dies_for_eve(task)
    where = {} if scratch_parent is None else {"scratch_parent": scratch_parent}
    return GRADE_ONE(root, template, task, **where)


def stand_in_or_die(root, template, task, scratch_parent=None):
    """A quick stand-in for ``grade_one`` (the bookkeeping test): an error record for everyone,
    made with a scratch folder as grading makes one, and death for eve..."""
    dies_for_eve(task)
    scratch = tempfile.mkdtemp(prefix="course-grade-stand-in-", dir=scratch_parent)
    return {"task": task, "error": STAND_IN, "scratch": scratch}


DRIVER = """
import json, sys
from course import class_grader
import test_class_grader_robust as here
class_grader.grade_one = getattr(here, sys.argv[3])
summary = class_grader.grade(sys.argv[1], [sys.argv[2]], jobs=2, progress=False)
print(json.dumps({"graded": [t.student for t in summary.graded], "failed": summary.failed}))
"""


def run_course_grade(course: Path, worker: str, tmp: Path) -> dict:
    """`course grade` in a process of its own (and so a pool of its own) with ``worker`` as its
    ``grade_one``, and a temp folder of its own to inspect after."""
    env = scripts_first(dict(os.environ, TMPDIR=str(tmp),
                             PYTHONPATH=os.pathsep.join([str(TESTS),
                                                         os.environ.get("PYTHONPATH", "")])))
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(course), FOLDER, worker], cwd=course,
                          env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def failed_reasons(summary: dict) -> dict:
    return {student: reason for student, _, reason in summary["failed"]}


# ---------------------------------------------------------------- the control: one death, all lost
def die_or_echo(task):
    dies_for_eve(task)
    return task.student


def test_control_one_dead_worker_breaks_every_submission_in_a_plain_pool():
    tasks = [class_grader.Task(s, FOLDER, "") for s in ("eve", "ann", "bob", "cat")]
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver")) as pool:
        futures = [pool.submit(die_or_echo, t) for t in tasks]
        for future in futures:
            with pytest.raises(BrokenProcessPool):
                future.result()


# ---------------------------------------------------------------- bookkeeping, without grading
@pytest.fixture()
def plain_course(tmp_path, monkeypatch):
    """A gradebook with the assignment and eight submissions: no notebooks are run."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'demo'\n")
    # nbgrader's Gradebook runs `alembic` by name.
    monkeypatch.setenv("PATH", scripts_first(dict(os.environ))["PATH"])
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "demo") as gb:
        gb.add_assignment(FOLDER)
    for student in ("ann", "bob", "eve1", "cat", "dan", "eve2", "fay", "gus"):
        (course / "submitted" / student / FOLDER).mkdir(parents=True)
        (course / "submitted" / student / FOLDER / "notes.txt").write_text(student)
    return course


def test_a_dead_worker_costs_only_the_submissions_it_held(plain_course, tmp_path_factory):
    # A short temp folder: kernels' sockets live in it, and Unix socket paths stop at 108 bytes
    # (this test's own tmp_path, named after it, comes close).
    tmp = tmp_path_factory.mktemp("dead")
    summary = run_course_grade(plain_course, "stand_in_or_die", tmp)
    reasons = failed_reasons(summary)
    assert len(summary["failed"]) == len(reasons) == 8, summary["failed"]   # each exactly once
    assert reasons.pop("eve1") == reasons.pop("eve2") == class_grader.DIED
    assert set(reasons.values()) == {STAND_IN}
    assert sorted(tmp.iterdir()) == [], "left in the temp folder"


# ---------------------------------------------------------------- real grading, in one run
@pytest.fixture(scope="module")
def graded(generated, tmp_path_factory):  # noqa: F811
    """Honest learners before and after eve, whose grading kills its worker; mallory's folder
    links to a classmate's, and mara's assignment folder to the instructor's source."""
    base, keys, release = generated
    course = tmp_path_factory.mktemp("robust")
    shutil.copytree(base, course, dirs_exist_ok=True)
    submitted = course / "submitted"
    write(submitted / HONEST[0] / FOLDER, subs.typed(release, keys))
    write(submitted / "eve" / FOLDER, subs.typed(release, keys))
    write(submitted / HONEST[1] / FOLDER, subs.typed(release, {}), clicks=keys)
    (submitted / "mallory").symlink_to(submitted / HONEST[0])
    (submitted / "mara").mkdir()
    (submitted / "mara" / FOLDER).symlink_to(course / "source" / FOLDER)
    tmp = tmp_path_factory.mktemp("grade-tmp")
    summary = run_course_grade(course, "grade_or_die", tmp)
    return course, summary, tmp


def test_honest_submissions_are_graded_around_a_dead_worker(graded):
    course, summary, _ = graded
    assert sorted(summary["graded"]) == sorted(HONEST)   # each once, whatever was retried
    got = scores(db_url(course), FOLDER)
    for student in HONEST:
        assert got[student]["auto"] == got[student]["max_auto"] == 9, student


def test_the_submission_that_killed_its_worker_fails_with_the_reason(graded):
    course, summary, _ = graded
    assert failed_reasons(summary)["eve"] == class_grader.DIED
    assert "eve" not in scores(db_url(course), FOLDER)
    assert not (course / "autograded" / "eve").exists()


def test_a_dead_worker_leaves_nothing_in_the_temp_folder(graded):
    *_, tmp = graded
    left = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*"))
    assert not left, f"left in the grader's temp folder: {left[:20]}"


def test_course_grade_records_a_linked_folder_as_failed_with_the_reason(graded):
    course, summary, _ = graded
    reasons = failed_reasons(summary)
    assert reasons["mallory"].startswith("submitted/mallory is a link")
    assert reasons["mara"].startswith(f"submitted/mara/{FOLDER} is a link")
    assert "not graded" in reasons["mallory"]
    got = scores(db_url(course), FOLDER)
    assert "mallory" not in got and "mara" not in got


def test_nbgrader_autograde_logs_a_linked_folder_and_grades_the_rest(graded):
    """(The honest learners are graded already, so only eve's notebook runs here.)"""
    course, *_ = graded
    proc = nbgrader(course, "autograde", FOLDER, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert "Not graded: " in log and "mallory is a link" in log, log[-3000:]
    assert f"mara/{FOLDER} is a link" in log, log[-3000:]
    got = scores(db_url(course), FOLDER)
    assert "mallory" not in got and "mara" not in got
    assert got["eve"]["auto"] == 9


def test_a_temp_folder_too_long_for_the_kernels_sockets_is_named(plain_course):
    """Unix socket paths stop at 108 bytes: with a long TMPDIR no kernel could start, and
    `course grade` says what to do before it starts any, instead of failing every submission
    with ZeroMQ's error (and leaving their folders in the temp folder)."""
    (plain_course / "source").mkdir(exist_ok=True)   # what `course` looks for in a course
    long_tmp = Path(tempfile.mkdtemp(prefix="x" * 90 + "-", dir="/tmp"))
    try:
        env = scripts_first(dict(os.environ, TMPDIR=str(long_tmp)))
        proc = subprocess.run([sys.executable, "-m", "course.cli", "grade", FOLDER],
                              cwd=plain_course, env=env, capture_output=True, text=True,
                              timeout=300)
    finally:
        shutil.rmtree(long_tmp, ignore_errors=True)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "set TMPDIR to a shorter folder" in proc.stderr and "Traceback" not in proc.stderr


def test_a_run_first_removes_what_a_killed_run_left(plain_course, tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    summary = class_grader.grade(plain_course, [FOLDER], students=["nobody"], progress=False)
    assert summary.swept == 0 and "Removed" not in class_grader.report(summary)   # control
    dead = temp / "course-grade-dead"     # a run's folder whose lock no one holds
    dead.mkdir()
    (dead / run_folder.LOCK).touch()
    summary = class_grader.grade(plain_course, [FOLDER], students=["nobody"], progress=False)
    assert summary.swept == 1 and not dead.exists()
    assert "Removed the temp folders of 1 earlier grading run" in class_grader.report(summary)


#: Runs `nbgrader autograde` with the check of the temp folder's length switched off.
WITHOUT_LENGTH_CHECK = """
import sys
from course.sandbox import kernel
kernel.sockets_do_not_fit = lambda temp: None
from nbgrader.apps.nbgraderapp import main
sys.argv = ["nbgrader", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("check", [True, False], ids=["checked", "control-unchecked"])
def test_nbgrader_autograde_names_a_temp_folder_too_long(generated, tmp_path_factory,  # noqa: F811
                                                        check):
    """The same for `nbgrader autograde` with the course's config: one message, before any
    kernel, and nothing left in the temp folder. Control: unchecked, the submission fails on
    ZeroMQ's own error."""
    base, keys, release = generated
    course = tmp_path_factory.mktemp("long-tmp")
    shutil.copytree(base, course, dirs_exist_ok=True)
    write(course / "submitted" / HONEST[0] / FOLDER, subs.typed(release, keys))
    long_tmp = Path(tempfile.mkdtemp(prefix="x" * 90 + "-", dir="/tmp"))
    try:
        env = scripts_first(dict(os.environ, TMPDIR=str(long_tmp)))
        start = ["-m", "nbgrader"] if check else ["-c", WITHOUT_LENGTH_CHECK]
        proc = subprocess.run([sys.executable, *start, "autograde", FOLDER, "--force"],
                              cwd=course, env=env, capture_output=True, text=True, timeout=300)
        left = list(long_tmp.iterdir())
    finally:
        shutil.rmtree(long_tmp, ignore_errors=True)
    log = proc.stdout + proc.stderr
    assert ("set TMPDIR to a shorter folder" in log) == check, log[-3000:]
    assert ("File name too long" in log) != check, log[-3000:]
    assert proc.returncode != 0 and left == []


# ---------------------------------------------------------------- the grading process killed
def waits_in_a_worker(root, template, task, scratch_parent=None):
    """A stand-in for ``grade_one`` that makes a temp folder (as the mirror is made), notes its
    worker's process id and waits."""
    tempfile.mkdtemp(prefix="course-mirror-")
    Path(os.environ["TMPDIR"], f"worker-{os.getpid()}").write_text(task.student)
    time.sleep(300)


def start_without_following(parent, handoff):
    """The control's pool initializer (imported by name in each worker, as the pool's own is):
    the warm process adopted, the grading process not followed."""
    if handoff:
        from course.sandbox import warm
        warm.adopt(*handoff)


def start_following_by_polling(parent, handoff):
    """The pool's initializer as on a system without pidfd_open: the worker polls instead."""
    from course import worker_pool
    real = os.pidfd_open
    del os.pidfd_open
    try:
        worker_pool.follow(parent)
    finally:
        os.pidfd_open = real
    start_without_following(parent, handoff)


KILLED_DRIVER = """
import sys
from course import class_grader, worker_pool
import test_class_grader_robust as here
class_grader.grade_one = here.waits_in_a_worker
if sys.argv[3] == "control":
    worker_pool.start_worker = here.start_without_following
elif sys.argv[3] == "polling":
    worker_pool.start_worker = here.start_following_by_polling
class_grader.grade(sys.argv[1], [sys.argv[2]], jobs=2, progress=False)
"""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def descendants(root: int) -> set:
    """Every process under ``root`` now (its workers, warm process, kernels...)."""
    parents = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            parents[int(status.parent.name)] = int(status.read_text().split("PPid:")[1].split()[0])
        except (OSError, IndexError, ValueError):
            pass
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@pytest.mark.parametrize("how", ["follow", "polling", "control"],
                         ids=["follows", "follows-by-polling", "control-without"])
def test_nothing_of_a_grading_process_killed_outright_stays(plain_course, tmp_path_factory, how):
    """`course grade` killed with SIGKILL (the out-of-memory killer, a hub's time limit) cannot
    clean up; its workers end by themselves, and its warm process ends with it: nothing it
    started is left running, and the next run removes the folders it left. Control: without
    following it, the workers wait for work that never comes, for good, and their run's folder
    is kept as a live one's."""
    follow = how != "control"
    tmp = tmp_path_factory.mktemp("killed")
    env = scripts_first(dict(os.environ, TMPDIR=str(tmp),
                             PYTHONPATH=os.pathsep.join([str(TESTS),
                                                         os.environ.get("PYTHONPATH", "")])))
    grading = subprocess.Popen([sys.executable, "-c", KILLED_DRIVER, str(plain_course), FOLDER,
                                how], cwd=plain_course, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started, started_at = set(), {}
    try:
        assert until(lambda: len(list(tmp.glob("worker-*"))) == 2, 120), "no workers"
        started = descendants(grading.pid)
        started_at = {pid: start_time(pid) for pid in started}
        workers = {int(p.name.split("-")[1]) for p in tmp.glob("worker-*")}
        assert workers < started
        grading.kill()
        grading.wait()
        ended = until(lambda: not any(alive(p) for p in started), 15 if follow else 5)
        assert ended == follow, sorted(p for p in started if alive(p))
        left = sorted(p.name.split("-")[1] for p in tmp.glob("course-*"))
        assert left == ["grade", "mirror", "mirror"], left   # nothing removes them by itself
        assert run_folder.sweep(tmp) == follow
        kept = [p for p in tmp.iterdir() if not p.name.startswith("worker-")]
        assert len(kept) == (0 if follow else 3), kept
    finally:
        grading.kill()
        for pid, since in started_at.items():   # the control's (never a later process's)
            if alive(pid) and start_time(pid) == since:
                os.kill(pid, signal.SIGKILL)
