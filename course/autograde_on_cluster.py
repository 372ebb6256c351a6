"""nbgrader's own autograde on the Dask cluster the course names, as ``course grade`` does.

With a scheduler named in ``c.CourseGrade.scheduler`` (nbgrader_config.py) or in
COURSE_DASK_SCHEDULER, ``nbgrader autograde`` and formgrader's Autograde button hand the
submissions they were asked for to ``course grade``'s cluster path: graded on the workers, in the
sandbox, and merged into the gradebook here, once each. Without a scheduler nothing changes.

The grading inside a scratch course (``class_grader.grade_in_scratch``, on a local worker or on
a cluster's worker) runs nbgrader's Autograde too, and is never handed on again.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

#: Set on a converter that grades one submission in a scratch course: it grades where it is.
IN_SCRATCH = "_course_in_scratch"


def grading_here(converter) -> None:
    """Mark ``converter`` as the grading itself (never handed to a cluster)."""
    setattr(converter, IN_SCRATCH, True)


def scheduler_for(converter) -> str:
    """The scheduler this converter's grading goes to, or "" to grade here."""
    if getattr(converter, IN_SCRATCH, False):
        return ""
    from course.class_grader import configured_scheduler

    return configured_scheduler(converter.config)


def _chosen(pattern: str, names) -> list[str] | None:
    """The names ``pattern`` (nbgrader's --student / assignment, globs allowed) picks; None
    for all of them."""
    if pattern in ("", "*"):
        return None
    return sorted(n for n in names if fnmatch(n, pattern))


def _folders(path: Path) -> list[str]:
    """The names of the real folders in ``path`` (links and unreadable folders give none:
    ``course grade`` refuses those with the reason)."""
    try:
        return [p.name for p in path.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []


def grade(converter, address: str) -> None:
    """Grade what ``converter`` was asked to grade on the cluster at ``address``; log each
    submission's outcome, and raise nbgrader's own error if any could not be graded."""
    from nbgrader.converters.base import NbGraderException

    from course import class_grader

    coursedir, log = converter.coursedir, converter.log
    submitted = Path(coursedir.root, coursedir.submitted_directory)
    students = _folders(submitted)
    assignments = {name for student in students for name in _folders(submitted / student)}
    wanted_students = _chosen(coursedir.student_id, students)
    wanted_assignments = _chosen(coursedir.assignment_id, assignments)
    if [] in (wanted_students, wanted_assignments):
        log.warning("No submission in %s matches student %r and assignment %r: nothing graded.",
                    submitted, coursedir.student_id, coursedir.assignment_id)
        return
    log.info("Grading on the Dask cluster at %s (c.CourseGrade.scheduler or %s).", address,
             class_grader.SCHEDULER_ENV)
    try:
        summary = class_grader.grade(Path(coursedir.root).resolve(), wanted_assignments,
                                     wanted_students, force=converter.force, progress=False,
                                     scheduler=address)
    except class_grader.GradingError as err:   # nbgrader prints its own errors, not tracebacks
        log.error("%s", err)
        raise NbGraderException(str(err)) from None
    for task in summary.graded:
        log.info("Graded %s's %s on the cluster.", task.student, task.assignment)
    for task in summary.skipped:
        log.info("Skipped %s's %s: unchanged since it was graded (--force grades it again).",
                 task.student, task.assignment)
    for student, assignment, reason in summary.failed:
        log.error("Not graded: %s's %s: %s", student, assignment, reason)
    if summary.failed:
        raise NbGraderException(f"{len(summary.failed)} submission(s) could not be graded on the "
                                f"cluster at {address}; the log above says why")
