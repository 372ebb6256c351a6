"""One control group per sandbox: memory and processes bounded for the kernel and its children.

Per-process limits (rlimits) let three children of a kernel take three times its memory, and the
process limit is never enforced for root. A cgroup bounds them together, whoever runs the grader,
and tmpfs pages written inside the sandbox count towards its memory too. Where no cgroup can be
made (no write access to the cgroup file system, as for most unprivileged users), ``make`` returns
None and the kernel manager falls back to a watchdog (``course.sandbox.watchdog``).

Both cgroup versions are handled: v1 (separate ``memory`` and ``pids`` hierarchies, as on these
machines) and v2 (one unified hierarchy).
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
GROUP = "course-grading"
_serial = itertools.count()


def _own_path(controller: str | None) -> str:
    """This process's cgroup path in a v1 controller's hierarchy (or v2's, for None)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if (controller is None and controllers == "") or controller in controllers.split(","):
            return path
    raise OSError(f"no {controller or 'unified'} cgroup for this process")


def _write(path: Path, value) -> None:
    path.write_text(f"{value}\n")


class Cgroup:
    """The leaf cgroup(s) of one sandbox: ``procs`` are the files its first process joins."""

    def __init__(self, version: int, leaves: dict):
        self.version = version
        self.leaves = leaves          # controller ("memory", "pids", or "" for v2) -> folder

    @property
    def procs(self) -> list[Path]:
        return [leaf / "cgroup.procs" for leaf in self.leaves.values()]

    # -- what happened -----------------------------------------------------------------------
    def _events(self, leaf: Path, name: str) -> dict:
        try:
            text = (leaf / name).read_text()
        except OSError:
            return {}
        return {k: int(v) for k, v in (line.split() for line in text.splitlines() if " " in line)}

    def oom_kills(self) -> int:
        if self.version == 2:
            return self._events(self.leaves[""], "memory.events").get("oom_kill", 0)
        return self._events(self.leaves["memory"], "memory.oom_control").get("oom_kill", 0)

    def forks_refused(self) -> int:
        leaf = self.leaves["" if self.version == 2 else "pids"]
        return self._events(leaf, "pids.events").get("max", 0)

    # -- ending ------------------------------------------------------------------------------
    def members(self) -> set[int]:
        pids = set()
        for procs in self.procs:
            try:
                pids.update(int(p) for p in procs.read_text().split())
            except OSError:
                pass
        return pids

    def kill_all(self, timeout: float = 5.0) -> None:
        """Kill every process in the cgroup and wait until it is empty; never raises."""
        if self.version == 2:
            try:
                _write(self.leaves[""] / "cgroup.kill", 1)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            members = self.members()
            if not members:
                return
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill_all()
        for leaf in self.leaves.values():
            for _ in range(50):
                try:
                    leaf.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # a process is still leaving
                    time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process: alive
        return True
    return True


def _groups(root: Path) -> list[tuple[int, str | None, Path]]:
    """(version, controller, folder) of the course's group(s) beside this process's cgroup."""
    if (root / "cgroup.controllers").is_file():
        return [(2, None, root / GROUP)]
    found = []
    for controller in ("memory", "pids"):
        try:
            found.append((1, controller, root / controller / _own_path(controller).lstrip("/")
                           / GROUP))
        except OSError:
            pass
    return found


def sweep_orphans(root: Path = ROOT) -> list[Path]:
    """Remove the sandbox cgroups whose grader died before it could (a worker killed mid-run, a
    grader stopped with SIGKILL); their processes are killed first. A cgroup of a grader that is
    still running is left alone. Returns what was removed."""
    removed = []
    for version, controller, group in _groups(root):
        try:
            leaves = [p for p in group.iterdir() if p.is_dir() and p.name.startswith("kernel-")]
        except OSError:
            continue
        for leaf in leaves:
            try:
                owner = int(leaf.name.split("-")[1])
            except (IndexError, ValueError):
                continue
            if not _alive(owner):
                Cgroup(version, {controller or "": leaf}).remove()
                if not leaf.exists():
                    removed.append(leaf)
    return removed


def make(memory_bytes: int, processes: int, root: Path = ROOT) -> Cgroup | None:
    """A fresh cgroup with these limits, or None where this process cannot make one. Orphans
    of graders that died are swept first, so none outlives the next grading."""
    name = f"kernel-{os.getpid()}-{next(_serial)}"
    sweep_orphans(root)
    try:
        if (root / "cgroup.controllers").is_file():
            return _make_v2(root, name, memory_bytes, processes)
        if (root / "memory").is_dir() and (root / "pids").is_dir():
            return _make_v1(root, name, memory_bytes, processes)
    except OSError:
        return None
    return None


def _make_v1(root: Path, name: str, memory_bytes: int, processes: int) -> Cgroup:
    leaves = {}
    try:
        for controller in ("memory", "pids"):
            parent = root / controller / _own_path(controller).lstrip("/") / GROUP
            parent.mkdir(exist_ok=True)
            leaf = parent / name
            leaf.mkdir()
            leaves[controller] = leaf
        _write(leaves["memory"] / "memory.limit_in_bytes", memory_bytes)
        swap = leaves["memory"] / "memory.memsw.limit_in_bytes"
        if swap.exists():  # memory plus swap: no escaping the limit into swap
            _write(swap, memory_bytes)
        _write(leaves["pids"] / "pids.max", processes)
    except OSError:
        Cgroup(1, leaves).remove()
        raise
    return Cgroup(1, leaves)


def _make_v2(root: Path, name: str, memory_bytes: int, processes: int) -> Cgroup:
    # A v2 cgroup that holds processes cannot have children with controllers, so the sandboxes
    # live in a group of their own beside this process's cgroup's processes: at the root for
    # root, or in a delegated subtree this process may write to.
    base = root / GROUP
    base.mkdir(exist_ok=True)
    enabled = set((root / "cgroup.subtree_control").read_text().split())
    if not {"memory", "pids"} <= enabled:
        _write(root / "cgroup.subtree_control", "+memory +pids")
    if not {"memory", "pids"} <= set((base / "cgroup.subtree_control").read_text().split()):
        _write(base / "cgroup.subtree_control", "+memory +pids")
    leaf = base / name
    leaf.mkdir()
    group = Cgroup(2, {"": leaf})
    try:
        _write(leaf / "memory.max", memory_bytes)
        if (leaf / "memory.swap.max").exists():
            _write(leaf / "memory.swap.max", 0)
        _write(leaf / "pids.max", processes)
    except OSError:
        group.remove()
        raise
    return group
