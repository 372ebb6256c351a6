"""How `course grade`'s local workers start: forked from the grading process itself.

Each worker needs nbgrader and the course's grading code: about a second of imports, which the
grading process has done already (it reads the gradebook with nbgrader). A worker forked from it
starts with them done; a fork server, the alternative, is a second interpreter importing it all
again (1.1 core-seconds, while the warm process and the gradebook template start too).

What a fork shares with its parent, and why each is safe here:

- gradebook connections: nbgrader closes its pooled connections when it closes a gradebook,
  and the pool forks between those; the parent's engines are still set aside in each worker,
  neither used nor closed (``nbgrader_speed``), so a worker opens connections of its own;
- threads: only the forking thread lives on in a worker; none of the parent's others (the
  progress bar's monitor, a test's sampler) holds a lock the worker's grading needs (logging's
  are reset by Python at the fork);
- the warm process's control socket, handed to each worker as before (``warm.adopt``);
- nothing reaches a student: the kernels are forked from the warm process, never from a worker.
"""

from __future__ import annotations

import importlib
import os
import select
import threading
import time
from multiprocessing import get_context

#: What every worker needs to grade beyond course.class_grader (which makes the pool), imported
#: by the grading process before the workers fork. IPython and ipykernel's kernelspec: what
#: jupyter_client imports to find the kernel as a worker starts its first (0.04 s of CPU in each
#: worker, during the run's start).
WORKER_IMPORTS = ["course.nbgrader_ext", "course.safe_execute", "nbgrader.converters", "IPython",
                  "ipykernel.kernelspec"]


def context():
    """The pool's context: workers forked from this process, with the grading code imported
    and each worker's one-time work (``worker_warmup``) done first."""
    from course import worker_warmup

    for name in WORKER_IMPORTS:
        importlib.import_module(name)
    worker_warmup.warm_up()
    return get_context("fork")


def start_worker(parent: int, handoff: tuple | None) -> None:
    """A grading worker's first step: it ends with ``parent``, the grading process (``follow``),
    and uses the warm process that process started, if any (``warm.adopt``)."""
    follow(parent)
    if handoff:
        from course.sandbox import warm
        warm.adopt(*handoff)


def follow(parent: int) -> None:
    """End this process as soon as ``parent`` ends.

    A pool's workers wait for work on a queue whose writing end they hold themselves: a grading
    process killed outright (SIGKILL, the out-of-memory killer, a hub's time limit) left its
    workers, and the warm processes they start, waiting for good. A worker's kernel ends with it
    (course.sandbox.warm)."""
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
            while os.getppid() == parent:   # adopted by another once it ends; never a reused id
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="follow-the-grading-process", daemon=True).start()

