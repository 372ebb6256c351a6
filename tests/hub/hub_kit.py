"""What the hub tests share: a class's JupyterHub on loopback, and a student's round in Chromium.

The hub runs deploy/jupyterhub_config.py as a class would, with three test-only changes: every
hub user shares this machine's one Unix account (SimpleLocalProcessSpawner, DummyAuthenticator),
so each student's nbgrader id is set in their home's config, as their own login would give it;
everything listens on loopback; and configurable-http-proxy comes from .node/ (`make test`
installs it from the npm registry). Each user's server runs in their own home.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess

from browser_kit import (BIN, Server, asked_item, cells_with_role, command, perform, run_all, save,
                         stop_servers_on_sigterm, wait_for_notebook, write_lab_overrides)
from conftest import ROOT, free_port
from course import items
from course.build import scratch_course, scripts_first
from course.items import literal

from playwright.sync_api import expect

COURSE_ID = "customer-service-in-security"
FOLDER, NOTEBOOK = "m1_first_contact", "first_contact.ipynb"
CLICKER, TYPIST, INSTRUCTOR = "ada", "bilal", "lee"
PROXY = ROOT / ".node" / "node_modules" / ".bin" / "configurable-http-proxy"
DEPLOY = ROOT / "deploy"

HUB_CONFIG = """
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
STUDENT_CONFIG = {student_config!r}

def one_account_hook(spawner):
    deploy_hook(spawner)
    if "students" not in {{g.name for g in spawner.user.groups}}:
        return  # an instructor's nbgrader must see every student's work
    # With a real account per student nbgrader reads the id from the login; here, say it.
    config = Path(spawner.home_dir) / ".jupyter"
    config.mkdir(parents=True, exist_ok=True)
    (config / "nbgrader_config.py").write_text(
        f"c = get_config()\\nc.CourseDirectory.student_id = {{spawner.user.name!r}}\\n"
        + STUDENT_CONFIG)

c.Spawner.pre_spawn_hook = one_account_hook
"""


@contextlib.contextmanager
def class_hub(base, shots, *, extra_config: str = "", student_config: str = "",
              course_config: str = ""):
    """A hub for INSTRUCTOR, CLICKER and TYPIST, its course (Module 1) in the instructor's home.

    ``extra_config`` is added to the hub's configuration (it may use ``{url}``, the hub's
    address), ``student_config`` to each student's nbgrader configuration, ``course_config`` to
    the course's nbgrader_config.py. Yields the hub's ``url``, ``homes``, ``exchange`` (the
    shared folder the deploy config makes), ``course``, ``state`` and ``env`` (added to the
    instructor's commands).
    """
    stop_servers_on_sigterm()
    assert PROXY.exists(), ("configurable-http-proxy is missing: `make test` installs it "
                            "into .node/ from the npm registry.")
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    homes, exchange, state = base / "home", base / "exchange", base / "state"
    state.mkdir()
    course = homes / INSTRUCTOR / COURSE_ID
    course.mkdir(parents=True)
    scratch_course(ROOT, course, [FOLDER])
    if course_config:
        with open(course / "nbgrader_config.py", "a") as f:
            f.write("\n" + course_config)
    (base / "roster.toml").write_text(
        f'instructors = ["{INSTRUCTOR}"]\nstudents = ["{CLICKER}", "{TYPIST}"]\n')
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (base / "jupyterhub_config.py").write_text(HUB_CONFIG.format(
        deploy=str(DEPLOY / "jupyterhub_config.py"), homes=str(homes),
        singleuser=str(BIN / "jupyterhub-singleuser"), proxy=str(PROXY),
        settings=str(write_lab_overrides(base / "lab-settings")), hub_port=free_port(),
        proxy_api_port=free_port(), state=str(state), student_config=student_config)
        + extra_config.replace("{url}", url))
    env = scripts_first(dict(os.environ))
    env.update(COURSE_HUB_ROSTER=str(base / "roster.toml"), COURSE_HUB_EXCHANGE=str(exchange),
               COURSE_HUB_COURSE_DIR=str(course), COURSE_HUB_IP="127.0.0.1",
               COURSE_HUB_PORT=str(port))
    env.pop("JUPYTER_CONFIG_PATH", None)
    server = Server([str(BIN / "jupyterhub"), "-f", str(base / "jupyterhub_config.py")],
                    cwd=state, env=env, log=base / "jupyterhub.log")
    info = {"url": url, "homes": homes, "exchange": exchange, "course": course, "state": state,
            "roster": base / "roster.toml", "env": {}}
    try:
        server.wait_for(f"{url}/hub/api", timeout=120)
        yield info
    finally:
        server.stop()
        shutil.copy(server.log, shots / "jupyterhub.log")


def instructor_env(hub: dict) -> dict:
    env = scripts_first(dict(os.environ))
    env.update(HOME=str(hub["homes"] / INSTRUCTOR), NBGRADER_EXCHANGE=str(hub["exchange"]),
               JUPYTER_CONFIG_PATH=str(DEPLOY / "jupyter-config" / "instructors"), **hub["env"])
    return env


def instructor(hub: dict, program: str, *args: str) -> str:
    """One of the instructor's commands (``nbgrader``, ``course``), in the course directory."""
    proc = subprocess.run([str(BIN / program), *args], cwd=hub["course"],
                          env=instructor_env(hub), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{program} {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def nbgrader(hub: dict, *args: str) -> str:
    """The instructor's nbgrader command, in the course directory, with the hub's settings."""
    return instructor(hub, "nbgrader", *args)


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


def fetch_answer_and_submit(chromium, hub: dict, student: str, release: dict, answers: dict,
                            shots) -> None:
    """A student logs in, fetches Module 1 from the Assignment List, answers it (CLICKER by
    clicking the question widgets, anyone else by typing), runs it, saves and submits."""
    page = log_in(chromium, hub, student)
    # Students see the Assignment List, but neither Create Assignment nor Formgrader.
    def has(name):
        return page.evaluate(f"() => window.jupyterapp.commands.hasCommand('{name}')")

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
    recorded = checks.count("is recorded and will be marked")  # course.checks.check_answer
    assert recorded >= len(answers), f"{student}'s checks after Run All:\n{checks[-3000:]}"
    save(page)
    assignment_list(page)
    page.locator("#fetched_assignments_list .list_item").filter(has_text=FOLDER).first \
        .get_by_role("button", name="Submit").click()
    expect(page.locator("#submitted_assignments_list .list_item").filter(has_text=FOLDER)
           .first).to_be_visible(timeout=60_000)
    page.screenshot(path=shots / f"{student}-assignment-list-after-submit.png")
    page.context.close()


def fetch_and_read_feedback(chromium, hub: dict, student: str, shots) -> tuple[float, str]:
    """A student fetches their feedback from the Assignment List and opens it: the score shown,
    and the page's path relative to their home."""
    from urllib.parse import quote

    page = log_in(chromium, hub, student)
    assignment_list(page)
    submitted = page.locator("#submitted_assignments_list .list_item").filter(has_text=FOLDER).first
    submitted.get_by_role("button", name="Fetch Feedback").click()
    link = page.locator("#submitted_assignments_list").get_by_text("view feedback").first
    expect(link).to_be_visible(timeout=60_000)
    link.click()  # the file browser goes to the feedback folder
    expect(page.locator(".jp-FileBrowser-crumbs")).to_contain_text("feedback")
    [html] = (hub["homes"] / student / FOLDER / "feedback").glob("*/*.html")
    relative = html.relative_to(hub["homes"] / student).as_posix()
    feedback = page.context.new_page()
    feedback.goto(f"{hub['url']}/user/{student}/files/{quote(relative)}")
    shown = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", feedback.inner_text("body"))
    assert shown, feedback.inner_text("body")[:500]
    feedback.screenshot(path=shots / f"{student}-feedback.png")
    page.context.close()
    return float(shown.group(1)), relative
