"""Where no cgroup can be made: a thread in the grader that bounds the sandbox as a whole.

Every few tenths of a second it counts the processes under the sandbox's first process and adds up
their resident memory; past either budget it kills the whole sandbox (its first process is the PID
namespace's init, so every process inside dies with it) and says why. It runs outside the sandbox,
so nothing inside can stop it. Memory held by no process (memfd, System V segments) is refused by
the seccomp filter, and the sandbox's file systems have size caps of their own.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc's children lists."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                pending += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def resident_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


class Watchdog(threading.Thread):
    def __init__(self, init_pid: int, pid_namespace: int, memory_bytes: int, processes: int,
                 interval: float = 0.1):
        super().__init__(daemon=True, name=f"sandbox-watchdog-{init_pid}")
        self.init_pid, self.memory_bytes, self.processes = init_pid, memory_bytes, processes
        self.pid_namespace = pid_namespace   # so a reused process id is never mistaken for it
        self.interval = interval
        self.reason: str | None = None
        self._stop = threading.Event()

    def check(self) -> str | None:
        """One look: the reason to stop the sandbox now, or None."""
        pids = descendants(self.init_pid)
        inside = len(pids) - 1   # bubblewrap's init itself is not the kernel's
        if inside > self.processes:
            return f"it started more than {self.processes} processes"
        used = sum(resident_bytes(p) for p in pids)
        if used > self.memory_bytes:
            return f"it used more than {self.memory_bytes >> 20} MB of memory in all"
        return None

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            if not self._still_the_sandbox():
                return
            reason = self.check()
            if reason:
                self.reason = reason
                try:
                    os.kill(self.init_pid, signal.SIGKILL)
                except OSError:
                    pass
                return

    def _still_the_sandbox(self) -> bool:
        try:
            return os.stat(f"/proc/{self.init_pid}/ns/pid").st_ino == self.pid_namespace
        except OSError:
            return False

    def stop(self) -> None:
        self._stop.set()
