"""The temp folder of one local ``course grade`` run, and what is left of a run killed outright.

A run keeps its gradebook template, its workers' gradebook copies and one folder per started
task in a temp folder of its own (``course-grade-*``); each task's folder lists the other temp
folders made for it (the submission's mirror, the kernel's folder) in a ledger. A run that ends,
however it fails, removes all of it; one killed with SIGKILL (the out-of-memory killer, a hub's
time limit) cannot, and its processes end without it. So each run holds a lock on a file in its
folder for as long as it or any of its workers lives, and the next run removes every such folder
whose lock it can take, with the folders its ledgers list: those are runs that are gone. A
folder without the lock file, someone else's, or a link is never touched.

A Dask worker grades each task in a folder of the same kind (``course-dask-*``, its ledger at the
top) and sweeps before each task, so a worker killed mid-grading (out of memory, say) leaves
nothing for good on a machine whose next worker grades there.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from course.safe_files import is_real_folder, read_regular, remove_tree

PREFIX = "course-grade-"
#: A Dask worker's folder for one task.
DASK_PREFIX = "course-dask-"
#: The file a live run keeps locked (flock: the lock lasts while any process holds it open).
LOCK = ".alive"
#: In a task's folder: the temp folders made for it, one absolute path a line.
LEDGER = "temp-folders.txt"
STARTED = "started"


@contextmanager
def made(prefix: str = PREFIX) -> Iterator[Path]:
    """A new run folder, locked until the block ends, then removed with what its tasks left."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    fd = None
    try:
        # Locked before it gets its name: a sweep never sees the lock file unlocked while we live.
        fd = os.open(folder / f"{LOCK}.new", os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                     0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(folder / f"{LOCK}.new", folder / LOCK)
        yield folder
    finally:   # (also when the lock could not be made: a full disk, say)
        _remove_started(folder)
        remove_tree(folder)
        if fd is not None:
            os.close(fd)


def sweep(temp: str | os.PathLike | None = None, prefix: str = PREFIX) -> int:
    """Remove the folders of runs that are gone from ``temp`` (the temp folder); how many."""
    temp = Path(temp or tempfile.gettempdir())
    try:
        entries = [e for e in os.scandir(temp) if e.name.startswith(prefix)]
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        if not _ours(entry.path):   # (another run may have just removed its own)
            continue
        try:
            fd = os.open(Path(entry.path, LOCK), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue   # not a run's folder, or one being made
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue   # its run (or one of its workers) still lives
        try:
            remove_run(Path(entry.path), temp)
            removed += 1
        finally:
            os.close(fd)
    return removed


def remove_run(folder: Path, temp: str | os.PathLike | None = None) -> None:
    """A gone run's folder, after what each of its started tasks left and what its own ledger
    lists (in ``temp``). (A live run's own ledger is not followed when it ends: another thread
    of its process may have made a folder it listed, still in use.)"""
    _remove_started(folder, temp)
    remove_task(folder, temp)


def _remove_started(folder: Path, temp: str | os.PathLike | None = None) -> None:
    try:
        tasks = [Path(t.path) for t in os.scandir(folder / STARTED)
                 if t.is_dir(follow_symlinks=False)]
    except OSError:
        tasks = []
    for task in tasks:
        remove_task(task, temp)


@contextmanager
def listing_temp_folders(ledger: Path):
    """List every temp folder made while grading (the mirror, the kernel's own folder) as it is
    made, so that the parent, or a later run, can remove them if this worker is killed before
    it cleans up. (Making them inside the task's folder instead would lengthen the kernel's
    socket paths, which Unix caps at 107 bytes.)"""
    stock = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        path = stock(*args, **kwargs)
        with open(ledger, "a", encoding="utf-8") as f:
            f.write(os.path.abspath(path) + "\n")
        return path

    tempfile.mkdtemp = mkdtemp
    try:
        yield
    finally:
        tempfile.mkdtemp = stock


def remove_task(folder: Path, temp: str | os.PathLike | None = None) -> None:
    """What a dead worker left of one task: the temp folders it listed (only folders of ours in
    ``temp``, the temp folder), then the task's own folder."""
    try:
        listed = read_regular(folder / LEDGER, 1 << 20).decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        listed = []
    temp = os.path.realpath(temp or tempfile.gettempdir())
    for path in listed:
        if os.path.isabs(path) and os.path.realpath(os.path.dirname(path)) == temp and \
                Path(path).name.startswith(("course-", "tmp")) and _ours(path):
            remove_tree(path)
    remove_tree(folder)


def _ours(path: str) -> bool:
    """A real folder (not a link) of this user."""
    try:
        return is_real_folder(path) and os.lstat(path).st_uid == os.getuid()
    except OSError:
        return False
