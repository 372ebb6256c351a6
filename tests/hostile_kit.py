"""The hostile class and the checks it must pass, shared by the two ways of grading it.

test_hostile_nbgrader.py grades the class with stock `nbgrader autograde`, test_hostile_course_grade.py
with `course grade`; both read the course's nbgrader_config.py. Each hostile learner scores exactly
what its honest answers earn, with the reason recorded in the graded notebook, while two honest
learners graded in the same run keep full marks and untouched files. See COURSE_DESIGN.md section 7
for the threat model. The two files are separate so that `make test` grades them side by side.
"""

from __future__ import annotations

import copy
import hashlib
import http.server
import json
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from course import content, grade, notebooks
from course import submissions as subs
from course.build import nbgrader, scratch_course
from course.gradebook import db_url, scores

from conftest import ROOT

FOLDER, NAME = "m1_first_contact", "first_contact"
HONEST = ("aaa_honest_typed", "zzz_honest_clicked")


@dataclass
class Case:
    build: Callable          # (release nb, keys, folder) -> None: writes the submission folder
    expected: float
    reason: str = ""         # text that the graded notebook must show
    stock_sees_it: bool = True  # False: stock nbgrader never lists it (no *.ipynb in the folder)


def inject(nb, item_id: str, code: str):
    """Append code to an answer cell, as a learner typing into it would."""
    cell = notebooks.answer_cells(nb)[item_id]
    cell.source += "\n" + code
    return nb


def write(folder: Path, nb, clicks=None):
    subs.write_submission(folder.parent.parent, folder.parent.name, FOLDER, NAME, nb, clicks)


Q1 = "m1_q1_point_of_contact"
Q2 = "m1_q2_approachable_manner"
Q3 = "m1_q3_reporting"

THIEF = r'''
import glob, os, re, course
places = [os.path.dirname(os.path.dirname(course.__file__)), "/", "/tmp", "/root", "..", "../..", "."]
stolen = {}
for place in places:
    if stolen:
        break
    for path in glob.glob(os.path.join(place, "**", "*.ipynb"), recursive=True)[:500]:
        try:
            text = open(path, errors="ignore").read()
        except OSError:
            continue
        for item, key in re.findall(r'expect\(\\"(m1_q\d_\w+)\\", q\d, (.*?)\)\\n', text):
            stolen[item] = eval(key.replace('\\"', '"'))
print("thief found", sorted(stolen))
saved_answer = lambda item_id, *args: stolen.get(item_id)   # every later answer cell asks this
q1 = saved_answer("m1_q1_point_of_contact")
'''

HIDDEN_READER = r'''
import re
_ip = get_ipython()
def _steal(info):
    for var, key in re.findall(r'expect\("m1_q\d_\w+", (q\d), (.+)\)', info.raw_cell or ""):
        _ip.user_ns[var] = eval(key)
_ip.events.register("pre_run_cell", _steal)
'''

VANDAL = r'''
import glob, os, shutil, course
targets = glob.glob("/**/gradebook.db", recursive=True) + glob.glob("../**/*.ipynb", recursive=True)
targets += [os.path.join(os.path.dirname(os.path.dirname(course.__file__)), "gradebook.db")]
for t in targets:
    for attempt in (lambda: open(t, "w").write("gone"), lambda: os.remove(t)):
        try:
            attempt()
        except OSError:
            pass
for d in ["..", "../..", "../../..", "/tmp", os.path.dirname(course.__file__)]:
    shutil.rmtree(d, ignore_errors=True)
'''

CHEAT = r'''
class AlwaysEqual:
    def __eq__(self, other): return True
    def __hash__(self): return 0
class SneakyStr(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__
q1, q2, q3, q4, q5, q6, q7 = (SneakyStr("a"), {AlwaysEqual()}, AlwaysEqual(), AlwaysEqual(),
                              SneakyStr("b"), {"campus": AlwaysEqual()}, AlwaysEqual())
'''

SWALLOWER = r'''
_ip = get_ipython()
_ip.set_custom_exc((BaseException,), lambda *a, **k: None)
_ip.showtraceback = lambda *a, **k: None
'''

PATCHER = r'''
import builtins, course.grading, course.verdicts
course.grading.expect = lambda *a, **k: None
course.grading.same_plain = lambda *a, **k: True
course.grading.emit = lambda *a, **k: None
builtins.AssertionError = type("Nope", (Exception,), {})
'''

FAKE_RESULT = r'''
import sys
_ip = get_ipython()
def _fake(result):
    _ip.displayhook(1000)                       # nbgrader reads a number as partial credit
    from IPython.display import display
    display({"application/vnd.course.answer+json": {"item": "m1_q1_point_of_contact",
             "value": {"t": "str", "v": "b"}}}, raw=True)
_ip.events.register("post_run_cell", _fake)
'''


def network_payload(port: int) -> str:
    return f'''
import socket, urllib.request
for attempt in (lambda: urllib.request.urlopen("http://127.0.0.1:{port}/leak", timeout=3),
                lambda: socket.create_connection(("pypi.org", 443), timeout=3)):
    try:
        attempt()
        print("network reached")
    except Exception as err:
        print("no network:", type(err).__name__)
'''


def build_cases(port: int, sleep_seconds: int) -> dict:
    def answered(answers, extra=None):
        def build(rel, keys, folder):
            nb = subs.typed(rel, {k: keys[k] for k in answers})
            for item, code in (extra or {}).items():
                inject(nb, item, code)
            write(folder, nb)
        return build

    def raw(data: bytes, name=f"{NAME}.ipynb"):
        def build(rel, keys, folder):
            folder.mkdir(parents=True)
            (folder / name).write_bytes(data)
        return build

    def renamed(rel, keys, folder):
        folder.mkdir(parents=True)
        nbformat.write(subs.typed(rel, keys), str(folder / "my_work.ipynb"))

    def missing(rel, keys, folder):
        folder.mkdir(parents=True)

    def only_clicks(rel, keys, folder):
        folder.mkdir(parents=True)
        subs.clicked(folder, {Q1: keys[Q1]})

    def deleted_test(rel, keys, folder):
        nb = subs.typed(rel, keys)
        nb.cells = [c for c in nb.cells if notebooks.nbgrader_meta(c).get("grade_id")
                    != "m1_test_q1_point_of_contact"]
        write(folder, nb)

    def tampered_tests(rel, keys, folder):
        nb = subs.typed(rel, {})
        extra = []
        for cell in nb.cells:
            if notebooks.course_meta(cell).get("role") == "item":
                cell.source = "pass"
                twin = copy.deepcopy(cell)
                twin.id = cell.id + "-twin"
                extra.append(twin)
        nb.cells += extra
        write(folder, nb)

    def bonus_cell(rel, keys, folder):
        nb = subs.typed(rel, {})
        cell = nbformat.v4.new_code_cell("print('bonus')", id="bonus")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "points": 100, "grade_id": "m1_bonus", "schema_version": 3}
        nb.cells.append(cell)
        write(folder, nb)

    def big_file(rel, keys, folder):
        write(folder, subs.typed(rel, keys))
        with open(folder / "holiday_video.bin", "wb") as f:
            f.seek(100 * 2**20)
            f.write(b"\0")

    def future_format(rel, keys, folder):
        nb = subs.typed(rel, keys)
        data = json.loads(nbformat.writes(nb))
        data["nbformat"] = 99
        raw(json.dumps(data).encode())(rel, keys, folder)

    def huge(rel, keys, folder):
        nb = subs.typed(rel, keys)
        nb.cells.append(nbformat.v4.new_markdown_cell("x" * (21 * 2**20)))
        write(folder, nb)

    def utf16(rel, keys, folder):
        raw(nbformat.writes(subs.typed(rel, keys)).encode("utf-16"))(rel, keys, folder)

    right = {Q1: None}
    return {
        "thief": Case(answered([], {Q1: THIEF}), 0, "not answered"),
        "hidden_test_reader": Case(answered([], {Q1: HIDDEN_READER}), 0, "not answered"),
        "gradebook_vandal": Case(answered([], {Q1: VANDAL}), 0, "not answered"),
        "equality_cheat": Case(answered([], {Q1: CHEAT}), 0, "not a plain value"),
        "exception_swallower": Case(answered([], {Q1: SWALLOWER}), 0, "not answered"),
        "checker_patcher": Case(answered([], {Q1: PATCHER}), 0, "no answer could be read"),
        "fake_results": Case(answered([], {Q1: FAKE_RESULT}), 0, "tampering"),
        "infinite_loop": Case(answered(right, {Q2: "while True:\n    pass"}), 1, "longer than"),
        "stubborn_sleeper": Case(answered(right, {Q2: (
            "import time\nwhile True:\n    try:\n        time.sleep(1)\n"
            "    except KeyboardInterrupt:\n        pass")}), 1, "longer than"),
        "kernel_killer": Case(answered(right, {Q2: "import os\nos.kill(os.getpid(), 9)"}), 1,
                              "kernel stopped"),
        "memory_bomb": Case(answered([Q1, Q2, Q3], {Q2: "hog = [0] * 2**36  # half a terabyte"}),
                            4, "MemoryError"),
        "output_flood": Case(answered([], {Q1: "for _ in range(200000):\n    print('x' * 1000)"}), 0,
                             "the rest was dropped"),
        "process_flood": Case(answered(right, {Q1: (
            "import subprocess\nkids = []\ntry:\n    for _ in range(2000):\n"
            f"        kids.append(subprocess.Popen(['sleep', '{sleep_seconds}']))\nexcept OSError as err:\n"
            "    print('stopped at', len(kids), type(err).__name__)")}), 1, "stopped at"),
        "network_user": Case(answered(right, {Q1: network_payload(port)}), 1, "no network"),
        "invalid_json": Case(raw(b'{"cells": [ this is not json'), 0, "not a valid notebook"),
        "odd_encoding": Case(utf16, 0, "not UTF-8"),
        "future_nbformat": Case(future_format, 0, "not a valid notebook"),
        "huge_notebook": Case(huge, 0, "far larger"),
        "missing_notebook": Case(missing, 0, "no notebook named first_contact.ipynb",
                                 stock_sees_it=False),
        # The notebook is lost but the saved clicks are the learner's answers: they count.
        "lost_notebook_kept_clicks": Case(only_clicks, 1, "no notebook named first_contact.ipynb",
                                          stock_sees_it=False),
        "renamed_notebook": Case(renamed, 0, "found: my_work.ipynb"),
        "deleted_test_cell": Case(deleted_test, 9, "was missing from the submission"),
        "tampered_test_cells": Case(tampered_tests, 0, "not answered"),
        "bonus_cell": Case(bonus_cell, 0, "not answered"),
        "huge_extra_file": Case(big_file, 9),
    }


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


@pytest.fixture(scope="module")
def graded(request, generated, listener, tmp_path_factory):
    """The hostile class and two honest learners, graded the way the test module's GRADER names."""
    grader = request.module.GRADER
    base, keys, release = generated
    course = tmp_path_factory.mktemp("hostile")
    shutil.copytree(base, course, dirs_exist_ok=True)
    cases = build_cases(listener, SLEEP_SECONDS[grader])
    for name, case in cases.items():
        case.build(release, keys, course / "submitted" / name / FOLDER)
    write(course / "submitted" / HONEST[0] / FOLDER, subs.typed(release, keys))
    write(course / "submitted" / HONEST[1] / FOLDER, subs.typed(release, {}), clicks=keys)
    before = {s: digest(course / "submitted" / s) for s in HONEST}
    if grader == "nbgrader autograde":
        nbgrader(course, "autograde", FOLDER, "--force", check=False)
    else:
        summary = grade.grade(course, [FOLDER], jobs=2, progress=False)
        print(grade.report(summary))
    if grader == "nbgrader autograde":
        # Stock nbgrader finds students by globbing submitted/*/<assignment>/*.ipynb: a folder
        # with no notebook is never listed, so nothing is recorded (and nothing credited).
        # `course grade` lists folders, and records the zero with its reason.
        cases = {name: case for name, case in cases.items() if case.stock_sees_it}
    return course, cases, before, scores(db_url(course), FOLDER)


def test_hostile_submissions_score_only_their_honest_answers(graded):
    course, cases, _, got = graded
    wrong = {name: got.get(name, {}).get("auto") for name, case in cases.items()
             if got.get(name, {}).get("auto") != case.expected}
    assert not wrong, f"unexpected scores: {wrong}"


def test_each_hostile_submission_has_its_reason_recorded(graded):
    course, cases, _, _ = graded
    missing = [name for name, case in cases.items()
               if case.reason and case.reason not in graded_notebook_text(course, name)]
    assert not missing, f"no recorded reason for: {missing}"


def test_a_folder_without_a_notebook_is_never_credited_beyond_its_clicks(graded):
    course, _, _, got = graded
    assert got.get("missing_notebook", {}).get("auto", 0) == 0
    assert got.get("lost_notebook_kept_clicks", {}).get("auto", 0) <= 1


def test_honest_students_lose_nothing(graded):
    course, _, before, got = graded
    for student in HONEST:
        assert got[student]["auto"] == got[student]["max_auto"] == 9
        assert digest(course / "submitted" / student) == before[student]
        assert "Hidden tests ran" in graded_notebook_text(course, student)
    assert (course / "gradebook.db").stat().st_size > 0


def test_no_hidden_test_or_key_reaches_a_graded_notebook(graded, generated):
    course, _, _, _ = graded
    for path in (course / "autograded").rglob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" not in text and "expect(" not in text, path


def test_the_network_was_never_reached(graded):
    assert Recorder.hits == []


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
    course, _, _, _ = graded
    student = HONEST[0]
    nbgrader(course, "generate_feedback", FOLDER, "--student", student, "--force")
    html = next((course / "feedback" / student / FOLDER).glob("*.html")).read_text(encoding="utf-8")
    assert "Hidden tests ran when this was graded" in html
    assert "BEGIN HIDDEN TESTS" not in html and "expect(" not in html


#: The shared suite: what a test file takes with `from hostile_kit import *` (pytest
#: collects the imported tests and fixtures as the file's own).
__all__ = [
    "listener",
    "generated",
    "graded",
    "test_hostile_submissions_score_only_their_honest_answers",
    "test_each_hostile_submission_has_its_reason_recorded",
    "test_a_folder_without_a_notebook_is_never_credited_beyond_its_clicks",
    "test_honest_students_lose_nothing",
    "test_no_hidden_test_or_key_reaches_a_graded_notebook",
    "test_the_network_was_never_reached",
    "test_no_process_outlives_grading",
    "test_feedback_never_shows_hidden_tests",
]
