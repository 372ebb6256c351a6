"""``course grade --scheduler tcp://HOST:PORT``: each submission graded on a Dask cluster's worker.

The workers share no file system with the course. Each task carries what grading one submission
needs: the submission's regular files (read here through ``course.safe_files``, never following
a link, with the list of what was left out and why, so the graded notebook names it as a local
run would), and, shared by every task once, the assignment's definition: the course's loaded
nbgrader config, the template gradebook's bytes and the files of source/<assignment> that
autograde copies (never a notebook, never ``keys.toml``). On the worker, ``grade_on_worker``
rebuilds a scratch course from them and runs the very core that local grading runs
(``class_grader.grade_in_scratch``), sandbox and all, then returns the record and the graded
folder's files. Only this process writes the gradebook and autograded/ (``class_grader.install``,
through ``Recorder``), once per submission, whatever the cluster retried.

A worker that cannot make the sandbox (no bubblewrap, no user namespaces) refuses every task with
the reason, which is recorded as that submission's failure: a cluster never grades unsandboxed,
whatever ``COURSE_ALLOW_UNSANDBOXED`` or ``c.SafeExecute.require_sandbox`` say (the protection
``c.Protections.sandboxed_workers``; switched off only by its control test). A worker that dies
mid-task loses nothing: Dask gives its tasks to the others. Dask gives up on a task whose
workers died under it again and again (``allowed-failures``), which may be the cause or only its
neighbour on those workers: each such task is graded again alone, and one that kills its workers
even then is recorded as failed with the reason.
"""

from __future__ import annotations

import copy
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from distributed import Client, KilledWorker, as_completed

from course import class_grader, run_folder, safe_autograde, sandbox
from course.build import scripts_first
from course.protections import Protections
from course.safe_files import Bounds, read_regular, scan

#: What a graded folder may hold on its way back: the submission's files (bounded on the way out)
#: plus the graded notebooks and the assignment's own files.
RETURN_BOUNDS = Bounds(depth=16, entries=5000, file_bytes=256 << 20, total_bytes=512 << 20)
#: What a submission whose grading killed its worker each time it was tried is recorded with.
DIED = ("the Dask workers grading this submission died while grading it, each time it was tried "
        "(Dask's allowed-failures), the last times graded alone; nothing was recorded for it")


@dataclass
class Packed:
    """A folder's regular files and real folders as data, and what was left out and why."""

    folders: list = field(default_factory=list)
    files: dict = field(default_factory=dict)       # relative path -> bytes
    left_out: list = field(default_factory=list)    # (relative path, why)


@dataclass
class Definition:
    """What every task of one run shares: how to grade, and what to grade against."""

    config: object      # the course's traitlets Config, as nbgrader_config.py left it
    template: bytes     # a gradebook holding only the assignments' definitions
    sources: dict       # assignment -> Packed: the source files autograde copies


@dataclass
class Job:
    task: class_grader.Task
    submission: Packed


def pack(folder: Path, bounds: Bounds = Bounds(), skip=(), keep=None) -> Packed:
    """Read ``folder``'s regular files (never following a link, within ``bounds``)."""
    found = scan(folder, bounds, skip, keep)
    packed = Packed(folders=found.folders, left_out=found.ignored)
    for rel, _ in found.files:
        try:
            packed.files[rel] = read_regular(Path(folder) / rel, bounds.file_bytes)
        except OSError as err:  # it changed between the scan and the read
            packed.left_out.append((rel, f"could not be copied ({err.strerror or err})"))
    return packed


def _inside(dest: Path, rel: str) -> Path:
    parts = PurePosixPath(rel).parts
    if not parts or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a plain relative path: {rel!r}")
    return dest.joinpath(*parts)


def unpack(packed: Packed, dest: Path) -> None:
    """Write ``packed`` into the new folder ``dest``."""
    dest.mkdir(parents=True)
    for rel in packed.folders:
        _inside(dest, rel).mkdir(parents=True, exist_ok=True)
    for rel, data in packed.files.items():
        path = _inside(dest, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as f:
            f.write(data)


def source_files(cfg, assignment: str) -> Packed:
    """The files of source/<assignment> that nbgrader's autograde copies into a graded folder:
    no notebook, nothing the course ignores (keys.toml), nothing kept from overwriting."""
    from nbgrader.coursedir import CourseDirectory

    ignore = [*CourseDirectory(config=cfg.config).ignore, "*.ipynb"]
    kept = set(cfg.config.get("Autograde", {}).get("exclude_overwriting", {}).get(assignment, []))

    def wanted(rel: str) -> bool:
        return rel not in kept and not any(fnmatch(part, pattern) for part in rel.split("/")
                                           for pattern in ignore)
    return pack(cfg.source / assignment, keep=wanted, skip=tuple(ignore))


# ---------------------------------------------------------------- on the worker
#: nbgrader changes the process's working folder while it grades, so a worker process grades one
#: submission at a time, however many threads it was started with.
_ONE_AT_A_TIME = threading.Lock()


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return f"the Dask worker {get_worker().address}"
    except ValueError:  # not in a worker (called directly)
        return "this grading process"


def refusal() -> str | None:
    """Why this worker must not grade, or None."""
    try:
        sandbox.probe()
    except sandbox.SandboxUnavailable as err:
        return (f"{_worker_name()} refused to grade it: it cannot sandbox student code, and a "
                f"cluster never grades without the sandbox ({err})")
    return None


def grade_on_worker(job: Job, definition: Definition) -> dict:
    """Grade one submission in a scratch course made from the task; return the record and the
    graded folder's files, or the error. Runs on a Dask worker."""
    task = job.task
    with _ONE_AT_A_TIME:
        scripts_first(os.environ)  # nbgrader runs `alembic` by name
        sandboxed = Protections(config=definition.config).sandboxed_workers
        why = refusal() if sandboxed else None
        if why:
            return {"task": task, "error": why}
        run_folder.sweep(prefix=run_folder.DASK_PREFIX)   # what a killed worker left here
        with run_folder.made(run_folder.DASK_PREFIX) as tmp, \
                run_folder.listing_temp_folders(tmp / run_folder.LEDGER):
            return _grade_in(tmp, job, definition, sandboxed)


def _grade_in(tmp: Path, job: Job, definition: Definition, sandboxed: bool) -> dict:
    task = job.task
    folder = tmp / "submitted" / task.student / task.assignment
    try:
        unpack(job.submission, folder)
        unpack(definition.sources[task.assignment], tmp / "source" / task.assignment)
        template = tmp / "template.db"
        template.write_bytes(definition.template)
        config = copy.deepcopy(definition.config)
        if sandboxed:
            config.SafeExecute.require_sandbox = config.SafeExecute.use_sandbox = True
        safe_autograde.LEFT_OUT[str(folder.resolve())] = list(job.submission.left_out)
        result = class_grader.grade_in_scratch(config, tmp / "submitted", tmp / "source",
                                               str(template), task, scratch_parent=str(tmp))
        if "error" in result:
            return {"task": task, "error": result["error"]}
        output = pack(Path(result["output"]), RETURN_BOUNDS)
        if output.left_out:
            return {"task": task, "error": "the graded folder could not be sent back: "
                    + "; ".join(f"{p} {reason}" for p, reason in output.left_out[:3])}
        return {"task": task, "record": result["record"], "output": output}
    except Exception as err:  # anything at all: report it, never take the worker down
        return {"task": task, "error": f"{type(err).__name__}: {err}"}
    finally:
        safe_autograde.LEFT_OUT.pop(str(folder.resolve()), None)


def _given(value):
    """A task that yields the shared definition: unlike scattered data, Dask can make it again
    on another worker if every worker holding it dies."""
    return value


# ---------------------------------------------------------------- in `course grade`
def grade(cfg, template: str, tasks: list, address: str, recorder: class_grader.Recorder,
          tmp: Path) -> None:
    """Grade ``tasks`` on the cluster whose scheduler is at ``address``; ``recorder`` merges
    each result into the gradebook and autograded/ here, once, as it arrives."""
    try:  # within Dask's own connect timeout (distributed.comm.timeouts.connect, 30 s)
        client = Client(address)
    except (OSError, TimeoutError, ValueError) as err:
        raise class_grader.ClusterError(
            f"cannot reach the Dask scheduler at {address}: {err}") from None
    run = uuid.uuid4().hex[:12]
    with client:
        definition = Definition(
            config=cfg.config, template=Path(template).read_bytes(),
            sources={a: source_files(cfg, a) for a in sorted({t.assignment for t in tasks})})
        try:
            shared = client.submit(_given, definition, key=f"course-definition-{run}", pure=False)
        except Exception as err:  # something in nbgrader_config.py that cannot travel
            raise class_grader.ClusterError(
                f"the course's config cannot be sent to the workers ({type(err).__name__}: "
                f"{err}); define anything it names in an importable module") from None

        def submit(task, key: str):
            submission = pack(cfg.submitted / task.student / task.assignment,
                              skip=(".ipynb_checkpoints",))
            return client.submit(grade_on_worker, Job(task, submission), shared,
                                 key=f"course-grade-{run}-{key}", pure=False)

        futures = {submit(task, str(n)): task for n, task in enumerate(tasks)}
        # Each submission's result is taken once, as it arrives.
        given_up = [futures[f] for f in as_completed(futures)
                    if not _take(f, futures[f], recorder, tmp)]
        for n, task in enumerate(given_up):   # the cause, or its neighbour? graded alone
            if not _take(submit(task, f"alone-{n}"), task, recorder, tmp):
                recorder.failed(task, DIED)
        shared.release()


def _take(future, task, recorder: class_grader.Recorder, tmp: Path) -> bool:
    """Record ``future``'s result or failure; False if Dask gave up on it because the workers
    grading it died (``KilledWorker``)."""
    try:
        result = future.result()
    except KilledWorker:
        return False
    except Exception as err:  # the cluster lost it: say so, and grade the rest
        recorder.failed(task, f"the cluster could not grade it ({type(err).__name__}: {err})")
    else:
        recorder.record(_here(result, tmp))
    finally:
        future.release()
    return True


def _here(result: dict, tmp: Path) -> dict:
    """A worker's result with its graded folder written into ``tmp``, as local grading leaves
    it for ``install``."""
    if "error" in result:
        return result
    scratch = Path(tempfile.mkdtemp(prefix="course-result-", dir=tmp))
    try:
        unpack(result["output"], scratch / "output")
    except (OSError, ValueError) as err:
        return {"task": result["task"], "error": f"the graded folder could not be written: {err}",
                "scratch": str(scratch)}
    return {**result, "output": str(scratch / "output"), "scratch": str(scratch)}
