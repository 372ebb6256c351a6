"""A class on a real JupyterHub, end to end, in Chromium.

The hub runs deploy/jupyterhub_config.py as a class would, with three test-only changes: every
hub user shares this machine's one Unix account (SimpleLocalProcessSpawner, DummyAuthenticator),
so each student's nbgrader id is set in their home's config, as their own login would give it;
everything listens on loopback; and configurable-http-proxy comes from .node/ (`make test`
installs it from the npm registry). Two students log in, fetch Module 1 from the Assignment List,
answer it (one by clicking, one by typing) and submit; the instructor collects, autogrades with
the course's protections, and returns feedback; a student fetches it and sees the score.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from urllib.parse import quote

import pytest

from browser_kit import (BIN, Server, artifacts, asked_item, cells_with_role, chromium_session,
                         command, perform, run_all, save, stop_servers_on_sigterm,
                         wait_for_notebook, write_lab_overrides)
from conftest import ROOT, free_port
from course import items, notebooks
from course.items import literal
from course.build import scratch_course, scripts_first
from course.submissions import keys, points

from playwright.sync_api import expect

pytestmark = [pytest.mark.pipeline, pytest.mark.browser]
COURSE_ID = "customer-service-in-security"
FOLDER, NOTEBOOK = "m1_first_contact", "first_contact.ipynb"
CLICKER, TYPIST, INSTRUCTOR = "ada", "bilal", "lee"
PROXY = ROOT / ".node" / "node_modules" / ".bin" / "configurable-http-proxy"
DEPLOY = ROOT / "deploy"
SHOTS = artifacts("hub")

TEST_CONFIG = """
load_subconfig({deploy!r})
from pathlib import Path

# This machine has one Unix account for everyone: spawn as it, with a home per hub user.
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root", "--LabApp.expose_app_in_browser=True",
                  "--LabApp.app_settings_dir=" + {settings!r}]
c.Spawner.start_timeout = c.Spawner.http_timeout = 180
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.JupyterHub.db_url = "sqlite:///" + {state!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {state!r} + "/cookie_secret"
c.JupyterHub.pid_file = {state!r} + "/jupyterhub.pid"

deploy_hook = c.Spawner.pre_spawn_hook

def one_account_hook(spawner):
    deploy_hook(spawner)
    if "students" not in {{g.name for g in spawner.user.groups}}:
        return  # an instructor's nbgrader must see every student's work
    # With a real account per student nbgrader reads the id from the login; here, say it.
    config = Path(spawner.home_dir) / ".jupyter"
    config.mkdir(parents=True, exist_ok=True)
    (config / "nbgrader_config.py").write_text(
        f"c = get_config()\\nc.CourseDirectory.student_id = {{spawner.user.name!r}}\\n")

c.Spawner.pre_spawn_hook = one_account_hook
"""


def instructor_env(hub: dict) -> dict:
    env = scripts_first(dict(os.environ))
    env.update(HOME=str(hub["homes"] / INSTRUCTOR), NBGRADER_EXCHANGE=str(hub["exchange"]),
               JUPYTER_CONFIG_PATH=str(DEPLOY / "jupyter-config" / "instructors"))
    return env


def nbgrader(hub: dict, *args: str) -> str:
    """The instructor's nbgrader command, in the course directory, with the hub's settings."""
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=hub["course"],
                          env=instructor_env(hub), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    stop_servers_on_sigterm()
    assert PROXY.exists(), ("configurable-http-proxy is missing: `make test` installs it "
                            "into .node/ from the npm registry.")
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    base = tmp_path_factory.mktemp("hub")
    homes, exchange, state = base / "home", base / "exchange", base / "state"
    state.mkdir()
    course = homes / INSTRUCTOR / COURSE_ID
    course.mkdir(parents=True)
    scratch_course(ROOT, course, [FOLDER])
    (base / "roster.toml").write_text(
        f'instructors = ["{INSTRUCTOR}"]\nstudents = ["{CLICKER}", "{TYPIST}"]\n')
    port = free_port()
    (base / "jupyterhub_config.py").write_text(TEST_CONFIG.format(
        deploy=str(DEPLOY / "jupyterhub_config.py"), homes=str(homes),
        singleuser=str(BIN / "jupyterhub-singleuser"), proxy=str(PROXY),
        settings=str(write_lab_overrides(base / "lab-settings")), hub_port=free_port(),
        proxy_api_port=free_port(), state=str(state)))
    env = scripts_first(dict(os.environ))
    env.update(COURSE_HUB_ROSTER=str(base / "roster.toml"), COURSE_HUB_EXCHANGE=str(exchange),
               COURSE_HUB_COURSE_DIR=str(course), COURSE_HUB_IP="127.0.0.1",
               COURSE_HUB_PORT=str(port))
    env.pop("JUPYTER_CONFIG_PATH", None)
    server = Server([str(BIN / "jupyterhub"), "-f", str(base / "jupyterhub_config.py")],
                    cwd=state, env=env, log=base / "jupyterhub.log")
    info = {"url": f"http://127.0.0.1:{port}", "homes": homes, "exchange": exchange,
            "course": course}
    try:
        server.wait_for(f"{info['url']}/hub/api", timeout=120)
        yield info
    finally:
        server.stop()
        shutil.copy(server.log, SHOTS / "jupyterhub.log")


@pytest.fixture(scope="module")
def chromium():
    with chromium_session() as browser:
        yield browser


def log_in(chromium, hub: dict, user: str):
    """A fresh browser profile logs in through the hub's login page and lands in JupyterLab."""
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{hub['url']}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", "any password will do for the test authenticator")
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=180_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined "
                           "&& document.querySelector('#jp-main-dock-panel')", timeout=120_000)
    # A second login restores the last layout (the notebook left open): wait until that is done,
    # or the restored tab lands on top of whatever the test opens next.
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    page.wait_for_timeout(1000)  # let the extensions register their commands
    return page


def assignment_list(page):
    command(page, "nbgrader:open-assignment-list")
    # Opening an existing panel does not always bring it to the front: ask for that explicitly.
    page.evaluate("() => window.jupyterapp.shell.activateById('nbgrader-assignment-list')")
    panel = page.locator("#nbgrader-assignment-list").first
    expect(panel).to_be_visible()
    return panel


def row_button(page, section: str, label: str):
    """The button labelled ``label`` in the Assignment List row of our assignment in ``section``."""
    rows = page.locator(f"#{section} .list_item").filter(has_text=FOLDER)
    expect(rows.first).to_be_visible(timeout=60_000)
    return rows.first.get_by_role("button", name=label)


def answer_by_clicking(page, nb: dict, answers: dict) -> None:
    for index in cells_with_role(nb, "ask"):
        item_id = asked_item(nb, index)
        out = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea-output")
        out.scroll_into_view_if_needed()
        perform(out, items.item(item_id).clicks(answers[item_id]))
        expect(out.get_by_role("status").last).to_contain_text("Saved:")


def answer_by_typing(page, nb: dict, answers: dict) -> None:
    for index, cell in enumerate(nb["cells"]):
        meta = cell["metadata"].get("nbgrader", {})
        if not meta.get("solution") or meta.get("grade_id") not in answers:
            continue
        var = items.item(meta["grade_id"]).var
        editor = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        page.keyboard.press("Control+End")
        page.keyboard.press("Enter")
        page.keyboard.insert_text(f"{var} = {literal(answers[meta['grade_id']])}")
        page.keyboard.press("Escape")


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
        page = log_in(chromium, hub, student)
        # Students see the Assignment List, but neither Create Assignment nor Formgrader.
        has = lambda name: page.evaluate(f"() => window.jupyterapp.commands.hasCommand('{name}')")
        assert has("nbgrader:open-assignment-list")
        assert not has("nbgrader:open-formgrader") and not has("nbgrader:open-create-assignment")
        assert page.request.get(f"{hub['url']}/user/{student}/formgrader").status == 404
        assignment_list(page)
        row_button(page, "released_assignments_list", "Fetch").click()
        expect(page.locator("#fetched_assignments_list .list_item").filter(has_text=FOLDER)
               .first).to_be_visible(timeout=60_000)
        command(page, "docmanager:open", {"path": f"{FOLDER}/{NOTEBOOK}", "factory": "Notebook"})
        wait_for_notebook(page)
        if student == CLICKER:
            assert run_all(page)    # the question widgets draw when their cells run
            answer_by_clicking(page, release, answers)
        else:
            answer_by_typing(page, release, answers)
        assert run_all(page)
        checks = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        assert checks.count("✓") >= len(answers)
        save(page)
        assignment_list(page)
        page.locator("#fetched_assignments_list .list_item").filter(has_text=FOLDER).first \
            .get_by_role("button", name="Submit").click()
        expect(page.locator("#submitted_assignments_list .list_item").filter(has_text=FOLDER)
               .first).to_be_visible(timeout=60_000)
        page.screenshot(path=SHOTS / f"{student}-assignment-list-after-submit.png")
        page.context.close()

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
    page = log_in(chromium, hub, TYPIST)
    assignment_list(page)
    submitted = page.locator("#submitted_assignments_list .list_item").filter(has_text=FOLDER).first
    submitted.get_by_role("button", name="Fetch Feedback").click()
    link = page.locator("#submitted_assignments_list").get_by_text("view feedback").first
    expect(link).to_be_visible(timeout=60_000)
    link.click()  # the file browser goes to the feedback folder
    expect(page.locator(".jp-FileBrowser-crumbs")).to_contain_text("feedback")
    html = next((hub["homes"] / TYPIST / FOLDER / "feedback").glob("*/*.html"))
    relative = html.relative_to(hub["homes"] / TYPIST).as_posix()
    feedback = page.context.new_page()
    feedback.goto(f"{hub['url']}/user/{TYPIST}/files/{quote(relative)}")
    shown = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", feedback.inner_text("body"))
    assert shown and float(shown.group(1)) == expected[TYPIST], feedback.inner_text("body")[:500]
    feedback.screenshot(path=SHOTS / f"{TYPIST}-feedback.png")
    page.context.close()
