"""The instructor's report and a learner's note, measured in Chromium with axe-core.

`course report` is built for a fictional class of 12 over the real modules; report.html and one
learner's feedback page are opened from disk and checked: no violation of impact serious or
critical anywhere on them (the whole page is the course's own). A planted violation shows the
check can fail.
"""

from __future__ import annotations

import json
import os

import pytest

from browser_kit import artifacts, axe, chromium_session
from conftest import ROOT
from course import cli, notebooks
from course.build import scratch_course
from course.report import structure, synthetic

pytestmark = pytest.mark.browser
SHOTS = artifacts("report")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    course_dir = tmp_path_factory.mktemp("report-course")
    scratch_course(ROOT, course_dir, [m["folder"] for m in notebooks.modules_in(ROOT)])
    modules = structure.load(course_dir)
    subs, duedates = synthetic.random_class(modules, 12, seed=5)
    synthetic.write_gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", modules, subs, duedates,
                              course_id="customer-service-in-security")
    synthetic.write_answers(course_dir, subs)
    out = course_dir / "report"
    here = os.getcwd()
    os.chdir(course_dir)   # `course report` works on the course in the current folder
    try:
        assert cli.main(["report", "--out", str(out)]) == 0
    finally:
        os.chdir(here)
    return out


@pytest.fixture(scope="module")
def page():
    with chromium_session() as chromium:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()


def serious(findings: list[dict]) -> list[str]:
    return [f"{f['id']} ({f['impact']}): {f['help']} at {f['target']}: {f['html'][:120]}"
            for f in findings if f["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("which", ["report.html", "a learner's feedback"])
def test_no_serious_accessibility_violation(report, page, which):
    path = report / "report.html" if which == "report.html" else \
        sorted((report / "feedback").glob("*.html"))[0]
    page.goto(path.as_uri())
    findings = axe(page)
    name = "report" if which == "report.html" else "feedback"
    (SHOTS / f"axe-{name}.json").write_text(json.dumps(findings, indent=1))
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    assert not serious(findings), "\n".join(serious(findings))


def test_control_a_planted_violation_is_found(report, page):
    page.goto((report / "report.html").as_uri())
    page.evaluate("() => { const b = document.createElement('button'); b.id = 'planted';"
                  " document.body.appendChild(b); }")   # a button with no accessible name
    assert any(f["id"] == "button-name" for f in axe(page))
