"""``course grade``: autograde a class in parallel, sandboxed, resumable, and safe for the gradebook.

Each submission is autograded by nbgrader's own Autograde converter, with the course's config (so
with the sandbox and out-of-kernel verdicts of ``SafeExecute``), inside a worker process and a
private scratch course whose gradebook holds only the assignment's definition. The parent process
is the only writer to the real gradebook: it merges each result as it arrives, so SQLite never sees
two writers ("database is locked" cannot happen) and a grade is never lost. One failing submission
never stops the others. A submission already graded and unchanged since is skipped unless --force.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from nbgrader.api import MissingEntry

from course import gradebook as gbk
from course.build import scripts_first
from course.nbgrader_ext import mark_missing_notebooks

MARKER = ".course-grade.json"


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

    @property
    def ok(self) -> bool:
        return not self.failed


def load_config(root: Path):
    from traitlets.config.loader import PyFileConfigLoader
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def main_db_url(root: Path, config) -> str:
    url = config.CourseDirectory.get("db_url") if "CourseDirectory" in config else None
    return url or f"sqlite:///{root / 'gradebook.db'}"


def fingerprint(folder: Path, definition: str) -> str:
    """Changes when any submitted file or the assignment's definition changes."""
    digest = hashlib.sha256(definition.encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(str(path.relative_to(folder)).encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def definition(gb, assignment: str) -> str:
    a = gb.find_assignment(assignment)
    return json.dumps(sorted((nb.name, c.name, c.checksum or "") for nb in a.notebooks
                             for c in nb.source_cells))


def plan(root: Path, url: str, course: str | None, assignments, students,
         force: bool) -> tuple[list, list, list]:
    """(tasks, skipped, problems) for the submissions under submitted/."""
    tasks, skipped, problems = [], [], []
    submitted = root / "submitted"
    if not submitted.is_dir():
        return tasks, skipped, [("-", "-", f"no submitted/ folder in {root}: collect first")]
    with gbk.open_gradebook(url, course) as gb:
        known = {a.name for a in gb.assignments}
        wanted = assignments or sorted(known)
        for assignment in wanted:
            if assignment not in known:
                problems.append(("-", assignment, "not in the gradebook: run "
                                 f"`nbgrader generate_assignment {assignment}` first"))
                continue
            spec = definition(gb, assignment)
            for folder in sorted(submitted.glob(f"*/{assignment}")):
                student = folder.parent.name
                if students and student not in students:
                    continue
                task = Task(student, assignment, fingerprint(folder, spec))
                marker = root / "autograded" / student / assignment / MARKER
                if not force and marker.is_file() and _graded(gb, assignment, student) and \
                        json.loads(marker.read_text()).get("fingerprint") == task.fingerprint:
                    skipped.append(task)
                else:
                    tasks.append(task)
    return tasks, skipped, problems


def _graded(gb, assignment: str, student: str) -> bool:
    try:
        gb.find_submission(assignment, student)
        return True
    except MissingEntry:
        return False


# ---------------------------------------------------------------- worker side
def grade_one(root: str, template: str, task: Task) -> dict:
    """Autograde one submission in a private scratch course; return what to merge."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    root = Path(root)
    scratch = Path(tempfile.mkdtemp(prefix=f"course-grade-{task.student}-"))
    try:
        shutil.copy(root / "nbgrader_config.py", scratch / "nbgrader_config.py")
        source = root / "source" / task.assignment
        if source.is_dir():
            shutil.copytree(source, scratch / "source" / task.assignment)
        shutil.copytree(root / "submitted" / task.student / task.assignment,
                        scratch / "submitted" / task.student / task.assignment, symlinks=True)
        shutil.copy(template, scratch / "gradebook.db")
        config = load_config(scratch)
        coursedir = CourseDirectory(config=config)
        coursedir.root = str(scratch)
        coursedir.db_url = f"sqlite:///{scratch / 'gradebook.db'}"
        coursedir.assignment_id, coursedir.student_id = task.assignment, task.student
        converter = Autograde(coursedir=coursedir, config=config)
        converter.force, converter.create_student = True, True
        mark_missing_notebooks(str(scratch / "submitted" / task.student / task.assignment),
                               task.assignment)
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
        return {"task": task, "record": record, "scratch": str(scratch),
                "output": str(scratch / "autograded" / task.student / task.assignment)}
    except Exception as err:  # anything at all: report it, never take the run down
        return {"task": task, "error": f"{type(err).__name__}: {err}", "scratch": str(scratch)}


class _ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def reason(self) -> str:
        """nbgrader's first error line that says something (not its generic closing advice)."""
        for message in self.messages:
            line = message.strip().splitlines()[0] if message.strip() else ""
            if line and "Traceback" not in line and "see the" not in line.lower():
                return line[:300]
        return ""


# ---------------------------------------------------------------- parent side
def make_template(url: str, course: str | None, assignments: set, folder: Path) -> str:
    path = folder / "template.db"
    with gbk.open_gradebook(url, course) as src, \
            gbk.open_gradebook(f"sqlite:///{path}", src.course_id) as dst:
        for assignment in sorted(assignments):
            gbk.copy_assignment(src, dst, assignment)
    return str(path)


def install(root: Path, url: str, course: str | None, result: dict) -> None:
    """Merge a worker's result into the real gradebook and autograded/ (parent only)."""
    task = result["task"]
    with gbk.open_gradebook(url, course) as gb:
        gbk.merge_submission(gb, task.assignment, task.student, result["record"])
    dest = root / "autograded" / task.student / task.assignment
    if dest.exists():
        _make_writable(dest)
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(result["output"], dest)
    _make_writable(dest)
    (dest / MARKER).write_text(json.dumps({"fingerprint": task.fingerprint}))


def _make_writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)


class Progress:
    def __init__(self, total: int, stream=sys.stdout):
        self.total, self.done, self.failed = total, 0, 0
        self.stream, self.start = stream, time.monotonic()
        self.tty = stream.isatty()

    def step(self, task: Task, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        line = (f"[{bar}] {self.done}/{self.total}  failed {self.failed}  "
                f"{elapsed:5.0f}s elapsed, ~{eta:.0f}s left  ({task.student}/{task.assignment}"
                f"{': FAILED' if failed else ''})")
        self.stream.write(("\r" + line[:120].ljust(120)) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def grade(root: Path, assignments=None, students=None, jobs: int | None = None,
          force: bool = False, progress: bool = True) -> Summary:
    root = Path(root).resolve()
    started = time.monotonic()
    scripts_first(os.environ)  # in-process nbgrader runs `alembic`; workers inherit this
    config = load_config(root)
    url = main_db_url(root, config)
    course = config.CourseDirectory.get("course_id")   # the configured course, read once
    tasks, skipped, problems = plan(root, url, course, assignments, students, force)
    summary = Summary(skipped=skipped, failed=list(problems))
    if not tasks:
        summary.seconds = time.monotonic() - started
        return summary
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    bar = Progress(len(tasks)) if progress else None
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        template = make_template(url, course, {t.assignment for t in tasks}, Path(tmp))
        # forkserver: workers start clean (no inherited gradebook connections) and stay warm.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("forkserver")) as pool:
            futures = [pool.submit(grade_one, str(root), template, t) for t in tasks]
            for future in as_completed(futures):
                result = future.result()
                task = result["task"]
                try:
                    if "error" in result:
                        summary.failed.append((task.student, task.assignment, result["error"]))
                    else:
                        install(root, url, course, result)
                        summary.graded.append(task)
                except Exception as err:  # a merge problem is reported, never fatal to the run
                    summary.failed.append((task.student, task.assignment,
                                           f"could not record the grade: {err}"))
                finally:
                    shutil.rmtree(result["scratch"], ignore_errors=True)
                if bar:
                    bar.step(task, "error" in result)
    if bar:
        bar.close()
    summary.seconds = time.monotonic() - started
    return summary


def report(summary: Summary) -> str:
    lines = [f"Graded {len(summary.graded)}, skipped {len(summary.skipped)} unchanged, "
             f"failed {len(summary.failed)}, in {summary.seconds:.1f} s."]
    for student, assignment, reason in summary.failed:
        lines.append(f"  FAILED {student}/{assignment}: {reason}")
    return "\n".join(lines)
