"""`course report` with strange answers files: that learner's answers are unreadable, with the
reason, and the report is built for everyone else exactly as it would be without them.

Each attacker clicked every answer, then replaced the module's answers file with something no
question widget writes: JSON nested 100,000 levels deep, a list inside a multi answer, a link to
/dev/stdin, a named pipe, a link to a classmate's answers (and, as a folder, a link to a
classmate's whole graded folder). The controls show that a plain ``open`` and ``json.load`` of
the same files hangs, raises or reads the classmate's clicks, so the test can fail.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
from collections import Counter

import pytest

from course import report as report_mod
from course.report import analysis, learner_answers, synthetic
from course.report.learner_answers import UNREADABLE

from test_report import assert_self_contained, read_csv

LEARNERS = 14
HONEST = "learner0000"   # the classmate whose answers one attacker links to
#: attacker -> what must be named as the reason
ATTACKS = {
    "learner0001": "not valid JSON",                   # nested 100,000 levels deep
    "learner0002": "nested deeper than any click",     # a list inside a multi answer
    "learner0003": "is a link",                        # a link to /dev/stdin
    "learner0004": "is a named pipe",                  # a named pipe
    "learner0005": "is a link",                        # a link to the classmate's answers
    "learner0006": "is a link",                        # the graded folder links to the classmate's
}
#: Long enough for a slow shared machine; a report that waits on a pipe never finishes at all.
BUILD_SECONDS = 300
#: A plain read that has not finished by then is waiting on its pipe.
HANG_SECONDS = 3


def answers_file(course_dir, student, module):
    return course_dir / "autograded" / student / module.folder / f"{module.id}_answers.json"


def multi_item(module):
    return next(item for item in module.items if item.kind == "multi")


def damage(course_dir, module) -> None:
    """Replace each attacker's answers file (or folder) with its attack."""
    path = {s: answers_file(course_dir, s, module) for s in [HONEST, *ATTACKS]}
    path["learner0001"].write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    clicks = json.loads(path["learner0002"].read_text())
    clicks[multi_item(module).id] = [["a"], "c"]
    path["learner0002"].write_text(json.dumps(clicks))
    path["learner0003"].unlink()
    path["learner0003"].symlink_to("/dev/stdin")
    path["learner0004"].unlink()
    os.mkfifo(path["learner0004"])
    path["learner0005"].unlink()
    path["learner0005"].symlink_to(path[HONEST])
    graded = path["learner0006"].parent
    for child in graded.iterdir():
        child.unlink()
    graded.rmdir()
    graded.symlink_to(path[HONEST].parent)


@pytest.fixture(scope="module")
def klass():
    """One fictional module with an item of every kind, and a class that clicked its answers."""
    (module,) = synthetic.modules(1, items_per_module=len(synthetic.KINDS))
    subs, duedates = synthetic.random_class([module], LEARNERS, seed=11)
    for sub in subs:
        if sub.student in (HONEST, *ATTACKS):
            sub.typed = set()   # every answer clicked, so it lives in the answers file
            for item in module.items:   # and every question answered
                if item.id not in sub.answers:
                    sub.answers[item.id] = item.spec.solution(item.key)
                    sub.points[item.id] = synthetic.points_for(item, sub.answers[item.id])
    return module, subs, duedates


def write_class(course_dir, klass, damaged: bool):
    module, subs, duedates = klass
    synthetic.write_gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", [module], subs,
                              duedates)
    synthetic.write_answers(course_dir, subs)
    if damaged:
        damage(course_dir, module)
    return course_dir


def build_in_time(course_dir, module):
    """The report, built in a thread: a build that waits on a pipe fails here, not by hanging."""
    built = {}

    def run():
        try:
            built["report"] = report_mod.build(course_dir, course_dir / "build" / "report",
                                               modules=[module])
        except BaseException as err:  # noqa: BLE001 (shown by the assertion below)
            built["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(BUILD_SECONDS)
    assert not worker.is_alive(), "the report is still waiting (on a pipe, say)"
    assert "error" not in built, built.get("error")
    return built["report"]


@pytest.fixture(scope="module")
def reports(klass, tmp_path_factory):
    module = klass[0]
    honest = build_in_time(write_class(tmp_path_factory.mktemp("honest"), klass, False), module)
    damaged_dir = write_class(tmp_path_factory.mktemp("damaged"), klass, True)
    return honest, build_in_time(damaged_dir, module), damaged_dir


def test_the_report_builds_and_names_each_attacker_with_the_reason(reports, klass):
    _, damaged, _ = reports
    data = damaged.analysis.data
    named = {student: why for student, _, why in data.unreadable_learners}
    assert set(named) == set(ATTACKS), named
    for student, words in ATTACKS.items():
        assert words in named[student], (student, named[student])
    note = next(w for w in damaged.analysis.warnings if w.startswith("Answers unreadable"))
    assert f"for {len(ATTACKS)} submissions" in note
    html = damaged.html.read_text(encoding="utf-8")
    assert "Answers unreadable for" in html and "learner0004" in html
    assert_self_contained(html, damaged.out)


def test_the_attackers_clicked_answers_count_as_unreadable(reports, klass):
    module, *_ = klass
    _, damaged, _ = reports
    subs = damaged.analysis.data.submissions
    for student in ATTACKS:
        answers = subs[(student, module.folder)].answers
        assert answers == {item.id: UNREADABLE for item in module.items}, student


def test_everyone_elses_answers_and_statistics_are_unchanged(reports, klass):
    module, *_ = klass
    honest, damaged, _ = reports
    h, d = honest.analysis, damaged.analysis
    assert h.data.unreadable_learners == []
    for (student, folder), sub in h.data.submissions.items():
        if student not in ATTACKS:
            assert d.data.submissions[(student, folder)].answers == sub.answers, student
    # Grades come from the gradebook: every score, item statistic and theme mastery stands.
    assert [(s.p, s.r_pb, s.d, s.flags) for s in h.items] == \
        [(s.p, s.r_pb, s.d, s.flags) for s in d.items]
    assert h.mastery == d.mastery and h.scores[0].auto == d.scores[0].auto
    assert read_csv(honest.files["lms"]) == read_csv(damaged.files["lms"])
    # The option shares are the honest report's, with only the attackers' answers unreadable.
    expected_data = copy.deepcopy(h.data)
    for (student, _), sub in expected_data.submissions.items():
        if student in ATTACKS:
            sub.answers = {item.id: UNREADABLE for item in module.items}
    expected = analysis.analyse([module], expected_data)
    counts = lambda a: Counter({(o.item.id, o.part, o.option): o.count   # noqa: E731
                                for o in a.options})
    assert counts(d) == counts(expected)
    assert counts(d) != counts(h)


def test_nothing_of_the_classmate_reaches_the_attacker(reports, klass):
    module, *_ = klass
    honest, damaged, _ = reports
    classmate = honest.analysis.data.submissions[(HONEST, module.folder)].answers
    assert any(v is not None for v in classmate.values())
    for student in ("learner0005", "learner0006"):
        assert damaged.analysis.data.submissions[(student, module.folder)].answers != classmate


def test_a_damaged_file_is_told_from_an_absent_one(tmp_path, klass):
    module, *_ = klass
    folder = tmp_path / "m"
    folder.mkdir()
    absent = learner_answers.read(folder, module)
    assert absent.problem is None and set(absent.answers.values()) == {None}
    (folder / f"{module.id}_answers.json").symlink_to(tmp_path / "nowhere")
    dangling = learner_answers.read(folder, module)
    assert "is a link" in dangling.problem
    assert all(v is UNREADABLE for v in dangling.answers.values())


def test_answers_an_honest_widget_leaves_incomplete_are_not_unreadable(tmp_path, klass):
    """An order with a step left open or a number box holding text is an answer given (counted as
    '(other)'), not a damaged file."""
    module, *_ = klass
    order = next(item for item in module.items if item.kind == "order")
    number = next(item for item in module.items if item.kind == "number")
    (tmp_path / f"{module.id}_answers.json").write_text(json.dumps(
        {order.id: ["c", None, None, None], number.id: "four"}))
    read = learner_answers.read(tmp_path, module)
    assert read.problem is None
    assert read.answers[order.id] == ["c", None, None, None] and read.answers[number.id] == "four"


# ---------------------------------------------------------------- controls: the files are hostile
NAIVE = "import json, sys\nwith open(sys.argv[1]) as f:\n    data = json.load(f)\n" \
        "print(json.dumps(data))\n"


def naive_read(path):
    """A plain open and json.load in a process of its own, as a terminal would run it: its
    standard input stays open and silent. Returns 'hangs', 'raises' or the data read."""
    proc = subprocess.Popen([sys.executable, "-c", NAIVE, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=HANG_SECONDS)   # (communicate would close its standard input)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return "hangs"
    finally:
        proc.stdin.close()
    out = proc.stdout.read()
    proc.stdout.close()
    proc.stderr.close()
    return "raises" if proc.returncode else json.loads(out)


def test_control_a_plain_read_of_the_same_files_hangs_raises_or_leaks(reports, klass):
    module, *_ = klass
    honest, _, course_dir = reports
    path = lambda student: answers_file(course_dir, student, module)   # noqa: E731
    assert naive_read(path("learner0001")) == "raises"          # RecursionError
    assert naive_read(path("learner0003")) == "hangs"           # /dev/stdin
    assert naive_read(path("learner0004")) == "hangs"           # the pipe, with no writer
    classmate = json.loads(path(HONEST).read_text())
    assert naive_read(path("learner0005")) == classmate         # a classmate's clicks
    assert naive_read(path("learner0006")) == classmate         # through the linked folder
    multi = multi_item(module)
    clicks = naive_read(path("learner0002"))
    with pytest.raises(TypeError, match="unhashable"):
        set(clicks[multi.id])                                   # JSON has no sets: decoded so
