"""The fork server that `course grade`'s local workers start from.

Each worker needs nbgrader and the course's grading code: about a second of imports. The fork
server imports them once for all the workers, and the command line starts it first thing, so
that those imports run on one core while the command's own (the same ones, for the config)
run on another.
"""

from __future__ import annotations

import os
import select
import tempfile
import threading
import time
from multiprocessing import forkserver, get_context

#: What every worker imports to grade (the fork server imports it once, before they fork); the
#: last also does the one-time work each worker did at its first submission.
WORKER_IMPORTS = ["__main__", "course.class_grader", "course.nbgrader_ext", "course.safe_execute",
                  "nbgrader.converters", "course.worker_warmup"]


class PoolUnavailable(RuntimeError):
    """The workers cannot be started; the message says what to do."""


def fork_server():
    """The pool's context, its server started (or already running: then nothing is done)."""
    context = get_context("forkserver")
    context.set_forkserver_preload(WORKER_IMPORTS)
    try:
        forkserver.ensure_running()
    except OSError as err:
        raise unavailable(err) from None
    return context


def unavailable(err: OSError) -> Exception:
    """What to tell the instructor for ``err``, raised while the workers were started."""
    if "AF_UNIX path too long" not in str(err):
        return err
    return PoolUnavailable(
        f"the worker pool's socket does not fit in the temp folder {tempfile.gettempdir()} "
        "(Unix socket paths stop at 108 bytes); set TMPDIR to a shorter folder, such as /tmp, "
        "and run again")


def start_worker(parent: int, handoff: tuple | None) -> None:
    """A grading worker's first step: it ends with ``parent``, the grading process (``follow``),
    and uses the warm process that process started, if any (``warm.adopt``)."""
    follow(parent)
    if handoff:
        from course.sandbox import warm
        warm.adopt(*handoff)


def follow(parent: int) -> None:
    """End this process as soon as ``parent`` ends.

    A pool's workers wait for work on a queue whose writing end they hold themselves, and they
    hold the fork server's too: a grading process killed outright (SIGKILL, the out-of-memory
    killer, a hub's time limit) left its workers, their fork server and the warm processes they
    start waiting for good. A worker's kernel ends with it (course.sandbox.warm)."""
    try:
        watched = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):   # no pidfd here: ask once a second
        watched = None

    def watch() -> None:
        if watched is not None:
            select.select([watched], [], [])
        else:
            while _exists(parent):
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="follow-the-grading-process", daemon=True).start()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
