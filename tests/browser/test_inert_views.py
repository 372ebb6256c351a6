"""No student output can run script in an instructor's or a student's browser, proved in Chromium.

Two hostile learners are graded with the course's config: one whose cells display HTML, JavaScript,
SVG and a forged image, one whose reflection and extra cells hold raw HTML and a javascript: link.
Their graded notebooks are opened in formgrader (on the instructor's own Jupyter origin, where a
script would act with the instructor's session) and their feedback pages are opened as files. Every
payload sets ``window.__xss``; it must stay undefined. The control grades the same learners with
the two layers switched off (the graded notebook rewrite and the sanitised HTML export) and shows
the payloads then run.
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
from hostile_cases import FOLDER, NAME, build_cases
from hostile_kit import generated  # noqa: F401 (the module-scoped scratch course)

pytestmark = pytest.mark.browser
ATTACKERS = ("xss_output", "xss_reflection")
SHOTS = artifacts("browser", "inert-views")
LAYERS_OFF = ("\nc.Protections.inert_views = False\nc.HTMLExporter.sanitize_html = False\n"
              "c.HTMLExporter.filters = {}\n")


def graded_course(base, keys, release, folder, protected: bool):
    course = folder / ("protected" if protected else "control")
    shutil.copytree(base, course)
    if not protected:
        with open(course / "nbgrader_config.py", "a") as f:
            f.write(LAYERS_OFF)
    cases = build_cases(9, 300)
    for name in ATTACKERS:
        cases[name].build(release, keys, course / "submitted" / name / FOLDER)
    nbgrader(course, "autograde", FOLDER, "--force")
    nbgrader(course, "generate_feedback", FOLDER, "--force")
    return course


@pytest.fixture(scope="module", params=[True, False], ids=["protected", "control"])
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
               "protected": request.param}
    finally:
        server.stop()
        shutil.copy(server.log, SHOTS / f"formgrader-{'protected' if request.param else 'control'}.log")


def payload_ran(page) -> object:
    page.wait_for_timeout(1500)   # onerror handlers fire once the broken images have failed
    return page.evaluate("() => window.__xss === undefined ? null : String(window.__xss)")


def submission_ids(course) -> dict:
    with open_gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {name: gb.find_submission_notebook(NAME, FOLDER, name).id for name in ATTACKERS}


def test_formgrader_and_feedback_pages_run_no_student_script(formgrader):
    kind = "protected" if formgrader["protected"] else "control"
    ran = {}
    with chromium_session() as chromium:
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        for name, sub_id in submission_ids(formgrader["course"]).items():
            page.goto(f"{formgrader['url']}/formgrader/submissions/{sub_id}/"
                      f"?token={formgrader['token']}")
            page.wait_for_selector("#notebook-container, .cell", timeout=60_000)
            ran[f"formgrader {name}"] = payload_ran(page)
            page.screenshot(path=str(SHOTS / f"{kind}-formgrader-{name}.png"), full_page=False)
            feedback = formgrader["course"] / "feedback" / name / FOLDER / f"{NAME}.html"
            page.goto(feedback.as_uri())
            ran[f"feedback {name}"] = payload_ran(page)
            page.screenshot(path=str(SHOTS / f"{kind}-feedback-{name}.png"), full_page=False)
    if formgrader["protected"]:
        assert not any(ran.values()), f"a student's script ran: {ran}"
    else:
        assert any(ran.values()), f"the control ran no payload, so the test cannot fail: {ran}"
