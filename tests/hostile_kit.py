"""The hostile class and the checks it must pass, shared by the two ways of grading it.

test_hostile_nbgrader.py grades the class with stock `nbgrader autograde`, test_hostile_course_grade.py
with `course grade`; both read the course's nbgrader_config.py. Each hostile learner scores exactly
what its honest answers earn, with the reason recorded in the graded notebook, while two honest
learners graded in the same run keep full marks and untouched files. See COURSE_DESIGN.md section 7
for the threat model. The two files are separate so that `make test` grades them side by side.
"""

from __future__ import annotations

import hashlib
import html.parser
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from course import content, notebooks
from course import submissions as subs
from course.build import nbgrader, scratch_course, scripts_first
from course.gradebook import db_url, scores

from conftest import ROOT, host_disk
from hostile_cases import FOLDER, HONEST, NAME, build_cases, reasons, write


class Recorder(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):
        Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def listener():
    # The hits are this module's: a control elsewhere in the same worker (the Dask test's, with
    # the sandbox off) reaches its own listener on purpose.
    Recorder.hits.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A scratch course with Module 1 generated, and short time limits so the suite stays quick."""
    base = tmp_path_factory.mktemp("hostile-base")
    scratch_course(ROOT, base, [FOLDER])
    with open(base / "nbgrader_config.py", "a") as f:
        f.write("\nc.Execute.timeout = 10\nc.SafeExecute.notebook_deadline = 60\n")
    nbgrader(base, "generate_assignment", FOLDER, "--force")
    module = content.module("m1")
    source = notebooks.read(notebooks.source_notebook(base, module))
    release = notebooks.read(notebooks.release_notebook(base, module))
    return base, subs.keys(source), release


def digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def graded_notebook_text(course: Path, student: str) -> str:
    path = course / "autograded" / student / FOLDER / f"{NAME}.ipynb"
    return path.read_text(encoding="utf-8") if path.exists() else ""


#: The process flood's children sleep this long: a number of its own per grading, so that a
#: check for survivors never sees the other grading's children (the two may run at once).
SLEEP_SECONDS = {"nbgrader autograde": 301, "course grade": 302}
#: Growth of the host's disk (its temp folder's file system) and shared memory allowed at any
#: moment while the class is graded. The attacks would write gigabytes: the filler alone tries
#: 400 MB per place and 300 MB more per mount.
HOST_GROWTH_BOUND = {"disk": 256 << 20, "shm": 16 << 20}


def host_usage(tmp: Path) -> dict:
    return {"disk": shutil.disk_usage(tmp).used, "shm": shutil.disk_usage("/dev/shm").used}


class PeakGrowth:
    """The largest growth of the host's disk and /dev/shm seen while grading runs, sampled by a
    background thread: whatever a kernel wrote to the host would be cleaned up after it, so a
    measurement taken only at the end would miss it."""

    def __init__(self, tmp: Path, every: float = 0.05):
        self.tmp, self.every = tmp, every
        self.start = host_usage(tmp)
        self.peak = dict.fromkeys(self.start, 0)
        self.final = dict.fromkeys(self.start, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def _sample(self) -> None:
        now = host_usage(self.tmp)
        self.final = {k: now[k] - self.start[k] for k in now}
        self.peak = {k: max(self.peak[k], self.final[k]) for k in now}

    def _sample_until_stopped(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakGrowth":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def run_grader(grader: str, course: Path, tmp: Path) -> str:
    """Grade the class as an instructor would, with a temp folder of its own to inspect after."""
    env = scripts_first(dict(os.environ, TMPDIR=str(tmp)))
    if grader == "nbgrader autograde":
        cmd = [sys.executable, "-m", "nbgrader", "autograde", FOLDER, "--force"]
    else:
        cmd = [sys.executable, "-m", "course.cli", "grade", FOLDER, "--jobs", "2"]
    proc = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=1500)
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def graded(request, generated, listener, tmp_path_factory):
    """The hostile class and two honest learners, graded the way the test module's GRADER names."""
    grader = request.module.GRADER
    base, keys, release = generated
    course = tmp_path_factory.mktemp("hostile")
    shutil.copytree(base, course, dirs_exist_ok=True)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("c.Sandbox.memory_mb = 2048\n")
        f.write("".join(f"{line}\n" for line in getattr(request.module, "CONFIG", ())))
    # The instructor tried the source notebook and clicked every key: nbgrader copies the other
    # files of source/<assignment> into each graded folder, and these must never reach a student
    # (c.Autograde.exclude_overwriting), or every case without clicks of its own scores them.
    subs.clicked(course / "source" / FOLDER, keys)
    cases = build_cases(listener, SLEEP_SECONDS[grader])
    for name, case in cases.items():
        case.build(release, keys, course / "submitted" / name / FOLDER)
    write(course / "submitted" / HONEST[0] / FOLDER, subs.typed(release, keys))
    write(course / "submitted" / HONEST[1] / FOLDER, subs.typed(release, {}), clicks=keys)
    before = {s: digest(course / "submitted" / s) for s in HONEST}
    tmp = tmp_path_factory.mktemp("grader-tmp")
    # The lock keeps out the tests that write to the disk on purpose (the bare clone's venv,
    # the controls): the growth measured is this grading's (and the other hostile grading's).
    with host_disk(tmp_path_factory, measuring=True), PeakGrowth(tmp) as growth:
        log = run_grader(grader, course, tmp)
    print(log[-5000:])
    print("host growth while grading (MB): peak", {k: v >> 20 for k, v in growth.peak.items()},
          "at the end", {k: v >> 20 for k, v in growth.final.items()})
    return course, cases, before, scores(db_url(course), FOLDER), tmp, growth, log


def test_hostile_submissions_score_only_their_honest_answers(graded):
    course, cases, _, got, *_ = graded
    wrong = {name: got.get(name, {}).get("auto") for name, case in cases.items()
             if got.get(name, {}).get("auto") != case.expected}
    assert not wrong, f"unexpected scores: {wrong}"


def test_each_hostile_submission_has_its_reason_recorded(graded):
    course, cases, *_ = graded
    missing = {name: words for name, case in cases.items() for words in reasons(case)
               if words not in graded_notebook_text(course, name)}
    assert not missing, f"no recorded reason for: {missing}"


def test_each_hostile_submission_passes_its_own_check(graded):
    course, cases, *_ = graded
    problems = {name: case.check(graded_notebook_text(course, name) or "{}")
                for name, case in cases.items() if case.check}
    failed = {k: v for k, v in problems.items() if v}
    assert not failed, f"hostile submissions that failed their own check: {failed}"


def test_a_folder_without_a_notebook_is_never_credited_beyond_its_clicks(graded):
    """Nor with the instructor's own clicks, which lie in source/ beside the assignment."""
    course, _, _, got, *_ = graded
    assert got["missing_notebook"]["auto"] == 0
    assert got["lost_notebook_kept_clicks"]["auto"] == 1


def test_nothing_is_left_behind_on_the_host(graded):
    """No sandbox, mirror or scratch folder outlives grading, and the attacks that write
    everything they can never grew the host's disk or shared memory beyond a small bound, at any
    moment of the grading (sampled while it ran), not only once it was over."""
    *_, tmp, growth, _ = graded
    left = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*"))
    assert not left, f"left in the grader's temp folder: {left[:20]}"
    for place, bound in HOST_GROWTH_BOUND.items():
        assert growth.peak[place] < bound, (
            f"the host's {place} grew by up to {growth.peak[place] >> 20} MB while grading ran "
            f"({growth.final[place] >> 20} MB at the end); the bound is {bound >> 20} MB")


def test_the_log_names_submissions_never_the_temporary_copies(graded):
    """What the instructor reads points at submitted/, not at a mirror that is gone by then."""
    course, *_, log = graded
    assert "course-mirror-" not in log
    assert "course-grade-" not in log
    if "Cannot grade" in log:   # nbgrader's own log (course grade prints its summary instead)
        assert f"Cannot grade {course / 'submitted'}" in log


def test_honest_students_lose_nothing(graded):
    course, _, before, got, *_ = graded
    for student in HONEST:
        assert got[student]["auto"] == got[student]["max_auto"] == 9
        assert digest(course / "submitted" / student) == before[student]
        assert "Hidden tests ran" in graded_notebook_text(course, student)
    assert (course / "gradebook.db").stat().st_size > 0


def test_no_hidden_test_or_key_reaches_a_graded_notebook(graded, generated):
    course, *_ = graded
    for path in (course / "autograded").rglob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" not in text and "expect(" not in text, path


def test_the_network_was_never_reached(graded):
    assert Recorder.hits == [], f"a kernel reached the network: {Recorder.hits}"


def test_no_process_outlives_grading(graded, request):
    # The sandbox's processes die with it; the kernel tears that down just after grading returns.
    sleeper = f"^sleep {SLEEP_SECONDS[request.module.GRADER]}$"
    for _ in range(20):
        leftover = subprocess.run(["pgrep", "-f", sleeper], capture_output=True, text=True)
        if not leftover.stdout.strip():
            return
        time.sleep(0.5)
    ps = subprocess.run(["ps", "-o", "pid,ppid,etime,args", "-p", leftover.stdout.split()[0]],
                        capture_output=True, text=True).stdout
    pytest.fail(f"a process outlived grading by more than 10 s:\n{ps}")


def test_feedback_never_shows_hidden_tests(graded):
    """Stock nbgrader puts hidden tests in feedback (jupyter/nbgrader#917, #1363); ours cannot."""
    course, *_ = graded
    student = HONEST[0]
    nbgrader(course, "generate_feedback", FOLDER, "--student", student, "--force")
    html = next((course / "feedback" / student / FOLDER).glob("*.html")).read_text(encoding="utf-8")
    assert "Hidden tests ran when this was graded" in html
    assert "BEGIN HIDDEN TESTS" not in html and "expect(" not in html


class LivePayloads(html.parser.HTMLParser):
    """Script or event handlers in an HTML page that carry a payload (text mentioning it is fine)."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            value = value or ""
            if (name.startswith("on") and "__xss" in value) or (
                    name in ("href", "src") and value.strip().lower().startswith("javascript:")):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data):
        if self._in_script and "__xss" in data:
            self.found.append(f"<script>{data[:60]}")

    def handle_endtag(self, tag):
        self._in_script = False


def test_feedback_keeps_student_content_inert(graded):
    """The payloads may appear as text (escaped), never as live script or event handlers."""
    course, *_ = graded
    for student in ("xss_output", "xss_reflection"):
        nbgrader(course, "generate_feedback", FOLDER, "--student", student, "--force")
        html_text = next((course / "feedback" / student / FOLDER).glob("*.html")).read_text("utf-8")
        parser = LivePayloads()
        parser.feed(html_text)
        assert not parser.found, (student, parser.found)


#: The shared suite: what a test file takes with `from hostile_kit import *` (pytest
#: collects the imported tests and fixtures as the file's own).
__all__ = [
    "listener",
    "generated",
    "graded",
    "test_hostile_submissions_score_only_their_honest_answers",
    "test_each_hostile_submission_has_its_reason_recorded",
    "test_each_hostile_submission_passes_its_own_check",
    "test_a_folder_without_a_notebook_is_never_credited_beyond_its_clicks",
    "test_nothing_is_left_behind_on_the_host",
    "test_the_log_names_submissions_never_the_temporary_copies",
    "test_honest_students_lose_nothing",
    "test_no_hidden_test_or_key_reaches_a_graded_notebook",
    "test_the_network_was_never_reached",
    "test_no_process_outlives_grading",
    "test_feedback_never_shows_hidden_tests",
    "test_feedback_keeps_student_content_inert",
]
