"""No student output can run script in an instructor's or a student's browser, proved in Chromium.

Two hostile learners are graded with the course's config: one whose cells display HTML, JavaScript,
SVG and a forged image, one whose reflection and extra cells hold raw HTML and a javascript: link.
Their graded notebooks are opened in formgrader (on the instructor's own Jupyter origin, where a
script would act with the instructor's session) and their feedback pages are opened as files. Each
payload adds its own label to ``window.__xss``, so the test sees exactly which ones ran.

Stock nbconvert already shows three payloads inert, whatever the course does: the forged image
(its data is escaped into the ``src`` attribute), the SVG (shown as an image, whose scripts never
run) and the raw HTML cell (always cleaned). They stay in the hostile class, whose check requires
the graded notebook not to keep them; the control requires every other payload to run.

Two layers keep the pages inert (course/inert_views.py): the graded notebook is rewritten
(``c.Protections.inert_views``), and every HTML page made from a notebook is sanitised (nbconvert's
``c.HTMLExporter.sanitize_html`` with the course's ``markdown2html`` filter). Each layer is graded
and shown alone, with the other switched off, and must hold by itself; the control switches both
off and requires every payload to run, so the test is known to be able to fail for each of them.
"""

from __future__ import annotations

import os
import secrets
import shutil

import pytest

from browser_kit import BIN, Server, artifacts, chromium_session, stop_servers_on_sigterm
from conftest import free_port
from course.build import nbgrader
from course.gradebook import open_gradebook
from hostile_cases import FOLDER, NAME, XSS_LABELS, build_cases
from hostile_kit import generated  # noqa: F401 (the module-scoped scratch course)

pytestmark = pytest.mark.browser
ATTACKERS = ("xss_output", "xss_reflection")
SHOTS = artifacts("browser", "inert-views")
#: Layer 1: the graded notebook keeps no student HTML or script.
REWRITE_OFF = "\nc.Protections.inert_views = False\n"
#: Layer 2: formgrader's and the feedback pages' HTML is sanitised.
SANITISING_OFF = "\nc.HTMLExporter.sanitize_html = False\nc.HTMLExporter.filters = {}\n"
#: The payloads that can run in these pages when nothing protects them.
RUNNABLE = tuple(label for label in XSS_LABELS if label not in ("png", "svg", "raw"))
SETTINGS = {"protected": "", "rewrite-only": SANITISING_OFF, "sanitising-only": REWRITE_OFF,
            "control": REWRITE_OFF + SANITISING_OFF}


def graded_course(base, keys, release, folder, setting: str):
    course = folder / setting
    shutil.copytree(base, course)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(SETTINGS[setting])
    cases = build_cases(9, 300)
    for name in ATTACKERS:
        cases[name].build(release, keys, course / "submitted" / name / FOLDER)
    nbgrader(course, "autograde", FOLDER, "--force")
    nbgrader(course, "generate_feedback", FOLDER, "--force")
    return course


@pytest.fixture(scope="module", params=list(SETTINGS))
def formgrader(request, generated, tmp_path_factory):  # noqa: F811
    """A graded course and a Jupyter server with formgrader on it, as an instructor runs it."""
    stop_servers_on_sigterm()
    base, keys, release = generated
    scratch = tmp_path_factory.mktemp("formgrader")
    course = graded_course(base, keys, release, scratch, request.param)
    token, port = secrets.token_hex(16), free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
               PATH=f"{BIN}:{os.environ['PATH']}")
    server = Server([str(BIN / "jupyter"), "server", "--no-browser", "--allow-root",
                     "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                     "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                     f"--ServerApp.root_dir={course}"],
                    cwd=course, env=env, log=scratch / "server.log")
    try:
        server.wait_for(f"http://127.0.0.1:{port}/api/status?token={token}")
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "course": course,
               "setting": request.param}
    finally:
        server.stop()
        shutil.copy(server.log, SHOTS / f"formgrader-{request.param}.log")


def payloads_run(page) -> set:
    page.wait_for_timeout(1500)   # onerror handlers fire once the broken images have failed
    return set(page.evaluate(
        "() => Array.isArray(window.__xss) ? window.__xss.map(String) : "
        "(window.__xss === undefined ? [] : [String(window.__xss)])"))


def submission_ids(course) -> dict:
    with open_gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {name: gb.find_submission_notebook(NAME, FOLDER, name).id for name in ATTACKERS}


def test_formgrader_and_feedback_pages_run_no_student_script(formgrader):
    setting = formgrader["setting"]
    ran = {}
    with chromium_session() as chromium:
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        for name, sub_id in submission_ids(formgrader["course"]).items():
            page.goto(f"{formgrader['url']}/formgrader/submissions/{sub_id}/"
                      f"?token={formgrader['token']}")
            page.wait_for_selector("#notebook-container, .cell", timeout=60_000)
            ran[f"formgrader {name}"] = payloads_run(page)
            page.screenshot(path=str(SHOTS / f"{setting}-formgrader-{name}.png"), full_page=False)
            feedback = formgrader["course"] / "feedback" / name / FOLDER / f"{NAME}.html"
            page.goto(feedback.as_uri())
            ran[f"feedback {name}"] = payloads_run(page)
            page.screenshot(path=str(SHOTS / f"{setting}-feedback-{name}.png"), full_page=False)
    if setting != "control":
        assert not any(ran.values()), f"a student's script ran with {setting}: {ran}"
        return
    everywhere = set().union(*ran.values())
    missing = [label for label in RUNNABLE if label not in everywhere]
    assert not missing, f"the control never ran {missing}, so the test cannot fail for them: {ran}"
    assert everywhere <= set(RUNNABLE), f"a payload thought inert in stock pages ran: {ran}"
    for page_name, labels in ran.items():
        assert labels, f"no payload ran in {page_name} in the control: {ran}"
