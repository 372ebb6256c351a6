"""A class on a real JupyterHub, end to end, in Chromium.

The hub runs deploy/jupyterhub_config.py as a class would (tests/hub/hub_kit.py says what the test
changes), with nbgrader's default exchange: a folder every server can reach. Two students log
in, fetch Module 1 from the Assignment List, answer it (one by clicking, one by typing) and
submit; the instructor collects, autogrades with the course's protections, and returns
feedback; a student fetches it and sees the score.
"""

from __future__ import annotations

import pytest

from browser_kit import artifacts, chromium_session, command
from course import notebooks
from course.submissions import keys, points
from hub_kit import (CLICKER, FOLDER, INSTRUCTOR, NOTEBOOK, TYPIST, class_hub,
                     fetch_and_read_feedback, fetch_answer_and_submit, log_in, nbgrader)

from playwright.sync_api import expect

pytestmark = [pytest.mark.pipeline, pytest.mark.browser]
SHOTS = artifacts("hub")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with class_hub(tmp_path_factory.mktemp("hub"), SHOTS) as info:
        yield info


@pytest.fixture(scope="module")
def chromium():
    with chromium_session() as browser:
        yield browser


def test_a_class_fetches_answers_submits_and_gets_feedback(hub, chromium):
    course = hub["course"]
    nbgrader(hub, "generate_assignment", FOLDER, "--force")
    nbgrader(hub, "release_assignment", FOLDER, "--force")
    source = notebooks.read(course / "source" / FOLDER / NOTEBOOK)
    release = notebooks.read(course / "release" / FOLDER / NOTEBOOK)
    key, pts = keys(source), points(source)
    typed_items = list(key)[:2]
    expected = {CLICKER: float(sum(pts.values())), TYPIST: float(sum(pts[i] for i in typed_items))}

    # The instructor's formgrader shows inside JupyterLab under the hub's security policy.
    teacher = log_in(chromium, hub, INSTRUCTOR)
    assert teacher.evaluate("() => window.jupyterapp.commands.hasCommand('nbgrader:open-formgrader')")
    command(teacher, "nbgrader:open-formgrader")
    formgrader = teacher.frame_locator("iframe[src*='formgrader']")
    expect(formgrader.get_by_text("Manage Assignments").first).to_be_visible(timeout=60_000)
    # In the assignments table: the config panel (collapsed) names the assignment too.
    expect(formgrader.locator("td", has_text=FOLDER).first).to_be_visible(timeout=60_000)
    teacher.screenshot(path=SHOTS / "instructor-formgrader.png")

    for student, answers in ((CLICKER, key), (TYPIST, {i: key[i] for i in typed_items})):
        fetch_answer_and_submit(chromium, hub, student, release, answers, SHOTS)

    # The instructor: collect, autograde (sandboxed, by the course's config), return feedback.
    nbgrader(hub, "collect", FOLDER, "--CollectApp.check_owner=False")
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted([CLICKER, TYPIST])
    nbgrader(hub, "autograde", FOLDER)
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(FOLDER, s).score for s in (CLICKER, TYPIST)}
    assert scores == expected
    nbgrader(hub, "generate_feedback", FOLDER)
    nbgrader(hub, "release_feedback", FOLDER)

    # A student fetches the feedback and reads the score.
    shown, _ = fetch_and_read_feedback(chromium, hub, TYPIST, SHOTS)
    assert shown == expected[TYPIST]
