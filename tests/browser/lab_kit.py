"""Every release notebook as a student meets it: JupyterLab in Chromium; the shared checks.

One JupyterLab server (a scratch copy of release/, token auth, loopback) and one browser serve a
test file; each notebook is opened once in its own page and run, then checked. The notebooks are
dealt over two test files (test_lab_shard_0.py, test_lab_shard_1.py) so that `make test` checks
them on two workers at once; new modules are covered as soon as their release notebook exists.
Screenshots go to build/test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil

import pytest

from browser_kit import (BIN, CONTROL_ROLES, CURRENT, axe, FOCUSABLE, WIDGET_OUTPUT, Server, artifacts,
                         asked_item, cells_with_role, chromium_session, code_cell_states, command,
                         open_notebook, perform, restart_kernel, run_all, stop_servers_on_sigterm,
                         wait_for_notebook, write_lab_overrides)
from conftest import ROOT, free_port
from course import items
from course.items import describe

from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

NOTEBOOKS = sorted(p.relative_to(ROOT / "release").as_posix()
                   for p in (ROOT / "release").glob("*/*.ipynb"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SHOTS = artifacts("browser")


# -- the server, the browser, one page per notebook ------------------------------------------------
@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab on a scratch copy of release/: what a student has after fetching every module."""
    stop_servers_on_sigterm()
    scratch = tmp_path_factory.mktemp("student-lab")
    home = scratch / "student"
    shutil.copytree(ROOT / "release", home)
    token, port = secrets.token_hex(16), free_port()
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(scratch / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(scratch / "runtime"))
    env["PATH"] = f"{BIN}:{env['PATH']}"
    server = Server([str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root",
                     "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                     "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                     "--LabApp.expose_app_in_browser=True",
                     f"--LabApp.app_settings_dir={write_lab_overrides(scratch / 'app-settings')}",
                     f"--ServerApp.root_dir={home}"],
                    cwd=home, env=env, log=scratch / "lab.log")
    try:
        server.wait_for(f"http://127.0.0.1:{port}/api/status?token={token}")
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "home": home}
    finally:
        server.stop()
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        shutil.copy(server.log, SHOTS / f"jupyterlab-{worker}.log")


@pytest.fixture(scope="module")
def browser():
    with chromium_session() as chromium:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


#: How many test files the notebooks are dealt over (test_lab_shard_<n>.py, n from 0).
SHARDS = 2


def opened_fixture(shard: int):
    """The `opened` fixture of one shard: every SHARDS-th notebook, from the ``shard``-th."""
    mine = NOTEBOOKS[shard::SHARDS]

    @pytest.fixture(scope="module", params=mine, ids=[n.split("/")[0] for n in mine])
    def opened(request, lab, browser):
        """The notebook open in a student's JupyterLab, after one Run All from a fresh kernel."""
        yield from open_and_run(request.param, lab, browser)

    return opened


def open_and_run(path: str, lab: dict, browser):
    page = browser.new_page()
    page.set_default_timeout(60_000)
    module = path.split("/")[0]
    for old in SHOTS.glob(f"*{module}*.png"):   # this notebook's pictures from an earlier run
        old.unlink()
    open_notebook(page, lab["url"], lab["token"], path, workspace=module)
    nb = json.loads((ROOT / "release" / path).read_text(encoding="utf-8"))
    info = {"page": page, "path": path, "nb": nb, "module": module,
            "home": lab["home"], "run_all_ok": run_all(page)}
    expect_widgets_drawn(page, count_widget_outputs(page))
    page.screenshot(path=SHOTS / f"{info['module']}-after-run-all.png")
    yield info
    page.close()


@pytest.fixture(autouse=True)
def screenshot_on_failure(request, opened):
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:  # the call's report is in before teardown
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        opened["page"].screenshot(path=SHOTS / f"FAILED-{name}.png")


# -- reading the page ---------------------------------------------------------------------------
def count_widget_outputs(page) -> int:
    return sum(WIDGET_MIME in mimes for cell in code_cell_states(page) for _, mimes in cell["outputs"])


def expect_widgets_drawn(page, count: int) -> None:
    expect(page.locator(WIDGET_OUTPUT)).to_have_count(count, timeout=60_000)


def cell(page, index: int):
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def item_cell(nb: dict, item_id: str) -> int:
    """The index of the item's test cell (where its check speaks)."""
    return next(i for i in cells_with_role(nb, "item")
                if nb["cells"][i]["metadata"]["course"]["item"] == item_id)


def nameless_controls(snapshot: str) -> list[str]:
    """Lines of a Playwright ARIA snapshot for a control role that carries no accessible name."""
    roles = "|".join(CONTROL_ROLES)
    bad = []
    for line in snapshot.splitlines():
        entry = line.strip().removeprefix("- ").strip("'")
        m = re.match(rf'^({roles})\b(?:\s+"(.*?)")?', entry)
        if m and not (m.group(2) or "").strip():
            bad.append(line.strip())
    return bad


# -- the checks ------------------------------------------------------------------------------------
def test_run_all_reaches_the_last_cell(opened):
    states = code_cell_states(opened["page"])
    errors = [i for i, c in enumerate(states) for kind, _ in c["outputs"] if kind == "error"]
    assert opened["run_all_ok"] and not errors, f"code cells {errors} raised during Run All"
    assert states and all(c["count"] for c in states), "Run All stopped before the last cell"


def test_every_widget_renders(opened):
    page, nb = opened["page"], opened["nb"]
    drawn = page.locator(WIDGET_OUTPUT)
    assert drawn.count() == count_widget_outputs(page), "a widget output was not drawn"
    for i in cells_with_role(nb, "ask"):
        expect(cell(page, i).locator(WIDGET_OUTPUT)).to_have_count(1)
    outputs_text = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
    assert "Error displaying widget" not in outputs_text
    empty = [n for n, text in enumerate(drawn.all_inner_texts()) if not text.strip()]
    assert not empty, f"widgets {empty} are drawn empty"


def test_figures_render(opened):
    page = opened["page"]
    figures = sum("image/png" in mimes for c in code_cell_states(page) for _, mimes in c["outputs"])
    images = page.locator(".jp-OutputArea-output img")
    expect(images).to_have_count(figures)
    for n in range(figures):
        images.nth(n).scroll_into_view_if_needed()
        assert images.nth(n).evaluate("img => img.complete && img.naturalWidth > 100"), \
            f"figure {n} did not load"


def test_every_widget_control_has_an_accessible_name(opened):
    drawn = opened["page"].locator(WIDGET_OUTPUT)
    problems = {n: nameless_controls(drawn.nth(n).aria_snapshot()) for n in range(drawn.count())}
    assert not {n: p for n, p in problems.items() if p}, \
        "controls without an accessible name (give them a description)"


def test_the_page_shows_a_lesson_not_code(opened):
    """Prose, widgets, figures and the answer cells: every other code cell's input is folded
    (and opens with a click). Screenshots of the first screen and of one question are kept."""
    page, nb = opened["page"], opened["nb"]
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'))
        .map(c => c.classList.contains('jp-CodeCell') &&
                  !!c.querySelector('.jp-InputArea-editor') &&
                  c.querySelector('.jp-InputArea-editor').getClientRects().length > 0)""")
    roles = [(c.get("metadata", {}).get("course", {}).get("role")) for c in nb["cells"]]
    visible = {roles[i] for i, editor in enumerate(shown) if editor}
    assert visible == {"answer"}, f"code inputs a learner sees, by role: {visible}"
    page.evaluate(f"() => {CURRENT}.content.activeCellIndex = 0")
    page.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / f"{opened['module']}-first-screen.png")
    first_ask = cells_with_role(nb, "ask")[0]
    question = cell(page, first_ask - 1)
    question.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / f"{opened['module']}-a-question.png")
    # A folded cell opens when the learner asks for it.
    folded = cell(page, first_ask)
    folded.locator(".jp-InputPlaceholder, .jp-Collapser").first.click()
    expect(folded.locator(".jp-InputArea-editor")).to_be_visible()
    page.evaluate(f"i => {{ const c = {CURRENT}.content.widgets[i]; c.inputHidden = true; }}",
                  first_ask)


#: Serious or critical axe-core findings that JupyterLab's own interface causes, not the course's
#: cells: (rule, the element's mark in its HTML) -> its upstream report. Anything new, or anything
#: in the course's own content, fails.
JUPYTERLAB_OWN = {
    # The cell editors (CodeMirror's textbox) have no accessible name.
    ("aria-input-field-name", 'class="cm-content"'):
        "https://github.com/jupyterlab/jupyterlab/issues/16890",
    # A heading's collapse button in a cell's prompt area has no accessible name.
    ("button-name", "jp-collapseHeadingButton"):
        "https://github.com/jupyterlab/jupyterlab/issues/16890",
    # Toolbar buttons (jp-button) carry aria-pressed, which their role does not allow.
    ("aria-allowed-attr", "<jp-button"): "https://github.com/jupyterlab/jupyterlab/issues/16891",
    # The notebook's cell list has role "feed" without article children.
    ("aria-required-children", "jp-WindowedPanel-viewport"):
        "https://github.com/jupyterlab/jupyterlab/issues/14765",
}


def jupyterlab_own(finding: dict) -> bool:
    return any(finding["id"] == rule and mark in finding["html"] for rule, mark in JUPYTERLAB_OWN)


def test_no_serious_accessibility_violation_in_the_course(opened):
    """axe-core (from .node/, `make node-tools`) on the notebook after Run All: no violation of
    impact serious or critical in what the course puts on the page (rendered lessons, outputs,
    widgets, figures); JupyterLab's own, if any, are listed above."""
    findings = axe(opened["page"])
    (SHOTS / f"axe-{opened['module']}.json").write_text(json.dumps(findings, indent=1))
    ours = [f for f in findings if f["ours"] and f["impact"] in ("serious", "critical")]
    assert not ours, "\n".join(f"{f['id']} ({f['impact']}): {f['help']} at {f['target']}: "
                               f"{f['html']}" for f in ours[:10])
    theirs = [f"{f['id']}: {f['html'][:120]}" for f in findings if not f["ours"]
              and f["impact"] in ("serious", "critical") and not jupyterlab_own(f)]
    assert not theirs, f"new serious findings in JupyterLab's interface: {theirs[:5]}"
    # Control: an image without a text alternative in an output is found, and counted as ours.
    page = opened["page"]
    page.evaluate("""() => { const img = document.createElement('img'); img.id = 'axe-control';
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw='; img.width = img.height = 40;
        document.querySelector('.jp-OutputArea-output').appendChild(img); }""")
    try:
        planted = [f for f in axe(page) if f["ours"] and f["id"] == "image-alt"]
    finally:
        page.evaluate("() => document.getElementById('axe-control').remove()")
    assert planted and planted[0]["impact"] == "critical", "axe missed a planted image-alt violation"


TAG_CONTROLS = f"""out => {{
  out.querySelectorAll('[data-kbd]').forEach(e => e.removeAttribute('data-kbd'));
  const els = Array.from(out.querySelectorAll({json.dumps(FOCUSABLE)}))
    .filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0);
  els.forEach((e, i) => e.setAttribute('data-kbd', String(i)));
  out.setAttribute('tabindex', '-1');
  return els.length;
}}"""
FOCUSED = """out => { const a = document.activeElement;
  return out.contains(a) && a !== out ? a.getAttribute('data-kbd') : null; }"""
STATE = """e => [e.checked, e.value, e.selectedIndex, e.className, e.getAttribute('aria-valuenow'),
                 e.closest('.jp-OutputArea-output')?.innerText]"""


def operating_keys(control) -> list[str]:
    """The keys that operate a focused control; none when pressing them would change nothing.

    A dropdown is opened with Space and moved inside its pop-up: in JupyterLab a bare arrow key
    on a closed dropdown moves between cells instead (ipywidgets issue 3912).
    """
    kind = control.evaluate("""e => e.tagName === 'SELECT' ? 'select' : e.tagName === 'BUTTON'
        ? (e.classList.contains('mod-active') ? 'active' : 'button')
        : e.getAttribute('role') === 'slider' ? 'slider'
        : e.tagName === 'INPUT' ? e.type : 'other'""")
    if kind == "select":
        last = control.evaluate("e => e.selectedIndex >= e.options.length - 1")
        return ["Space", "ArrowUp" if last else "ArrowDown", "Enter"]
    return {"button": ["Space"], "radio": ["Space"], "checkbox": ["Space"], "number": ["ArrowUp"],
            "text": ["7"], "slider": ["ArrowRight"]}.get(kind, [])


def settle(page, out, quiet_ms: int = 150, tries: int = 80) -> None:
    """Wait until a widget output stops changing (the kernel's redraw after a key has landed)."""
    before = None
    for _ in range(tries):
        now = out.evaluate("out => out.innerHTML")
        if now == before:
            return
        before = now
        page.wait_for_timeout(quiet_ms)


def test_every_widget_control_is_reached_and_operated_by_keyboard(opened):
    """Tab reaches each control in turn; Space, an arrow or a digit then changes what it shows."""
    page = opened["page"]
    drawn = page.locator(WIDGET_OUTPUT)
    for n in range(drawn.count()):
        out = drawn.nth(n)
        out.scroll_into_view_if_needed()
        total = out.evaluate(TAG_CONTROLS)
        if not total and "locked" in out.inner_text():
            continue   # a graded scenario played once: nothing is left to operate, by design
        assert total, f"widget {n} has no control a keyboard can reach"
        out.evaluate("out => out.focus()")
        reached = []
        for _ in range(total + 3):
            page.keyboard.press("Tab")
            tag = out.evaluate(FOCUSED)
            if tag is None and reached:
                break
            if tag is not None and tag not in reached:
                reached.append(tag)
        assert sorted(map(int, reached)) == list(range(total)), \
            f"widget {n}: Tab reached controls {reached} of {total}"
        # Last control first: an earlier one (a picker) may redraw the ones after it.
        for tag in reversed(range(total)):
            settle(page, out)            # operating a control may redraw others, a moment later
            out.evaluate(TAG_CONTROLS)
            control = out.locator(f"[data-kbd='{tag}']")
            if not control.count():     # e.g. "Start again" leaves fewer controls to operate
                continue
            control.focus()
            keys = operating_keys(control)
            if not keys or control.evaluate("e => e.type === 'radio' && e.checked"):
                continue
            # A button may rightly change nothing ("Start again" with nothing to undo): for a
            # button, the proof is that the key clicked it; for the rest, that its state changed.
            # Hold the element itself: the key may make the kernel redraw it (a detached element
            # then counts as changed), and a locator would wait for a control that is gone.
            handle = control.element_handle()
            handle.evaluate("e => e.addEventListener('click', () => e.dataset.kbdClicked = '1')")
            before = handle.evaluate(STATE)
            for key in keys:
                page.keyboard.press(key)
            try:
                page.wait_for_function(
                    f"""([e, before]) => (e.tagName === 'BUTTON' && e.dataset.kbdClicked === '1')
                        || JSON.stringify(({STATE})(e)) !== JSON.stringify(before)""",
                    arg=[handle, before], timeout=10_000)
            except PlaywrightTimeout:
                pytest.fail(f"widget {n}, control {tag} ({handle.evaluate('e => e.outerHTML')[:200]}):"
                            f" pressing {' '.join(keys)} changed nothing")


def answer(output, item_id: str, variant: int) -> None:
    """Answer one question widget by clicking (``variant`` picks one of the kind's sample answers)
    and wait until the widget says it saved exactly that answer. A kind that locks after one
    answer (a graded scenario) is answered once; later calls leave it as it is."""
    item = items.item(item_id)
    status = output.get_by_role("status").last   # the question's own is its last
    if item.LOCKS and "Saved:" in status.inner_text():
        return
    samples = item.samples()
    value = samples[variant % len(samples)]
    perform(output, item.clicks(value))
    expect(status).to_contain_text(f"Saved: {describe(value)}")


def test_each_question_answers_a_click_with_visible_feedback(opened):
    page, nb = opened["page"], opened["nb"]
    for i in cells_with_role(nb, "ask"):
        output = cell(page, i).locator(".jp-OutputArea-output")
        output.scroll_into_view_if_needed()
        answer(output, asked_item(nb, i), variant=0)


def test_a_widget_answer_survives_a_restart_and_a_reopen(opened):
    page, nb, path = opened["page"], opened["nb"], opened["path"]
    asks = cells_with_role(nb, "ask")
    shown = {}
    for i in asks:
        output = cell(page, i).locator(".jp-OutputArea-output")
        output.scroll_into_view_if_needed()
        answer(output, asked_item(nb, i), variant=1)
        shown[i] = output.get_by_role("status").last.inner_text()

    def same_answers_after(event: str) -> None:
        for i in asks:
            status = cell(page, i).locator(".jp-OutputArea-output").get_by_role("status").last
            expect(status).to_have_text(shown[i])
            check = cell(page, item_cell(nb, asked_item(nb, i))).locator(".jp-OutputArea-output")
            expect(check).to_contain_text("is recorded and will be marked")
        cell(page, asks[0]).scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / f"{opened['module']}-answers-after-{event}.png")

    restart_kernel(page)
    assert run_all(page)
    expect_widgets_drawn(page, count_widget_outputs(page))
    same_answers_after("restart")

    # Close the notebook, shut its kernel down, and open it again, as on the next day.
    page.evaluate(f"""async () => {{ const w = {CURRENT};
        await w.sessionContext.shutdown(); await w.context.save(); w.close(); }}""")
    page.wait_for_function(f"() => !{CURRENT} || {CURRENT}.context === undefined "
                           f"|| {CURRENT}.context.path !== {json.dumps(path)}")
    command(page, "docmanager:open", {"path": path, "factory": "Notebook"})
    wait_for_notebook(page)
    assert run_all(page)
    expect_widgets_drawn(page, count_widget_outputs(page))
    same_answers_after("reopen")
    saved = json.loads((opened["home"] / path).parent.joinpath(
        f"{opened['module'].split('_')[0]}_answers.json").read_text())
    assert {asked_item(nb, i) for i in asks} <= set(saved)


#: The shared suite: what a test file takes with `from lab_kit import *` (pytest
#: collects the imported tests and fixtures as the file's own).
__all__ = [
    "lab",
    "browser",
    "screenshot_on_failure",
    "test_run_all_reaches_the_last_cell",
    "test_every_widget_renders",
    "test_figures_render",
    "test_every_widget_control_has_an_accessible_name",
    # Clicks before the keyboard: pressing keys in the graded scenario would play part of it, and
    # it never goes back; answered first, it is locked and the keyboard test passes it by.
    "test_each_question_answers_a_click_with_visible_feedback",
    "test_every_widget_control_is_reached_and_operated_by_keyboard",
    "test_a_widget_answer_survives_a_restart_and_a_reopen",
    "test_the_page_shows_a_lesson_not_code",
    "test_no_serious_accessibility_violation_in_the_course",
]
