"""A sixth module added by data alone: build, check and report work on it with no code changed.

In a scratch copy of the course, the test adds what CONTRIBUTING.md asks of an author and nothing
else: the module and its themes in the catalogue, its content file with items of several kinds,
its source notebook with placeholders where the items go, and its keys file. Then `course build`,
`course check` and `course report` must work on it as on any module.

The copy's kernels run without the grading sandbox: the sandbox shows a kernel the installed
`course` package, and this test's point is the copy's own package with the new module's data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT

pytestmark = pytest.mark.pipeline

FOLDER, NOTEBOOK = "m6_night_shift", "night_shift"

CATALOGUE = '''
[[module]]
id = "m6"
folder = "m6_night_shift"
notebook = "night_shift"
title = "The night shift (a fictional module for the tests)"
seed = "000_a6cd2a48f7025688.txt"
''' + "".join(f'''
[[theme]]
id = "m6.{slug}"
module = "m6"
title = "{title}"
outcome = "A fictional learning outcome for the theme {title.lower()}, long enough to pass."
''' for slug, title in [("quiet-hours", "Quiet hours"), ("lone-working", "Working alone safely"),
                        ("handover", "A clear handover"), ("late-visitors", "Late visitors"),
                        ("logging", "Keeping the log")])

ITEMS = '''
# Module 6 (fictional, for tests): public data, no keys.
[[item]]
id = "m6_q1_late_visitor"
kind = "choice"
question = "What do you say first to the visitor at the locked door?"
points = 1
themes = ["m6.late-visitors"]
context = "At 11 pm a visitor knocks at the locked front door of an office block."
[item.options]
a = "Nothing: point at the sign with the opening hours."
b = "Good evening: ask through the intercom what they need."
c = "Tell them to come back in the morning and walk off."

[[item]]
id = "m6_q2_lone_working"
kind = "multi"
question = "Which habits keep a lone night officer safe? Choose every one that applies."
points = 2
themes = ["m6.lone-working"]
[item.options]
a = "Checking in with control at agreed times."
b = "Leaving the radio in the office on patrol."
c = "Telling control before entering a dark plant room."
d = "Skipping the check-in when the night is quiet."

[[item]]
id = "m6_q3_handover"
kind = "match"
question = "Match each note to the part of the handover it belongs to."
points = 2
themes = ["m6.handover"]
[item.parts]
door = "The fire door on level 3 sticks and needs a push"
guest = "A contractor is booked in for 6 am"
alarm = "Zone 4 gave a false alarm at 2 am"
[item.options]
a = "Faults to watch"
b = "Expected arrivals"
c = "Events of the night"

[[item]]
id = "m6_q4_quiet_patrol"
kind = "order"
question = "Put the steps for a noise heard in an empty floor in the order you take them."
points = 2
themes = ["m6.quiet-hours"]
[item.options]
a = "Tell control where you are going and why."
b = "Stop and listen from a safe place."
c = "Go in calmly and announce yourself."
d = "Write it up in the log."

[[item]]
id = "m6_q5_log_count"
kind = "number"
question = "How many entries in the fictional log are about doors?"
points = 1
themes = ["m6.logging"]
skill_check = true
widget = false
integer = true
min = 0
max = 20
context = "The fictional log has five entries; three are about doors."
'''

KEYS = '''
m6_q1_late_visitor = "b"
m6_q2_lone_working = ["a", "c"]
m6_q3_handover = { door = "a", guest = "b", alarm = "c" }
m6_q4_quiet_patrol = ["b", "a", "c", "d"]
m6_q5_log_count = 3
'''


def notebook() -> nbformat.NotebookNode:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [md("# Module 6: the night shift (fictional)", id="m6-title"),
             code("from course import ask, saved_answer, check_answer", id="m6-setup", metadata={
                 "course": {"role": "setup", "themes": []},
                 "nbgrader": {"grade": False, "grade_id": "m6-setup", "locked": True,
                              "schema_version": 3, "solution": False}})]
    themes = ["quiet-hours", "lone-working", "handover", "late-visitors", "logging"]
    for n, slug in enumerate(themes, start=1):
        cells.append(md(f"## {n}. A section on {slug}\n\nFictional lesson text.", id=f"m6-s{n}",
                        metadata={"course": {"role": "lesson", "themes": [f"m6.{slug}"],
                                             "section": f"{n}. A section on {slug}"}}))
    for placeholder in ["m6_q1_late_visitor", "m6_q2_lone_working", "m6_q3_handover",
                        "m6_q4_quiet_patrol", "m6_q5_log_count"]:
        cells.append(md(f"{{{{ item {placeholder} }}}}", id=f"slot-{placeholder[:5]}"))
    cells += [
        md("## Reflection 1 (4 points): a night you remember", id="m6-r1-prompt"),
        md("YOUR ANSWER HERE", id="m6-r1-night", metadata={
            "course": {"role": "reflection", "themes": [f"m6.{t}" for t in themes]},
            "nbgrader": {"grade": True, "grade_id": "m6_r1_night", "locked": False, "points": 4,
                         "schema_version": 3, "solution": True}}),
        md("**Rubric (instructor only).**", id="m6-r1-rubric",
           metadata={"course": {"role": "rubric", "for": "m6_r1_night"}}),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


def course(scratch, *args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(scratch))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    proc = subprocess.run([sys.executable, "-m", "course.cli", *args], cwd=cwd or scratch, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_a_sixth_module_added_by_data_alone_builds_checks_and_reports(tmp_path):
    scratch = tmp_path / "course-copy"
    scratch.mkdir()
    shutil.copytree(ROOT / "course", scratch / "course",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "source", scratch / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*_answers.json"))
    for name in ("nbgrader_config.py", "README.md"):
        shutil.copy(ROOT / name, scratch / name)
    with open(scratch / "nbgrader_config.py", "a") as f:
        f.write("\nc.SafeExecute.use_sandbox = False\n")
    # The author's data, and nothing else.
    with open(scratch / "course" / "content" / "themes.toml", "a") as f:
        f.write(CATALOGUE)
    (scratch / "course" / "content" / f"{FOLDER}.toml").write_text(ITEMS, encoding="utf-8")
    (scratch / "source" / FOLDER).mkdir()
    nbformat.write(notebook(), str(scratch / "source" / FOLDER / f"{NOTEBOOK}.ipynb"))
    (scratch / "source" / FOLDER / "keys.toml").write_text(KEYS, encoding="utf-8")

    course(scratch, "build", FOLDER)
    source = nbformat.read(str(scratch / "source" / FOLDER / f"{NOTEBOOK}.ipynb"), as_version=4)
    assert not any("{{ item" in c.source for c in source.cells), "placeholders became items"
    roles = [c.metadata.get("course", {}).get("role") for c in source.cells]
    assert roles.count("item") == 5 and roles.count("ask") == 4 and roles.count("answer") == 5
    release = (scratch / "release" / FOLDER / f"{NOTEBOOK}.ipynb").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in release and "expect(" not in release
    assert not (scratch / "release" / FOLDER / "keys.toml").exists()
    assert f"`{FOLDER}`" in (scratch / "README.md").read_text(encoding="utf-8")

    out = course(scratch, "check", FOLDER, "--keep", str(tmp_path / "graded"))
    assert "5 of 5 expectations met" in out, out
    assert "credit" in out and "MISMATCH" not in out

    report = tmp_path / "report"
    out = course(scratch, "report", "--out", str(report), cwd=tmp_path / "graded")
    html = (report / "report.html").read_text(encoding="utf-8")
    for theme in ("m6.quiet-hours", "m6.lone-working", "m6.handover", "m6.late-visitors"):
        assert theme in html
    items_csv = (report / "items.csv").read_text(encoding="utf-8")
    for item_id in ("m6_q1_late_visitor", "m6_q4_quiet_patrol", "m6_q5_log_count"):
        assert item_id in items_csv
    assert "skill check" in html
