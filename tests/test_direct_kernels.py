"""Direct kernels (course.sandbox.direct and course.sandbox.runner): ipykernel's in-process kernel
in a warm kernel's sandbox, talking to the grader over one socket instead of ZeroMQ.

They are what SafeExecute starts by default, so the hostile suites and course check run on them.
Here: they show what a stock kernel shows; the warm kernels' attacks and controls of
test_warm_kernels.py run again on them; and what the learner's code can write straight onto the
socket (it runs in the same process as the kernel) is refused with a reason, never trusted.
"""

from __future__ import annotations

import signal
import tempfile
import textwrap

import nbformat
import pytest
import zmq
from traitlets.config import Config

import test_warm_kernels
from course.sandbox import direct
from course.sandbox.direct import DirectKernelManager, NotAMessage, parse
from course.sandbox.runner import PART, pack_parts
from course.sandbox.warm_kernel import WarmKernelManager
# Collected again here, where the fixture below makes them start direct kernels.
from test_warm_kernels import (  # noqa: F401
    close_warm_processes, test_a_huge_message_never_enters_the_graders_memory,
    test_a_kernel_finds_nothing_another_left_beside_it, test_children_share_the_memory_budget,
    test_control_sharing_the_warm_process_namespaces_the_next_kernel_finds_it_all,
    test_control_without_the_bound_the_grader_holds_the_message,
    test_control_without_the_filter_memfd_is_allowed,
    test_every_writable_file_system_is_capped_and_the_rest_is_read_only,
    test_memory_that_no_process_holds_cannot_be_made, test_nothing_of_a_kernel_is_left_on_the_host,
    test_nothing_survives_its_kernel, test_processes_are_bounded_for_the_whole_kernel_even_as_root,
    test_the_kernel_cannot_write_to_the_host_through_its_sockets_folder,
    test_where_no_cgroup_can_be_made_a_watchdog_holds_the_budget)


@pytest.fixture(autouse=True)
def direct_kernels(monkeypatch):
    monkeypatch.setattr(test_warm_kernels, "MANAGER", DirectKernelManager)


def executed(manager, cells: list[str], timeout: int = 60, c: Config | None = None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(code))
                                         for code in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient = test_warm_kernels.Client(nb, kernel_manager_class=manager, timeout=timeout,
                                        allow_errors=True, config=c or Config())
    km = nbclient.create_kernel_manager()
    km.error = None
    try:
        nbclient.execute()
    except Exception as err:  # noqa: BLE001 (a stopped kernel: the test reads km.ending)
        km.error = err
    assert type(km) is manager and km._warm
    return nbclient.nb, km


def shown(nb) -> list:
    return [[(o.output_type, sorted(o.get("data", {})), o.get("text", ""), o.get("ename"))
             for o in cell.outputs] for cell in nb.cells]


# ---------------------------------------------------------------- the same notebook as stock
SAME = [
    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nprint('drawn')",
    "import sys\nprint('to stderr', file=sys.stderr)\n40 + 2",
    "from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))\n"
    "h = display('a', display_id=True)\nh.update('b')",
    "raise ValueError('on purpose')",
    "import ipywidgets\nipywidgets.IntSlider(value=3)",
    "input('never asked')",
    "print(get_ipython().history_manager.hist_file)",   # nbclient's settings reach it
    # stdout only (two descriptors are read by two threads, in either order), and a second for
    # the thread that reads it to pass it on before the cell ends, in either kernel
    "import os, subprocess, time\nos.write(1, b'fd one\\n')\nsubprocess.run(['echo', 'a child'])\n"
    "time.sleep(1)",
    "import os, sys\nprint(os.getcwd(), sys.path.index('') < "
    "[p.endswith('site-packages') for p in sys.path].index(True))",
]


def test_a_direct_kernel_shows_what_a_stock_kernel_shows():
    """Figures, both streams (each pointing at its cell), results, displays updated by id,
    errors, widgets with their state saved, no input, nbclient's settings, what the process and
    its children write to its own stdout and stderr, and the working folder on sys.path where
    IPython puts it."""
    ours, _ = executed(DirectKernelManager, SAME)
    stock, _ = executed(WarmKernelManager, SAME)
    assert shown(ours) == shown(stock)
    assert ("display_data", ["image/png", "text/plain"], "", None) in shown(ours)[0]
    assert ("stream", [], "drawn\n", None) in shown(ours)[0]
    assert shown(ours)[3][0][3] == "ValueError"
    assert shown(ours)[5][0][3] == "StdinNotImplementedError"
    assert shown(ours)[6] == [("stream", [], ":memory:\n", None)]
    assert shown(ours)[7] == [("stream", [], "fd one\na child\n", None)]
    state = ours.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(s["model_name"] == "IntSliderModel" and s["state"]["value"] == 3
               for s in state.values())


def test_an_endless_cell_is_interrupted_and_the_next_cell_runs():
    c = Config()
    c.NotebookClient.interrupt_on_timeout = True   # as nbgrader's Execute has it
    nb, km = executed(DirectKernelManager, ["while True: pass", "print('after')"], timeout=3,
                      c=c)
    assert shown(nb)[0][-1][3] == "KeyboardInterrupt"
    assert ("stream", [], "after\n", None) in shown(nb)[1]


@pytest.mark.parametrize("graceful", [True, False], ids=["graceful", "control-asked-on-zeromq"])
def test_a_graceful_shutdown_lets_the_kernel_end_by_itself(monkeypatch, graceful):
    """nbclient's default shutdown asks the kernel to end. A direct kernel has no ZeroMQ control
    channel to be asked on: it ends, with status 0, when the grader's end stops writing.
    Control: asked on ZeroMQ as jupyter_client would, it never hears and is killed once
    shutdown_wait_time has passed."""
    ended = {}

    class Watched(DirectKernelManager):
        async def _async_finish_shutdown(self, *args, **kwargs):
            process = self.provisioner.process
            await super()._async_finish_shutdown(*args, **kwargs)
            ended["status"] = process.returncode

    if not graceful:
        monkeypatch.setattr(DirectKernelManager, "_async_request_shutdown",
                            WarmKernelManager._async_request_shutdown)
    c = Config()
    c.KernelManager.shutdown_wait_time = 1
    nb, _ = executed(Watched, ["print('done')"], c=c)
    assert shown(nb)[0] == [("stream", [], "done\n", None)]
    assert ended["status"] == (0 if graceful else -signal.SIGKILL)


class SleepsSeen:
    """jupyter_client.manager's asyncio, noting each sleep it is asked for."""

    def __init__(self):
        import asyncio
        self.asyncio, self.asked = asyncio, []

    async def sleep(self, delay, *args, **kwargs):
        self.asked.append(delay)
        return await self.asyncio.sleep(delay, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.asyncio, name)


@pytest.mark.parametrize("ours", [True, False], ids=["ours", "control-stock-decorator"])
def test_a_kernel_starts_and_ends_without_jupyter_clients_pause(monkeypatch, ours):
    """jupyter_client sleeps 10 ms after each start and shutdown of a kernel; the sandboxed
    managers do not, and their ``ready`` future is settled as jupyter_client's is. Control: with
    jupyter_client's own decorated coroutines, both pauses come back."""
    from jupyter_client import manager as stock_manager

    from course.sandbox.kernel import SandboxedKernelManager
    seen = SleepsSeen()
    monkeypatch.setattr(stock_manager, "asyncio", seen)
    if not ours:
        for name in ("start_kernel", "shutdown_kernel"):
            monkeypatch.setattr(SandboxedKernelManager, name,
                                getattr(stock_manager.AsyncKernelManager, name))
    nb, km = executed(DirectKernelManager, ["print('done')"])
    assert shown(nb)[0] == [("stream", [], "done\n", None)]
    assert km.ready.done() and km.ready.exception() is None
    assert seen.asked.count(0.01) == (0 if ours else 2)


# ------------------------------------------------------ what the learner writes on the socket
def frame(channel: bytes, body: bytes) -> str:
    return f"os.write(3, {channel!r} + ({len(body)}).to_bytes(4, 'big') + {body!r})"


def message_body(header=None, parent=None, metadata=None, content=None) -> bytes:
    import json
    parts = [header if header is not None else {"msg_type": "stream", "msg_id": "x"},
             parent if parent is not None else {}, metadata if metadata is not None else {},
             content if content is not None else {"name": "stdout", "text": "forged"}]
    return pack_parts([json.dumps(p).encode() for p in parts])


FORGED = {
    "not JSON": frame(b"P", pack_parts([b"{", b"{}", b"{}", b"{}"])),
    "no channel": frame(b"Q", message_body()),
    "a header that is a list": frame(b"P", message_body(header=[])),
    "a part longer than its frame": frame(b"P", PART.pack(1000) + b"{}"),
    "too few parts": frame(b"S", pack_parts([b"{}", b"{}"])),
}


@pytest.mark.parametrize("forged", list(FORGED.values()), ids=list(FORGED))
def test_what_is_not_a_message_stops_the_kernel_and_says_why(forged):
    code = f"import os, time\n{forged}\ntime.sleep(30)\nprint('still here')"
    nb, km = executed(DirectKernelManager, [code, "print('next')"], timeout=20)
    assert "not a Jupyter message" in (km.ending() or ""), (shown(nb), km.error)
    assert type(km.error).__name__ == "DeadKernelError"
    assert "still here" not in str(shown(nb)) and "next" not in str(shown(nb))


def test_control_trusting_the_frames_a_forgery_stalls_the_cell_until_its_time_out(monkeypatch):
    """Read as it comes, a header that is not an object breaks the grader's reader: nothing
    answers the cell any more, and it ends only at its time-out, with no word of why."""
    def trusting(body):
        import json
        parts, at = [], 0
        while at < len(body):
            (size,) = PART.unpack_from(body, at)
            parts.append(body[at + PART.size:at + PART.size + size])
            at += PART.size + size
        header, parent, metadata, content = (json.loads(p) for p in parts[:4])
        return {"header": header, "parent_header": parent, "metadata": metadata,
                "content": content, "buffers": [], "msg_type": header["msg_type"]}

    monkeypatch.setattr(direct, "parse", trusting)
    code = f"import os, time\n{FORGED['a header that is a list']}\ntime.sleep(30)"
    nb, km = executed(DirectKernelManager, [code], timeout=4)
    assert "not a Jupyter message" not in (km.ending() or "")
    assert type(km.error).__name__ == "CellTimeoutError"


@pytest.mark.parametrize("body", [b"", PART.pack(3) + b"{}", message_body(content=[]),
                                  message_body(header={"msg_type": 7}),
                                  pack_parts([b"[" * 100_000, b"{}", b"{}", b"{}"])])
def test_parse_refuses_each_malformed_body(body):
    with pytest.raises(NotAMessage):
        parse(body)


def test_parse_reads_a_message_and_its_buffers():
    msg = parse(message_body() + PART.pack(3) + b"abc")
    assert msg["msg_type"] == "stream" and msg["content"]["text"] == "forged"
    assert msg["buffers"] == [b"abc"]


# ---------------------------------------------------------------- a kernel that cannot be reached
@pytest.mark.parametrize("give_up", [True, False], ids=["given-up", "control-without"])
def test_a_kernel_that_cannot_be_reached_leaves_nothing(tmp_path, monkeypatch, give_up):
    """ZeroMQ refuses a socket path longer than Unix allows, so with a long temp folder
    jupyter_client cannot connect to a kernel it has just started; nbclient cleans up only after
    a kernel that did not answer. SafeExecute ends the kernel and removes its folder. Control:
    without that, the kernel's folder stays in the temp folder and its sandbox runs on."""
    from course.safe_execute import SafeExecute
    temp = tmp_path / ("t" * 100)
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    if not give_up:
        async def keep(self):
            pass
        monkeypatch.setattr(SafeExecute, "_give_up_kernel", keep)
    made = []
    stock_create = SafeExecute.create_kernel_manager
    monkeypatch.setattr(SafeExecute, "create_kernel_manager",
                        lambda self: made.append(stock_create(self)) or made[-1])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("40 + 2")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with pytest.raises(zmq.ZMQError, match="too long"):
        SafeExecute().preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    (km,) = made
    try:
        assert (list(temp.iterdir()) == []) == give_up
        assert km.has_kernel != give_up
    finally:   # the control's: its sandbox, and the ZeroMQ context the failed socket holds open
        km.release()
        km.context.destroy(linger=0)
