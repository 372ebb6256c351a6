"""Reading and copying what a learner handed in, without following anything it points at.

A submission is whatever a student put in a folder. Everything that reads it before the sandbox (the
graders, ``nbgrader collect``, ``course report``) goes through here, so that a symbolic link to the
instructor's notebook, a named pipe, a device, a socket or a tree thousands of folders deep is never
opened, followed or copied. Only regular files and real folders count; everything else is listed
with the reason it was ignored, so the grader can say so in the graded notebook.
"""

from __future__ import annotations

import errno
import gc
import os
import shutil
import stat
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MB = 1 << 20


@dataclass(frozen=True)
class Bounds:
    """What one submission may hold. No honest submission comes near these."""

    depth: int = 8                  # folders inside folders
    entries: int = 500              # files and folders in all
    file_bytes: int = 64 * MB       # one file
    total_bytes: int = 128 * MB     # everything


class UnsafeFile(OSError):
    """A path that is not a regular file, or is too large to read; the message says which."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


@dataclass
class Scan:
    """The regular files and real folders of a tree, and what was left out and why."""

    files: list = field(default_factory=list)     # (relative path, size)
    folders: list = field(default_factory=list)   # relative paths
    ignored: list = field(default_factory=list)   # (relative path, reason)

    def notes(self) -> list[str]:
        return [f"{path} {why}, so it was ignored" for path, why in self.ignored]


def kind_of(mode: int) -> str:
    """What a non-regular entry is, in plain words."""
    if stat.S_ISLNK(mode):
        return "is a link (to somewhere else)"
    if stat.S_ISFIFO(mode):
        return "is a named pipe, not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    return "is not a regular file"


def is_real_folder(path: str | os.PathLike) -> bool:
    """A folder that is itself a folder, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def not_a_folder(path: str | os.PathLike) -> str | None:
    """Why ``path`` is not a real folder ("is a link (to somewhere else)", ...), looked at without
    following it; None when it is one or is not there at all."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"could not be read ({err.strerror or err})"
    if stat.S_ISDIR(mode):
        return None
    return "is a file, not a folder" if stat.S_ISREG(mode) else kind_of(mode)


def scan(root: str | os.PathLike, bounds: Bounds = Bounds(), skip=(), keep=None) -> Scan:
    """Walk ``root`` without following links.

    ``skip`` holds folder names never entered; ``keep(relative path)``, when given, says which
    regular files to list (the others are passed over silently).
    """
    root = Path(root)
    found = Scan()
    if not is_real_folder(root):
        found.ignored.append((".", "is not a folder"))
        return found
    pending, total, entries = [(root, 0)], 0, 0
    while pending:
        folder, depth = pending.pop()
        try:
            with os.scandir(folder) as listing:
                children = sorted(listing, key=lambda e: e.name)
        except OSError as err:
            found.ignored.append((_rel(folder, root), f"could not be listed ({err.strerror})"))
            continue
        for entry in children:
            rel = _rel(entry.path, root)
            entries += 1
            if entries > bounds.entries:
                found.ignored.append((rel, f"is beyond the first {bounds.entries} entries"))
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as err:
                found.ignored.append((rel, f"could not be read ({err.strerror})"))
                continue
            if stat.S_ISDIR(info.st_mode):
                if entry.name in skip:
                    continue
                if depth + 1 > bounds.depth:
                    found.ignored.append((rel, f"is more than {bounds.depth} folders deep"))
                    continue
                found.folders.append(rel)
                pending.append((Path(entry.path), depth + 1))
            elif keep is not None and stat.S_ISREG(info.st_mode) and not keep(rel):
                continue
            elif not stat.S_ISREG(info.st_mode):
                found.ignored.append((rel, kind_of(info.st_mode)))
            elif info.st_size > bounds.file_bytes:
                found.ignored.append((rel, f"is {info.st_size / MB:.0f} MB, larger than "
                                           f"{bounds.file_bytes // MB} MB"))
            elif total + info.st_size > bounds.total_bytes:
                found.ignored.append((rel, f"would take the submission past "
                                           f"{bounds.total_bytes // MB} MB"))
            else:
                total += info.st_size
                found.files.append((rel, info.st_size))
    found.files.sort()
    found.folders.sort()
    return found


def _rel(path, root: Path) -> str:
    return os.path.relpath(path, root)


def open_regular(path: str | os.PathLike, max_bytes: int | None = None) -> int:
    """An fd for reading ``path``, only if it is a regular file (never a link, pipe or device)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnsafeFile(errno.ELOOP, f"{Path(path).name} {kind_of(stat.S_IFLNK)}") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(errno.EINVAL, f"{Path(path).name} {kind_of(info.st_mode)}")
        if max_bytes is not None and info.st_size > max_bytes:
            raise UnsafeFile(errno.EFBIG, f"{Path(path).name} is {info.st_size:,} bytes, more than "
                                          f"{max_bytes:,}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; UnsafeFile for anything else."""
    fd = open_regular(path, max_bytes)
    with os.fdopen(fd, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew while being read
        raise UnsafeFile(errno.EFBIG, f"{Path(path).name} is more than {max_bytes:,} bytes")
    return data


def copy_regular(src: str | os.PathLike, dest: str | os.PathLike, max_bytes: int) -> None:
    """Copy one regular file (at most ``max_bytes``), never through a link."""
    fd = open_regular(src, max_bytes)
    with os.fdopen(fd, "rb") as fin, open(dest, "xb") as fout:
        remaining = max_bytes + 1
        while remaining > 0:
            block = fin.read(min(remaining, MB))
            if not block:
                break
            fout.write(block)
            remaining -= len(block)
    if remaining <= 0:
        raise UnsafeFile(errno.EFBIG, f"{Path(src).name} grew past {max_bytes:,} bytes")


def copy_tree(src: str | os.PathLike, dest: str | os.PathLike, bounds: Bounds = Bounds(),
              skip=(), keep=None) -> Scan:
    """Copy the regular files and real folders of ``src`` into a new folder ``dest``."""
    src, dest = Path(src), Path(dest)
    found = scan(src, bounds, skip, keep)
    dest.mkdir(parents=True, exist_ok=True)
    for rel in found.folders:
        (dest / rel).mkdir(exist_ok=True)
    copied = []
    for rel, size in found.files:
        try:
            copy_regular(src / rel, dest / rel, bounds.file_bytes)
            copied.append((rel, size))
        except OSError as err:  # it changed between the scan and the copy
            found.ignored.append((rel, f"could not be copied ({err.strerror or err})"))
    found.files = copied
    return found


def remove_tree(path: str | os.PathLike) -> None:
    """Delete a folder we made, however deep or read-only it has become; never raises."""
    path = Path(path)
    if not os.path.lexists(path):
        return
    if not is_real_folder(path):
        path.unlink(missing_ok=True)
        return
    try:
        with _collector_paused():
            shutil.rmtree(path, onerror=_make_removable)
    except (OSError, RecursionError):
        pass
    if os.path.lexists(path):
        # shutil recurses once per level; coreutils' rm walks any depth.
        subprocess.run(["chmod", "-R", "u+rwx", str(path)], capture_output=True)
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], capture_output=True)


#: Removals under way that keep automatic garbage collection paused, and whether it was on.
_pause = {"removals": 0, "collector_was_on": False}
_pause_lock = threading.Lock()


@contextmanager
def _collector_paused():
    """No automatic garbage collection meanwhile. shutil.rmtree recurses once per level, so in a
    very deep tree it runs at the recursion limit: a collection set off there runs finalizers with
    no room left, and each fails (Python reports them as unraisable exceptions). Garbage waits
    for the next collection instead."""
    with _pause_lock:
        if _pause["removals"] == 0:
            _pause["collector_was_on"] = gc.isenabled()
            gc.disable()
        _pause["removals"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["removals"] -= 1
            if _pause["removals"] == 0 and _pause["collector_was_on"]:
                gc.enable()


def _make_removable(function, path, _exc_info) -> None:
    try:
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        function(path)
    except OSError:
        pass
