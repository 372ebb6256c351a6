"""``course grade``: autograde a class in parallel, sandboxed, resumable, and safe for the gradebook.

Each submission is autograded by nbgrader's own Autograde converter with the course's config (so
through the mirror of its regular files, ``course.safe_autograde``, and with the sandbox and
out-of-kernel verdicts of ``SafeExecute``), in a worker process whose scratch course holds only
its output, with a gradebook reset to the assignment's definition for each submission (no source/,
no other student). The workers' kernels are forks of one warm process the parent starts
(``course.sandbox.warm.shared``). The parent process is the only writer to the real gradebook: it
merges each result as it arrives, so
SQLite never sees two writers ("database is locked" cannot happen) and a grade is never lost. One
failing submission never stops the others, nor does a worker process that dies (killed, out of
memory): only the submissions it held are graded again, and one that kills its worker even when
graded alone is recorded as failed. A student or assignment folder that is a link is never
followed and is recorded as failed with the reason. A submission already graded and unchanged
since is skipped unless --force.

With a Dask scheduler (``--scheduler``, ``COURSE_DASK_SCHEDULER`` or ``c.CourseGrade.scheduler``)
the same grading runs on the cluster's workers instead (``course.cluster_grading``); this module
still plans, and alone writes the gradebook and autograded/.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry
from tqdm import tqdm
from traitlets import Unicode
from traitlets.config import Configurable

from course import autograde_on_cluster, course_config, nbgrader_speed, timings
from course import gradebook as gbk
from course import run_folder, safe_autograde
from course.build import scripts_first
from course.sandbox import cgroup, warm
from course.sandbox.kernel import sockets_do_not_fit
from course import worker_pool
from course.safe_files import (copy_tree, is_real_folder, not_a_folder, read_regular,
                               remove_tree, scan)

MARKER = ".course-grade.json"
#: The environment variable that names a Dask scheduler to grade on.
SCHEDULER_ENV = "COURSE_DASK_SCHEDULER"


class CourseGrade(Configurable):
    """``course grade``'s settings in nbgrader_config.py (``c.CourseGrade.<name>``)."""

    scheduler = Unicode("", help=(
        "The Dask scheduler to grade on (tcp://HOST:PORT); empty grades in local processes. The "
        "command line's --scheduler and the COURSE_DASK_SCHEDULER variable come first.")
    ).tag(config=True)


def scheduler_address(cfg: course_config.CourseConfig, given: str | None = None) -> str:
    """The scheduler to grade on: --scheduler, else the environment, else the config; or ""."""
    return (given or "").strip() or configured_scheduler(cfg.config)


def configured_scheduler(config) -> str:
    """The scheduler named by the environment, else by the nbgrader ``config``; or ""."""
    return (os.environ.get(SCHEDULER_ENV, "").strip()
            or CourseGrade(config=config).scheduler.strip())


class GradingError(RuntimeError):
    """The class cannot be graded as asked (the message says why and what to do)."""


class ClusterError(GradingError):
    """The Dask cluster named to grade on cannot be used (the message says why)."""


@dataclass
class Task:
    student: str
    assignment: str
    fingerprint: str


@dataclass
class Summary:
    graded: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)   # (student, assignment, reason)
    seconds: float = 0.0
    #: per graded submission, in the order they were merged: where its time went (seconds) and
    #: when it was merged (time.monotonic()); see course.timings
    timings: list = field(default_factory=list)
    #: temp folders of earlier runs killed before they could clean up, removed (run_folder.sweep)
    swept: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


def fingerprint(folder: Path, definition: str) -> str:
    """Changes when any submitted regular file or the assignment's definition changes."""
    digest = hashlib.sha256(definition.encode())
    found = scan(folder)
    for rel, _ in found.files:
        digest.update(rel.encode() + b"\0")
        try:
            with open(folder / rel, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            digest.update(b"unreadable")
    for rel, why in found.ignored:   # a link added or removed changes the notes it is graded with
        digest.update(f"\0ignored {rel} {why}".encode())
    return digest.hexdigest()


def definition(gb, assignment: str) -> str:
    a = gb.find_assignment(assignment)
    return json.dumps(sorted((nb.name, c.name, c.checksum or "") for nb in a.notebooks
                             for c in nb.source_cells))


def submission_folders(submitted: Path, assignment: str):
    """(student, folder, None) for every real submission folder of ``assignment``, and
    (student, None, why) for a student or assignment folder that is a link (or a pipe...): it is
    never followed, since it may point at a classmate's work or the instructor's."""
    if not is_real_folder(submitted):
        return
    for student_dir in sorted(submitted.iterdir()):
        if os.path.isfile(student_dir) and not os.path.islink(student_dir):
            continue   # a note beside the students' folders is nobody's submission
        folder = student_dir / assignment
        for path in (student_dir, folder):
            why = not_a_folder(path)
            if why:
                yield student_dir.name, None, (f"{path.relative_to(submitted.parent)} {why}, so "
                                               "it was not graded (a submission must be a real "
                                               "folder)")
                break
        else:
            if is_real_folder(folder):
                yield student_dir.name, folder, None


def already_graded(marker: Path, gb, task: Task) -> bool:
    try:
        recorded = json.loads(read_regular(marker, 4096)).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return False
    return recorded == task.fingerprint and _graded(gb, task.assignment, task.student)


def plan(cfg: course_config.CourseConfig, assignments, students,
         force: bool) -> tuple[list, list, list]:
    """(tasks, skipped, problems) for the submissions under the configured submitted folder."""
    tasks, skipped, problems, _ = plan_and_refuse(cfg, assignments, students, force)
    return tasks, skipped, problems


def plan_and_refuse(cfg: course_config.CourseConfig, assignments, students,
                    force: bool) -> tuple[list, list, list, list]:
    """``plan``, and (student, assignment, why) for each submission folder refused (a link)."""
    tasks, skipped, problems, refusals, seen = [], [], [], [], set()
    if not cfg.submitted.is_dir():
        raise GradingError(f"there is no folder {cfg.submitted}, so nothing to grade: collect "
                           "first (`nbgrader collect <assignment>`, or formgrader's Collect)")
    with gbk.open_gradebook(cfg.db_url, cfg.course_id) as gb:
        known = {a.name for a in gb.assignments}
        if not known:
            raise GradingError(
                "the gradebook has no assignments yet: run `course build --gradebook` (every "
                "module, or name the ones to grade) to record their tests and points")
        for assignment in assignments or sorted(known):
            if assignment not in known:
                problems.append(("-", assignment, _unknown(cfg, assignment)))
                continue
            spec = definition(gb, assignment)
            found = set()
            for student, folder, refused in submission_folders(cfg.submitted, assignment):
                if students and student not in students:
                    continue
                found.add(student)
                if refused:
                    refusals.append((student, assignment, refused))
                    continue
                task = Task(student, assignment, fingerprint(folder, spec))
                marker = cfg.autograded / student / assignment / MARKER
                if not force and already_graded(marker, gb, task):
                    skipped.append(task)
                else:
                    tasks.append(task)
            seen |= found
            if assignments:   # named: each one a requested student did not submit is a failure
                problems += [(student, assignment, f"nothing submitted: there is no folder "
                              f"{cfg.submitted / student / assignment}")
                             for student in sorted(set(students or ()) - found)]
    if not assignments:   # every assignment: only a student who submitted none of them
        problems += [(student, "-", f"nothing submitted: no submission under "
                      f"{cfg.submitted / student}")
                     for student in sorted(set(students or ()) - seen)]
    return tasks, skipped, problems, refusals


def _unknown(cfg: course_config.CourseConfig, assignment: str) -> str:
    """Why ``assignment`` (not in the gradebook) cannot be graded, and what to do."""
    if (cfg.source / assignment).is_dir():
        return (f"not in the gradebook yet: run `course build --gradebook {assignment}` first "
                "(it records the tests and points, and leaves release/ as it is)")
    there = sorted(p.name for p in cfg.source.iterdir() if p.is_dir() and p.name[0] != ".") \
        if cfg.source.is_dir() else []
    return (f"no assignment {assignment!r} in {cfg.source} "
            f"(assignments: {', '.join(there) or 'none'})")


def _graded(gb, assignment: str, student: str) -> bool:
    try:
        gb.find_submission(assignment, student)
        return True
    except MissingEntry:
        return False


# ---------------------------------------------------------------- worker side
def grade_one(root: str, template: str, task: Task, scratch_parent: str | None = None) -> dict:
    """Autograde one submission of the course at ``root`` in a private scratch course; return
    what to merge."""
    try:
        cfg = course_config.load(root)
    except Exception as err:  # anything at all: report it, never take the run down
        return {"task": task, "error": f"{type(err).__name__}: {err}"}
    return grade_in_scratch(cfg.copy_config(), cfg.submitted, cfg.source, template, task,
                            scratch_parent)


def grade_in_scratch(config, submitted: Path, source: Path, template: str, task: Task,
                     scratch_parent: str | None = None) -> dict:
    """The core of grading one submission, here or on a cluster's worker: nbgrader's Autograde
    with the course's ``config``, reading ``submitted``/<student>/<assignment> (through the mirror
    of its regular files) and ``source``/<assignment>, writing only into a scratch course whose
    gradebook is a copy of ``template``. Returns the record, the output folder and the scratch
    folder (for the caller to remove), or the error."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    # nbgrader_config.py does this where it runs; a cluster's worker gets the loaded config only.
    safe_autograde.install()
    started = time.perf_counter()
    timings.RECENT.clear()
    scratch = Path(tempfile.mkdtemp(prefix=f"course-grade-{task.student[:40]}-",
                                    dir=scratch_parent))
    try:
        course = scratch / "course"
        course.mkdir()
        # This worker's gradebook, a copy of the assignment's definition, reset for each
        # submission (beside the template, whose folder the caller removes).
        db = Path(template).with_name(f"worker-{os.getpid()}.db")
        db_url = nbgrader_speed.scratch_copy(template, db)
        # The submission is read from where it is (through the mirror of its regular files);
        # only the output and this gradebook copy live in the scratch course.
        config.CourseDirectory.root = str(course)
        config.CourseDirectory.submitted_directory = str(submitted)
        config.CourseDirectory.source_directory = str(source)
        config.CourseDirectory.db_url = db_url
        config.CourseDirectory.assignment_id = task.assignment
        config.CourseDirectory.student_id = task.student
        coursedir = CourseDirectory(config=config)
        converter = Autograde(coursedir=coursedir, config=config)
        autograde_on_cluster.grading_here(converter)
        converter.force, converter.create_student = True, True
        errors = _ErrorCollector()
        converter.log.addHandler(errors)
        try:
            converter.start()
        except Exception as err:  # nbgrader raises its own and others; the reason is logged
            reason = errors.reason() or f"{type(err).__name__}: {err}"
            return {"task": task, "error": reason, "scratch": str(scratch)}
        finally:
            converter.log.removeHandler(errors)
        with gbk.open_gradebook(coursedir.db_url, coursedir.course_id) as gb:
            record = gbk.submission_record(gb, task.assignment, task.student)
        timing = {part: sum(t[part] for t in timings.RECENT) for part in timings.PARTS}
        timing["nbgrader"] = time.perf_counter() - started - sum(timing.values())
        return {"task": task, "record": record, "scratch": str(scratch), "timing": timing,
                "output": str(course / "autograded" / task.student / task.assignment)}
    except Exception as err:  # anything at all: report it, never take the run down
        return {"task": task, "error": f"{type(err).__name__}: {err}", "scratch": str(scratch)}


def _start(folder: str, work, root: str, template: str, task: Task) -> dict:
    """In the worker: make the task's own folder (which tells the parent the task was started,
    and holds its scratch course), then grade it with ``work`` (``grade_one``)."""
    os.mkdir(folder)
    with run_folder.listing_temp_folders(Path(folder) / run_folder.LEDGER):
        return work(root, template, task, scratch_parent=folder)


class _ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def reason(self) -> str:
        """What went wrong, in one line: the exception of a logged traceback, else nbgrader's
        first error line that says something (not its generic wrapper or advice)."""
        for message in self.messages:
            lines = message.strip().splitlines()
            if lines and lines[0].startswith("Traceback"):
                # The exception is the first unindented line after the last frame (its message
                # may run on over several lines, a link to the docs last).
                frames = [n for n, line in enumerate(lines) if line.startswith("  File ")]
                after = lines[frames[-1] + 1:] if frames else lines[1:]
                exception = next((line for line in after if line and not line[0].isspace()), "")
                if exception:
                    return exception.strip()[:300]
        for message in self.messages:
            line = message.strip().splitlines()[0] if message.strip() else ""
            if line and not any(generic in line.lower() for generic in GENERIC_ERRORS):
                return line[:300]
        return ""


#: Parts of nbgrader's error lines that say only that something failed, or where to look.
GENERIC_ERRORS = ("traceback", "there was an error processing", "see the")


# ---------------------------------------------------------------- parent side
def make_template(url: str, course: str | None, assignments: set, folder: Path) -> str:
    path = folder / "template.db"
    nbgrader_speed.unsynced(f"sqlite:///{path}")   # read once per submission, then deleted
    with gbk.open_gradebook(url, course) as src, \
            gbk.open_gradebook(f"sqlite:///{path}", src.course_id) as dst:
        for assignment in sorted(assignments):
            gbk.copy_assignment(src, dst, assignment)
    return str(path)


def install(cfg: course_config.CourseConfig, result: dict) -> None:
    """Merge a worker's result into the real gradebook and autograded/ (parent only)."""
    task = result["task"]
    with gbk.open_gradebook(cfg.db_url, cfg.course_id) as gb:
        gbk.merge_submission(gb, task.assignment, task.student, result["record"])
    dest = cfg.autograded / task.student / task.assignment
    remove_tree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    copy_tree(result["output"], dest)
    for path in [dest, *dest.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    (dest / MARKER).write_text(json.dumps({"fingerprint": task.fingerprint}))


#: What a submission whose grading process died is recorded with.
DIED = ("the grading process died while grading this submission (it was killed, or ran out of "
        "memory), twice, the second time grading it alone; nothing was recorded for it")
#: Pools that break before any task starts, in a row, before the rest is given up.
MAX_FRUITLESS_BREAKS = 3


class Recorder:
    """Takes each grading result as it arrives, here or from a cluster: merges it into the
    gradebook and autograded/ (``install``), or records the failure, and moves the progress bar."""

    def __init__(self, cfg, summary: Summary, bar):
        self.cfg, self.summary, self.bar = cfg, summary, bar

    def record(self, result: dict) -> None:
        task = result["task"]
        try:
            if "error" in result:
                self.failed(task, result["error"])
            else:
                merging = time.perf_counter()
                install(self.cfg, result)
                self.summary.graded.append(task)
                self.summary.timings.append({**result.get("timing", {}), "merging":
                                             time.perf_counter() - merging,
                                             "merged at": time.monotonic()})
                self.bar.update()
        except Exception as err:  # a merge problem is reported, never fatal to the run
            self.failed(task, f"could not record the grade: {err}")
        finally:
            if result.get("scratch"):
                remove_tree(result["scratch"])

    def failed(self, task: Task, reason: str) -> None:
        self.summary.failed.append((task.student, task.assignment, reason))
        self.bar.set_postfix_str(f"failed {len(self.summary.failed)}", refresh=False)
        self.bar.update()


class _Run(Recorder):
    """One grading run's pools. A worker that dies (killed, out of memory) breaks its pool and
    every future in it; only the submissions it may have held pay for that. Those never started
    go to a fresh pool; those started are graded again alone, and one that kills its worker even
    then is recorded as failed with the reason, so the rest of the class is graded."""

    def __init__(self, cfg, template: str, tmp: Path, summary: Summary, bar, warm_process=None):
        super().__init__(cfg, summary, bar)
        self.template = template
        self.warm_process = warm_process   # the workers' shared warm process (warm.shared)
        self.started = tmp / run_folder.STARTED
        self.started.mkdir()

    def grade(self, tasks: list, jobs: int) -> None:
        queue, alone, fruitless = list(enumerate(tasks)), [], 0
        while queue:
            broken = self._pool(queue, jobs)
            started = [(n, t) for n, t in broken if os.path.lexists(self._folder(n))]
            queue = [(n, t) for n, t in broken if not os.path.lexists(self._folder(n))]
            alone += started
            fruitless = 0 if started or not broken else fruitless + 1
            if fruitless >= MAX_FRUITLESS_BREAKS:
                for _, task in queue:
                    self.failed(task, "the grading processes kept dying before they could start "
                                      "it; nothing was recorded for it")
                queue = []
        for n, task in alone:
            run_folder.remove_task(self._folder(n))
            if self._pool([(n, task)], 1):
                self.failed(task, DIED)
            run_folder.remove_task(self._folder(n))

    def _folder(self, n: int) -> Path:
        return self.started / str(n)

    def _pool(self, queue: list, jobs: int) -> list:
        """Grade ``queue`` ((number, task) pairs) in a fresh pool; those its breaking cost."""
        broken = []
        # Forked from this process, workers start with the grading code imported (imported
        # here first, while the warm process starts) and stay warm; see course.worker_pool.
        context = worker_pool.context()
        handoff = self.warm_process() if self.warm_process else None
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(queue))),
                                 mp_context=context,
                                 initializer=worker_pool.start_worker,
                                 initargs=(os.getpid(), handoff)) as pool:
            futures = {}
            for n, task in queue:
                try:
                    futures[pool.submit(_start, str(self._folder(n)), grade_one,
                                        str(self.cfg.root), self.template, task)] = (n, task)
                except BrokenProcessPool:
                    broken.append((n, task))
            for future in as_completed(futures):
                n, task = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken.append((n, task))
                    continue
                except Exception as err:  # the worker could not even start it
                    self.failed(task, f"{type(err).__name__}: {err}")
                    remove_tree(self._folder(n))
                    continue
                self.record(result)
                remove_tree(self._folder(n))
        return broken


def grade(root: Path, assignments=None, students=None, jobs: int | None = None,
          force: bool = False, progress: bool = True, scheduler: str | None = None) -> Summary:
    """Grade the course at ``root``: in local processes (``jobs`` of them), or on the Dask
    cluster whose scheduler ``scheduler_address`` names (its workers set the pace; ``jobs`` is
    not used)."""
    started = time.monotonic()
    scripts_first(os.environ)  # in-process nbgrader runs `alembic`; workers inherit this
    cfg = course_config.load(root)
    address = scheduler_address(cfg, scheduler)
    tasks, skipped, problems, refusals = plan_and_refuse(cfg, assignments, students, force)
    summary = Summary(skipped=skipped, failed=[*problems, *refusals],
                      swept=run_folder.sweep())   # their processes have ended
    if not tasks:
        summary.seconds = time.monotonic() - started
        return summary
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    local = not address
    if local and (why := sockets_do_not_fit(tempfile.gettempdir())):
        raise GradingError(why)
    with run_folder.made() as tmp, \
            tqdm(total=len(tasks), disable=not progress, unit="submission",
                 desc="Grading") as bar, \
            (warm.shared(cfg.config) if local else nullcontext()) as warm_process:
        template = make_template(cfg.db_url, cfg.course_id, {t.assignment for t in tasks}, tmp)
        if local:
            _Run(cfg, template, tmp, summary, bar, warm_process).grade(tasks, jobs)
            remove_tree(tmp / run_folder.STARTED)
        else:
            try:  # only here: plain `course grade` needs no Dask
                from course import cluster_grading
            except ImportError as err:
                raise ClusterError(f"grading on a Dask cluster needs Dask's distributed "
                                   f"package ({err}); install the course with its `cluster` "
                                   "extra (pip install '.[cluster]')") from None
            cluster_grading.grade(cfg, template, tasks, address,
                                  Recorder(cfg, summary, bar), tmp)
    if local:   # a worker that died took its sandbox's cgroup clean-up with it
        cgroup.sweep_orphans()
    summary.seconds = time.monotonic() - started
    return summary


def report(summary: Summary) -> str:
    lines = [f"Graded {len(summary.graded)}, skipped {len(summary.skipped)} unchanged, "
             f"failed {len(summary.failed)}, in {summary.seconds:.1f} s."]
    for student, assignment, reason in summary.failed:
        lines.append(f"  FAILED {student}/{assignment}: {reason}")
    if summary.swept:
        runs = "run" if summary.swept == 1 else "runs"
        lines.append(f"Removed the temp folders of {summary.swept} earlier grading {runs} stopped "
                     "before they could clean up (killed, or out of memory).")
    return "\n".join(lines)
