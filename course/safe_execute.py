"""nbgrader's Execute step, made safe for untrusted submissions.

``SafeExecute`` replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors`` (see
``course.nbgrader_ext``), so the nbgrader CLI, formgrader's Autograde button and ``course grade`` all
get it. For each notebook it:

- runs the kernel in the bubblewrap sandbox (``course.sandbox``), or refuses to grade without one
  unless the instructor opted out, and then warns on every notebook;
- judges hidden tests outside the kernel (``course.verdicts``), then rewrites every test cell's
  outputs to the visible check plus, on failure, one error that says why; no hidden test, key or
  student-made result survives into the graded notebook or the feedback;
- bounds what one notebook can cost: output kept per cell and in total, a per-cell timeout, a
  notebook deadline; after a timeout or a dead kernel the remaining cells are not run and say why.
"""

from __future__ import annotations

import json
import os
import time
import warnings

from jupyter_client.manager import AsyncKernelManager
from nbclient.util import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from course import sandbox, timings, verdicts
from course.protections import Protections
from course.sandbox import warm
from course.sandbox.bwrap import Limits
from course.sandbox.direct import DirectKernelManager
from course.sandbox.kernel import SandboxedKernelManager
from course.sandbox.warm_kernel import WarmKernelManager

UNSANDBOXED_ENV = "COURSE_ALLOW_UNSANDBOXED"


def error_output(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message,
                        traceback=[f"{ename}: {message}"])


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


class SafeExecute(Execute):
    require_sandbox = Bool(True, help="Refuse to grade when no sandbox can be made.").tag(config=True)
    use_sandbox = Bool(True, help="Set False only to grade trusted notebooks without a sandbox "
                                  "(every notebook then warns).").tag(config=True)
    max_cell_output = Integer(200_000, help="Output characters kept per cell.").tag(config=True)
    max_total_output = Integer(2_000_000, help="Output characters kept per notebook.").tag(config=True)
    max_received_output = Integer(20_000_000, help=(
        "Output characters the grader reads from one notebook before it stops the kernel: past "
        "this, a flood would only cost the grader time.")).tag(config=True)
    notebook_deadline = Integer(600, help="Seconds one notebook may take in all.").tag(config=True)
    warm_start = Bool(True, help=(
        "Fork each kernel from a warm process that has already imported what every kernel "
        "imports, each in a fresh sandbox of its own (course.sandbox.warm). False starts every "
        "kernel cold: as safe, and about a second slower per notebook.")).tag(config=True)
    direct_kernel = Bool(True, help=(
        "With warm_start: run each notebook in ipykernel's in-process kernel, inside the same "
        "sandbox, talking to the grader over one socket instead of ZeroMQ "
        "(course.sandbox.direct): up to a tenth less per notebook on the bench. False keeps "
        "stock ipykernel on ZeroMQ sockets.")).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Decided after configuration is loaded; nbgrader's Execute would otherwise force its own
        # kernel manager through a keyword argument, which is why this is a subclass at all.
        self.sandboxed = self._sandbox_decision()
        self.kernel_manager_class = self._kernel_manager()
        # A kernel stuck in a loop that ignores interrupts must not delay the end of grading.
        self.shutdown_kernel = "immediate"

    def _kernel_manager(self):
        if not self.sandboxed:
            return AsyncKernelManager
        if self._cold_because is None:
            return DirectKernelManager if self.direct_kernel else WarmKernelManager
        if self.warm_start and self._cold_because not in SafeExecute._said:
            SafeExecute._said.add(self._cold_because)
            self.log.warning("Each kernel starts cold (as safe, slower): %s", self._cold_because)
        return SandboxedKernelManager

    _said: set = set()

    def _sandbox_decision(self) -> bool:
        if not self.use_sandbox:
            warnings.warn("GRADING WITHOUT A SANDBOX (SafeExecute.use_sandbox = False): student code "
                          "runs with your rights and can read and change your files.", stacklevel=2)
            return False
        self._cold_because = warm.unavailable(Limits.from_config(self.config),
                                              Protections(config=self.config)) \
            if self.warm_start else "c.SafeExecute.warm_start is False"
        try:
            # A warm process running in its sandbox, with the grader's own package imported
            # there, has passed what the probe checks; cold kernels are probed first.
            if self._cold_because is not None:
                sandbox.probe()
            return True
        except sandbox.SandboxUnavailable as err:
            opted_out = os.environ.get(UNSANDBOXED_ENV) == "1" or not self.require_sandbox
            if not opted_out:
                raise
            warnings.warn(f"GRADING WITHOUT A SANDBOX: student code runs with your rights and can "
                          f"read and change your files. ({err})", stacklevel=2)
            return False

    # ------------------------------------------------------------------ the notebook
    def preprocess(self, nb, resources=None, km=None):
        if not self.sandboxed:
            self.log.warning("GRADING WITHOUT A SANDBOX: student code runs with your rights.")
        self._plans = {}
        for index, cell in enumerate(nb.cells):
            if is_test_cell(cell):
                try:
                    visible, expectations = verdicts.parse(cell.source)
                except verdicts.HiddenTestError as err:
                    self._plans[index] = (cell.source, None, str(err))
                    cell.source = "pass"
                    continue
                self._plans[index] = (visible, expectations, None)
                cell.source = verdicts.execution_source(visible, expectations) if expectations \
                    else visible
        self._stopped = None
        self._started = time.monotonic()
        self._total_output = 0
        self._timing = timings.new()
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        finally:
            self._judge_all(nb)
        return nb, resources

    async def async_start_new_kernel(self, **kwargs):
        started = time.perf_counter()
        try:
            await super().async_start_new_kernel(**kwargs)
        except BaseException:
            await self._give_up_kernel()
            raise
        finally:
            timings.since(self._timing, "kernel start", started)
            sandbox_seconds = getattr(self.km, "sandbox_seconds", 0.0)
            self._timing["kernel start"] -= sandbox_seconds
            self._timing["sandbox"] += sandbox_seconds

    async def async_start_new_kernel_client(self):
        started = time.perf_counter()
        try:
            kc = await super().async_start_new_kernel_client()
        except BaseException:
            await self._give_up_kernel()
            raise
        if hasattr(self.km, "watch"):
            self.km.watch(kc)
        timings.since(self._timing, "kernel start", started)
        return kc

    async def _give_up_kernel(self) -> None:
        """After a kernel or its client that could not start: end the kernel and remove what it
        had on the host. nbclient does so only for a kernel that did not answer in time; one
        whose sockets could not even be reached (ZeroMQ refusing a path too long for Unix, as
        jupyter_client connects after the kernel has started) kept running, and its folder
        stayed in the temp folder."""
        if self.km is not None:
            await self._async_cleanup_kernel()

    async def _async_cleanup_kernel(self):
        started = time.perf_counter()
        try:
            await super()._async_cleanup_kernel()
        finally:
            timings.since(self._timing, "sandbox", started)

    # nbclient's synchronous names are bound to its own coroutines, not to overrides.
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    def _sandbox_trouble(self) -> str | None:
        trouble = getattr(self.km, "trouble", None)
        return trouble() if trouble else None

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped is None and time.monotonic() - self._started > self.notebook_deadline:
            self._stopped = f"the notebook ran longer than {self.notebook_deadline} s in all"
        if self._stopped is None:
            self._stopped = self._sandbox_trouble()
        if self._stopped:
            cell.outputs = [error_output("NotRun", f"Not run: {self._stopped}.")]
            return cell, resources
        self._cell_output = 0
        self._cell_truncated = False
        started = time.perf_counter()
        try:
            try:
                cell, resources = super().preprocess_cell(cell, resources, index)
            finally:
                timings.since(self._timing, "imports" if timings.only_imports(cell.source)
                              else "cells", started)
            if self._stopped:  # a timeout, noted by on_cell_executed: later cells say why
                return cell, resources
            self._stopped = self._sandbox_trouble()
            if not self._stopped:
                return cell, resources
        except DeadKernelError:
            ending = getattr(self.km, "ending", lambda: None)()
            self._stopped = (f"the kernel was stopped: {ending}" if ending else
                             "the kernel stopped (it was killed, or ran out of memory or CPU time)")
        except Exception as err:  # a kernel that ignores interrupts, or any executor failure
            self._stopped = (f"a cell ran longer than {self.timeout} s and would not stop"
                             if "timeout" in type(err).__name__.lower() or "Timeout" in str(err)
                             else f"grading stopped ({type(err).__name__})")
        cell.outputs.append(error_output("Stopped", f"Stopped here: {self._stopped}."))
        return cell, resources

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        reply = kwargs["execute_reply"]
        if reply["content"].get("ename") == "CellTimeoutError":
            self._stopped = f"a cell ran longer than {self.timeout} s"

    def process_message(self, msg, cell, cell_index):
        """Keep a bounded amount of output; the rest is dropped, with a note."""
        if msg["msg_type"] in {"stream", "display_data", "execute_result", "update_display_data",
                               "error", "comm_open", "comm_msg"}:
            size = len(json.dumps(msg["content"], default=str)) + sum(
                len(b) for b in msg.get("buffers", []) or [])
            self._cell_output += size
            self._total_output += size
            if self._total_output > self.max_received_output and hasattr(self.km, "stop_soon"):
                self.km.stop_soon(f"it printed more than {self.max_received_output:,} characters; "
                                  "the rest was dropped")
            if self._cell_output > self.max_cell_output or self._total_output > self.max_total_output:
                if not self._cell_truncated:
                    self._cell_truncated = True
                    cell.outputs.append(NotebookNode(
                        output_type="stream", name="stdout",
                        text=f"[more output than the grader keeps ({self.max_cell_output:,} "
                             "characters a cell); the rest was dropped]\n"))
                return None
        return super().process_message(msg, cell, cell_index)

    # ------------------------------------------------------------------ verdicts
    def _judge_all(self, nb) -> None:
        for index, (visible, expectations, problem) in self._plans.items():
            cell = nb.cells[index]
            shown = [o for o in cell.get("outputs", [])
                     if o.get("output_type") == "stream" and o.get("name") == "stdout"]
            text = "".join(o.get("text", "") for o in shown)[:2000]
            outputs = [NotebookNode(output_type="stream", name="stdout", text=text)] if text else []
            if problem:
                verdict = verdicts.Verdict(False, f"this test could not be run safely: {problem}")
                cell.source = visible
            elif expectations:
                verdict = verdicts.judge(expectations, cell.get("outputs", []))
                cell.source = verdicts.display_source(visible)
            else:  # a test with no hidden part: it passes when its visible code raised nothing
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                verdict = verdicts.Verdict(not errors, "the test raised an error" if errors else "")
                cell.source = visible
            if self._stopped and not verdict.passed and "Not run" in json.dumps(
                    cell.get("outputs", []), default=str):
                verdict = verdicts.Verdict(False, f"not run: {self._stopped}")
            if not verdict.passed:
                outputs.append(error_output("NotPassed", verdict.reason))
            elif verdict.partial:
                outputs += verdicts.partial_credit(verdict, cell.metadata.nbgrader.get("points"))
            cell.outputs = outputs
