"""Direct kernels, the grader's side: a warm kernel that runs ipykernel's in-process kernel and
talks over one Unix socket instead of ZeroMQ (the kernel's side is ``course.sandbox.runner``).

nbclient drives it as any kernel: ``DirectKernelClient`` has the part of a kernel client nbclient
uses (execute, kernel_info, the shell and IOPub channels, is_alive), so timeouts, interrupts, dead
kernels, output bounds and hidden-test verdicts are SafeExecute's and nbclient's as before. What
arrives on the socket is the learner's to write, so every frame is checked: a frame larger than
``Limits.message_mb`` is never read (the kernel is stopped, and the cell says why, as a refused
ZeroMQ message does), and anything that is not a Jupyter message stops the kernel too. What waits
unread in the grader is bounded by the socket's flow control: the reader takes only what the
stream has buffered (about a frame) before nbclient's readers run again, and between cells nothing
is read at all, so a kernel that writes faster waits on its own socket.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from queue import Empty

from course.sandbox.kernel import STARTUP_SECONDS
from course.sandbox.runner import FRAME, INTERRUPT, IOPUB, PART, REQUEST, SHELL
from course.sandbox.warm_kernel import WarmKernelManager


class NotAMessage(ValueError):
    """A frame from the kernel that is not a Jupyter message."""


def parse(body: bytes) -> dict:
    """A message from a frame's body: header, parent header, metadata and content (JSON objects),
    then buffers; raises NotAMessage for anything else."""
    parts, at = [], 0
    while at < len(body):
        if at + PART.size > len(body):
            raise NotAMessage("a part's length is cut short")
        (size,) = PART.unpack_from(body, at)
        at += PART.size
        if at + size > len(body):
            raise NotAMessage("a part is longer than its frame")
        parts.append(body[at:at + size])
        at += size
    if len(parts) < 4:
        raise NotAMessage("a message has fewer than four parts")
    try:
        header, parent, metadata, content = (json.loads(part) for part in parts[:4])
    except (ValueError, RecursionError):
        raise NotAMessage("a part is not JSON") from None
    if not all(isinstance(x, dict) for x in (header, parent, metadata, content)) or \
            not isinstance(header.get("msg_type"), str):
        raise NotAMessage("a message's parts are not what Jupyter's protocol says")
    return {"header": header, "parent_header": parent, "metadata": metadata, "content": content,
            "buffers": parts[4:], "msg_id": header.get("msg_id"),
            "msg_type": header["msg_type"]}


class Channel:
    """One channel's messages, as nbclient reads them (``get_msg`` raises Empty on time-out)."""

    def __init__(self):
        self._queue: asyncio.Queue = asyncio.Queue()

    async def get_msg(self, timeout: float | None = None) -> dict:
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            raise Empty from None


class DirectKernelClient:
    """What nbclient uses of a kernel client, on the direct kernel's socket."""

    allow_stdin = False

    def __init__(self, manager: "DirectKernelManager", sock: socket.socket):
        self.manager, self._sock = manager, sock
        self.shell_channel = Channel()
        self.iopub_channel = Channel()
        self._reader = self._writer = self._task = None

    async def start_channels(self, *args, **kwargs) -> None:
        if self._task is None:
            self._reader, self._writer = await asyncio.open_unix_connection(sock=self._sock)
            self._task = asyncio.ensure_future(self._read())

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Until the kernel answers a kernel_info request (so a kernel's start is timed as
        its making, not as the first cell's)."""
        request = self.kernel_info()
        timeout = timeout if timeout is not None else STARTUP_SECONDS
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                if not await self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds") from None
                continue
            if reply["parent_header"].get("msg_id") == request:
                return

    def stop_channels(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        else:
            self._sock.close()

    async def is_alive(self) -> bool:
        return await self.manager.is_alive()

    # -- requests -----------------------------------------------------------------------------
    def _request(self, msg_type: str, content: dict) -> str:
        msg_id = uuid.uuid4().hex
        body = json.dumps({"msg_type": msg_type, "msg_id": msg_id, "content": content}).encode()
        self._send(REQUEST, body)
        return msg_id

    def _send(self, channel: bytes, body: bytes) -> None:
        if self._writer is None:
            raise RuntimeError("the kernel's channels are not started")
        self._writer.write(FRAME.pack(channel, len(body)) + body)

    def execute(self, code: str, silent: bool = False, store_history: bool = True,
                user_expressions: dict | None = None, allow_stdin: bool | None = None,
                stop_on_error: bool = True) -> str:
        return self._request("execute_request", {
            "code": code, "silent": silent, "store_history": store_history,
            "user_expressions": user_expressions or {}, "allow_stdin": False,
            "stop_on_error": stop_on_error})

    def kernel_info(self) -> str:
        return self._request("kernel_info_request", {})

    def interrupt(self) -> None:
        if self._writer is not None:
            self._send(INTERRUPT, b"")

    # -- what the kernel sends ------------------------------------------------------------------
    async def _read(self) -> None:
        limit = self.manager.limits.message_mb << 20
        try:
            while True:
                channel, size = FRAME.unpack(await self._reader.readexactly(FRAME.size))
                if channel not in (SHELL, IOPUB):
                    raise NotAMessage(f"a frame on no channel ({channel!r})")
                if size > limit and self.manager.protections.bounded_messages:
                    self.manager.stop_soon(
                        f"it sent a message larger than the {self.manager.limits.message_mb} MB "
                        "the grader accepts; the rest was dropped")
                    return
                msg = parse(await self._reader.readexactly(size))
                target = self.shell_channel if channel == SHELL else self.iopub_channel
                target._queue.put_nowait(msg)
        except asyncio.IncompleteReadError:
            return   # the kernel has ended; nbclient finds out from is_alive
        except NotAMessage as err:
            self.manager.stop_soon(f"it sent something that is not a Jupyter message ({err})")


class DirectKernelManager(WarmKernelManager):
    """A warm kernel whose kernel is ``course.sandbox.runner`` on a socket of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ours: socket.socket | None = None
        self._theirs: socket.socket | None = None
        self._client: DirectKernelClient | None = None

    def _kernel_end(self):
        self._ours, self._theirs = socket.socketpair()
        return self._theirs

    async def _connect(self) -> None:
        self._theirs.close()   # the kernel holds its end now; EOF here means it ended
        self._theirs = None

    def client(self, **kwargs):
        if not self._warm:   # a kernel of another kind started cold, on ZeroMQ
            return super().client(**kwargs)
        if self._client is None:
            self._client = DirectKernelClient(self, self._ours)
        return self._client

    def watch(self, client) -> None:
        """Nothing to watch on a direct kernel: its client stops it when it must (``stop_soon``)."""
        if not self._warm:
            super().watch(client)

    async def _async_interrupt_kernel(self) -> None:
        if not self._warm:
            return await super()._async_interrupt_kernel()
        if self._client is not None:
            self._client.interrupt()

    interrupt_kernel = _async_interrupt_kernel

    async def _async_request_shutdown(self, restart: bool = False) -> None:
        """A graceful shutdown: a direct kernel has no control channel to ask on (jupyter_client
        would ask on ZeroMQ and, with no answer, wait out ``shutdown_wait_time`` before killing
        it); it ends by itself, with status 0, once the grader's end stops writing."""
        if not self._warm:
            return await super()._async_request_shutdown(restart=restart)
        from jupyter_client.manager import _ShutdownStatus
        if self._ours is not None:
            try:
                self._ours.shutdown(socket.SHUT_WR)
            except OSError:   # already closed: the kernel has seen its end
                pass
        await self.provisioner.shutdown_requested(restart=restart)
        self._shutdown_status = _ShutdownStatus.ShutdownRequest

    def release(self) -> None:
        if self._client is not None:
            self._client.stop_channels()
        elif self._ours is not None:
            self._ours.close()
        if self._theirs is not None:
            self._theirs.close()
            self._theirs = None
        super().release()
