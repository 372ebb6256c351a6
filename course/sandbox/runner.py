"""A kernel without ZeroMQ, inside a warm kernel's sandbox: the learner's cells run in ipykernel's
in-process kernel, and every message it sends goes to the grader over one Unix socket.

A stock kernel's messages go through ZeroMQ (a socket per channel, a thread to move them, a
signature on each) and the grader's client unpacks each again; for a Module 1 notebook that is
up to a tenth of grading's CPU (bench/grade_bench.py, with this and without). This is the same
IPython kernel (display hooks, inline figures, widgets' comms, errors and execution counts as a
notebook shows them), with its messages framed on a socket the grader handed the sandbox. The
grader's side is ``course.sandbox.direct``; it trusts nothing that arrives here: the learner's
code runs in this process and can write anything to the socket.

Frames, each way: a channel byte, a big-endian length, then the body. From the grader: ``R`` and
one JSON request (``{"msg_type", "msg_id", "content"}``), or ``I`` with no body (interrupt). To
the grader: ``S`` (a shell reply) or ``P`` (IOPub), and the body is the message's parts as the
Jupyter wire protocol has them after its delimiter, without the signature: header, parent header,
metadata, content and any buffers, each with its length.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import struct
import threading

from course.sandbox.zygote import Channel

FRAME = struct.Struct("!cI")
PART = struct.Struct("!I")
SHELL, IOPUB, REQUEST, INTERRUPT = b"S", b"P", b"R", b"I"
DELIMITER = b"<IDS|MSG>"
#: The largest request the grader sends (a cell's source): bigger is not the grader's.
MAX_REQUEST = 64 << 20


def pack_parts(parts: list[bytes]) -> bytes:
    return b"".join(PART.pack(len(part)) + part for part in parts)


def after_delimiter(parts: list) -> list[bytes]:
    """header, parent header, metadata, content and buffers of a message's wire parts."""
    raw = [bytes(part) for part in parts]
    return raw[raw.index(DELIMITER) + 2:]


class Wire(Channel):
    """The kernel's end of the socket; frames from several threads never interleave."""

    def __init__(self, sock: socket.socket):
        super().__init__(sock)
        self._lock = threading.Lock()

    def send(self, channel: bytes, parts: list[bytes]) -> None:
        body = pack_parts(parts)
        with self._lock:
            self.sock.sendall(FRAME.pack(channel, len(body)) + body)

    def requests(self, into: queue.Queue) -> None:
        """Read the grader's frames until it closes the socket: requests are queued for the main
        thread; an interrupt is a SIGINT to this process, as ipykernel does with one."""
        try:
            while True:
                channel, size = FRAME.unpack(self.read_exact(FRAME.size))
                if channel == INTERRUPT:
                    os.kill(os.getpid(), signal.SIGINT)
                    continue
                if size > MAX_REQUEST:
                    break
                into.put(json.loads(self.read_exact(size)))
        except EOFError:
            pass
        into.put(None)


def make_kernel(wire: Wire, argv: list[str] = ()):
    """ipykernel's in-process kernel, made the process's kernel (widgets' comms need that),
    whose IOPub messages go to the wire as they are sent. ``argv``: the settings a stock kernel
    would have had on its command line (nbclient's in-memory history, say)."""
    from ipykernel.inprocess.ipkernel import InProcessKernel
    from ipykernel.iostream import OutStream
    from jupyter_client.session import Session
    from traitlets import default
    from traitlets.config.loader import KVArgParseConfigLoader

    class WiredKernel(InProcessKernel):
        # As a stock kernel: what is written to the process's own stdout and stderr (a
        # subprocess, os.write) is output too (ipykernel's in-process kernel leaves it out).
        @default("stdout")
        def _default_stdout(self):
            return OutStream(self.session, self.iopub_thread, "stdout", watchfd=True)

        @default("stderr")
        def _default_stderr(self):
            return OutStream(self.session, self.iopub_thread, "stderr", watchfd=True)

        def set_parent(self, ident, parent, channel="shell"):
            # The in-process kernel's own print streams are swapped in only while a cell runs,
            # after this: tell them too, or printed output would point at no request.
            super().set_parent(ident, parent, channel)
            if channel == "shell":
                for stream in (self.stdout, self.stderr):
                    stream.set_parent(parent)

        def _io_dispatch(self, change):
            self.wire.send(IOPUB, after_delimiter(self._underlying_iopub_socket.recv_multipart()))

    WiredKernel.wire = wire
    config = KVArgParseConfigLoader([a for a in argv if a.startswith("--")]).load_config()
    # Unsigned: only this process and the grader see the messages, and a signature made in the
    # learner's own process would prove nothing to the grader.
    kernel = WiredKernel.instance(config=config, session=Session(key=b""))
    kernel.start()
    return kernel


def handle(kernel, wire: Wire, request: dict) -> None:
    """Run one request (execute, kernel_info) and send its reply; its IOPub messages went out
    while it ran. The grader's message id becomes the request's, so replies point at it."""
    from jupyter_core.utils import run_sync

    session = kernel.session
    header = session.msg_header(str(request["msg_type"]))
    header["msg_id"] = str(request["msg_id"])
    message = session.msg(header["msg_type"], dict(request.get("content") or {}), header=header)
    stream = kernel.shell_stream
    session.send(stream, message)
    run_sync(kernel.dispatch_shell)(stream.recv_multipart())
    wire.send(SHELL, after_delimiter(stream.recv_multipart()))


def serve(fd: int, argv: list[str] = ()) -> None:
    """The kernel's life: requests in order until the grader closes the socket."""
    from IPython.core.shellapp import InteractiveShellApp
    InteractiveShellApp().init_path()   # the working folder on sys.path, where IPython puts it
    # As ipykernel: an interrupt counts only while a cell runs (the kernel catches it then).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wire = Wire(socket.socket(fileno=fd))
    kernel = make_kernel(wire, argv)
    requests: queue.Queue = queue.Queue()
    threading.Thread(target=wire.requests, args=(requests,), daemon=True).start()
    while True:
        request = requests.get()
        if request is None:
            break
        try:
            handle(kernel, wire, request)
        except KeyboardInterrupt:
            continue
        except OSError:   # the grader has gone
            break
    os._exit(0)
