"""What the browser and hub tests share: Debian's Chromium, server processes, JupyterLab pages.

Chromium comes from Debian (`make test` installs it): Playwright cannot download its own browsers
here. Every process started through `Server` runs in its own process group and is stopped, with
everything it spawned, when the test session ends, pass or fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "build" / "test-artifacts"
BIN = ROOT / ".venv" / "bin"

#: JupyterLab settings for every test server: no news or update popup over the page, and every
#: cell kept in the page (not windowed) so that a look-up finds cells that are scrolled away.
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}

WIDGET_OUTPUT = ".jp-OutputArea-output:has(> .jupyter-widgets)"
#: Everything a keyboard user can land on inside a widget.
FOCUSABLE = ("input, select, textarea, button, [role=slider], [contenteditable=true], "
             "[tabindex]:not([tabindex='-1'])")
#: Roles that a user operates, and so must carry an accessible name.
CONTROL_ROLES = ("button", "checkbox", "combobox", "listbox", "radio", "slider", "spinbutton",
                 "switch", "textbox", "searchbox", "tab")


def launch_chromium(playwright):
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium).")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextlib.contextmanager
def chromium_session():
    """Playwright with Debian's chromium, both closed at the end, pass or fail.

    Keep it no wider than a test module: an open sync Playwright keeps its event loop running, and
    another module's Playwright in the same xdist worker would refuse to start.
    """
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


def artifacts(*parts: str) -> Path:
    folder = ARTIFACTS.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Server:
    """A server process in its own process group, logging to a file, stopped with its children."""

    def __init__(self, cmd: list[str], *, cwd: Path, env: dict, log: Path):
        self.log = log
        self._out = open(log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self._out,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_for(self, url: str, timeout: float = 90) -> None:
        """Wait until ``url`` answers (any HTTP status), or fail with the end of the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                urllib.request.urlopen(url, timeout=5)
                return
            except urllib.error.HTTPError:
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.3)
        raise TimeoutError(f"no answer from {url} in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        self._out.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the whole group, then SIGKILL to what is left; never leaves orphans."""
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(grace)
                # The leader is gone; its children (kernels, proxies) may still be in the group.
                os.killpg(self.proc.pid, 0)
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                break
            time.sleep(0.5)
        self._out.close()


def stop_servers_on_sigterm() -> None:
    """A SIGTERM (a CI time-out, a killed job) ends the session through pytest's teardown, so the
    servers' finalizers still run; by default the signal would leave them orphaned."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)


def write_lab_overrides(folder: Path) -> Path:
    """A JupyterLab app-settings folder holding only the test overrides."""
    import json
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=1))
    return folder


# -- a notebook open in JupyterLab (the page was started with expose_app_in_browser) -----------
CURRENT = "window.jupyterapp.shell.currentWidget"
KERNEL_IDLE = f"""() => {{
  const w = window.jupyterapp && {CURRENT};
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && w.context.isReady);
}}"""


def wait_for_notebook(page, timeout: float = 120_000) -> None:
    """Until the current notebook is loaded and its kernel is idle."""
    page.wait_for_function(KERNEL_IDLE, timeout=timeout)


def command(page, name: str, args: dict | None = None, timeout: float = 240_000):
    """Run a JupyterLab command and wait for it to finish (a page call has no time limit itself)."""
    result = page.evaluate("""async ([name, args, ms]) => await Promise.race([
        window.jupyterapp.commands.execute(name, args),
        new Promise(done => setTimeout(() => done('__timeout__'), ms))])""", [name, args or {}, timeout])
    if result == "__timeout__":
        raise TimeoutError(f"JupyterLab command {name} did not finish in {timeout / 1000:.0f} s")
    return result


def open_notebook(page, base: str, token: str, path: str, workspace: str) -> None:
    """Open one notebook in a workspace of its own, reset so that nothing else is restored."""
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?reset&token={token}")
    page.wait_for_function(f"p => {{ const w = window.jupyterapp && {CURRENT}; "
                           "return !!(w && w.context && w.context.path === p); }", arg=path,
                           timeout=120_000)
    wait_for_notebook(page)


def run_all(page, timeout: float = 240_000) -> bool:
    """Clear outputs, Run All, and wait: True when every cell ran, False when one raised."""
    command(page, "notebook:clear-all-cell-outputs")
    ok = command(page, "notebook:run-all-cells", timeout=timeout)
    page.wait_for_function(KERNEL_IDLE, timeout=timeout)
    return bool(ok)


def code_cell_states(page) -> list[dict]:
    """Per code cell of the current notebook: execution count and output types (from the model)."""
    return page.evaluate(f"""() => {CURRENT}.content.widgets
      .filter(c => c.model.type === 'code')
      .map(c => ({{count: c.model.executionCount,
                  outputs: c.model.outputs.toJSON().map(o => [o.output_type, Object.keys(o.data || {{}})])}}))""")


def restart_kernel(page) -> None:
    page.evaluate(f"async () => await {CURRENT}.sessionContext.session.kernel.restart()")
    wait_for_notebook(page)


def save(page) -> None:
    page.evaluate(f"async () => await {CURRENT}.context.save()")


# -- the course's cells in a notebook's JSON ---------------------------------------------------
def cells_with_role(nb: dict, role: str) -> list[int]:
    """Indices of the cells the course marked with ``role`` ("ask", "item", ...)."""
    return [i for i, c in enumerate(nb["cells"])
            if c["metadata"].get("course", {}).get("role") == role]


def asked_item(nb: dict, index: int) -> str:
    """The item id an "ask" cell shows, from its one line ``ask("<item id>")``."""
    return re.search(r'ask\("([^"]+)"\)', "".join(nb["cells"][index]["source"])).group(1)


def perform(output, steps) -> None:
    """Do what an item kind's click script says (``Item.clicks``), by ARIA role, in the page: the
    same script the headless widget tests play on the Python widget."""
    for step in steps:
        role = step["role"]
        if role == "button":
            output.get_by_role("button", name=re.compile(step["name"])).click()
            continue
        target = output.get_by_role(role).nth(step.get("index", 0))
        # A scenario disables its choices once one is picked, until the next step draws its own:
        # an enabled radio is this step's. (check() alone returns at once on a checked radio.)
        expect(target).to_be_enabled()
        if role == "radio":
            target.check()
        elif role == "checkbox":
            target.set_checked(step["checked"])
        elif role == "combobox":
            target.select_option(index=step["option"])
        elif role == "textbox":
            target.fill(step["text"])
        else:
            raise ValueError(f"no such role in a click script: {role!r}")


#: axe-core, installed into .node/ by `make node-tools` (lock/package.json).
AXE = ROOT / ".node" / "node_modules" / "axe-core" / "axe.min.js"
#: What the course puts on a page: rendered lessons, outputs, widgets, figures (not JupyterLab's
#: own toolbars, menus and cell chrome).
COURSE_CONTENT = ".jp-RenderedMarkdown, .jp-OutputArea-output, .course-page"


def axe(page) -> list[dict]:
    """axe-core's violations on the page, one entry per offending element, each marked ``ours``
    when it lies in what the course put on the page."""
    assert AXE.exists(), "axe-core is missing: `make test` installs it (make node-tools)"
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async (content) => {
      const result = await axe.run(document, {resultTypes: ['violations']});
      return result.violations.flatMap(v => v.nodes.map(n => {
        const el = document.querySelector(n.target[0]);
        return {id: v.id, impact: n.impact || v.impact, help: v.help, target: n.target.join(' '),
                html: n.html.slice(0, 300), ours: !!(el && el.closest(content))};
      }));
    }""", COURSE_CONTENT)
