"""nbgrader's autograde, reading each submission only through a copy of its regular files.

Stock nbgrader opens whatever it finds in ``submitted/``: a notebook that is a link to the
instructor's copy is graded as the instructor's, a file linked to the gradebook is copied in as a
real file, a link to /dev/stdin hangs the run and one to /dev/zero fills the disk. Here, before
nbgrader reads anything, each submission folder it would grade is copied into a private mirror
with ``course.safe_files`` (regular files and real folders only, bounded), and nbgrader reads the
mirror instead. Whatever was left out is recorded: an expected notebook that was not a readable
regular file becomes a placeholder graded as the unanswered assignment with the reason at its top,
and every other omission becomes a note at the top of the graded notebook.

``install()`` (called from ``course.nbgrader_ext.configure``, so by nbgrader_config.py) wires this
into nbgrader's ``Autograde`` class itself: the nbgrader command line, formgrader's Autograde
button and ``course grade`` all grade through it (and, where the course names a Dask scheduler,
the first two hand their submissions to the cluster as ``course grade`` does:
``course.autograde_on_cluster``). nbgrader offers no setting for where the
sanitising step reads from, so the class's ``start`` and ``_input_directory`` are wrapped.
"""

from __future__ import annotations

import glob
import logging
import os
import tempfile
from pathlib import Path

import nbformat

from course import autograde_on_cluster
from course.protections import Protections
from course.safe_files import Bounds, copy_tree, not_a_folder, read_regular, remove_tree

#: mirror path of a placeholder notebook -> why the real one could not be graded
PLACEHOLDERS: dict[str, str] = {}
#: mirror folder of a submission -> notes on what was left out
NOTES: dict[str, list[str]] = {}
#: submission folder -> (path, why) for what was left out before the folder reached this machine:
#: a cluster's worker grades a copy of the regular files only (``course.cluster_grading``).
LEFT_OUT: dict[str, list[tuple[str, str]]] = {}
TIMESTAMP = "timestamp.txt"


def expected_notebooks(db_url: str, course_id: str, assignment: str) -> list[str]:
    from nbgrader.api import Gradebook, MissingEntry
    try:
        with Gradebook(db_url, course_id) as gb:
            return [f"{nb.name}.ipynb" for nb in gb.find_assignment(assignment).notebooks]
    except MissingEntry:
        return []


def submission_folders(coursedir, log=None) -> list[tuple[str, str, Path]]:
    """(student, assignment, folder) for each submission the converter would grade.

    The folders must be real folders, in place: a student or assignment folder that is a link is
    left out with a warning naming it (nbgrader's own exchange never makes one), so nothing of
    what it points at (a classmate's work, the instructor's source/) is graded.
    """
    pattern = coursedir.format_path(coursedir.submitted_directory, coursedir.student_id,
                                    coursedir.assignment_id)
    base = Path(coursedir.format_path(coursedir.submitted_directory, ".", ".")).resolve()
    found = []
    for match in sorted(glob.glob(pattern)):
        path = Path(match)
        student_dir = path.parent
        refused = next((f"{p} {why}" for p in (student_dir, path) if (why := not_a_folder(p))),
                       None)
        if refused is None and student_dir.parent.resolve() != base:
            refused = f"{student_dir} is not inside {base}"
        if refused:
            if log is not None:
                log.warning("Not graded: %s, so the submission of %s for %s was not read.",
                            refused, student_dir.name, path.name)
            continue
        found.append((student_dir.name, path.name, path))
    return found


def mirror_submission(folder: Path, dest: Path, notebooks: list[str], bounds: Bounds) -> None:
    """Copy one submission's regular files to ``dest`` and record what was left out."""
    scan = copy_tree(folder, dest, bounds, skip=(".ipynb_checkpoints",))
    left_out = [*LEFT_OUT.get(str(Path(folder).resolve()), []), *scan.ignored]
    ignored = dict(left_out)
    notes = [f"{path} {why}, so it was ignored" for path, why in left_out
             if path not in notebooks]
    stamp = dest / TIMESTAMP
    if stamp.exists() and not _valid_timestamp(stamp):
        stamp.unlink()
        notes.append(f"{TIMESTAMP} does not hold a date, so it was ignored")
    present = sorted(rel for rel, _ in scan.files if rel.endswith(".ipynb") and "/" not in rel)
    for name in notebooks:
        if (dest / name).exists():
            continue
        if name in ignored:
            reason = f"{name} {ignored[name]}, so it was not read"
        else:
            others = [n for n in present if n not in notebooks]
            reason = (f"no notebook named {name} was submitted"
                      + (f" (found: {', '.join(others)})" if others else ""))
        placeholder = dest / name
        nbformat.write(nbformat.v4.new_notebook(), str(placeholder))
        PLACEHOLDERS[str(placeholder.resolve())] = reason
    if notes:
        NOTES[str(dest.resolve())] = notes


def _valid_timestamp(path: Path) -> bool:
    from nbgrader.utils import parse_utc
    try:
        text = read_regular(path, 256).decode("utf-8").strip()
        return bool(text) and parse_utc(text) is not None
    except (OSError, UnicodeDecodeError, ValueError, OverflowError):
        return False


def build_mirror(coursedir, root: Path, log, bounds: Bounds = Bounds()) -> None:
    notebooks_of: dict[str, list[str]] = {}
    for student, assignment, folder in submission_folders(coursedir, log):
        if assignment not in notebooks_of:
            notebooks_of[assignment] = expected_notebooks(coursedir.db_url, coursedir.course_id,
                                                          assignment)
        try:
            mirror_submission(folder, root / student / assignment, notebooks_of[assignment], bounds)
        except OSError as err:  # the folder vanished or cannot be read: grade it as empty
            log.warning("Cannot read the submission %s: %s", folder, err)
            dest = root / student / assignment
            remove_tree(dest)
            dest.mkdir(parents=True)
            for name in notebooks_of[assignment]:
                nbformat.write(nbformat.v4.new_notebook(), str(dest / name))
                PLACEHOLDERS[str((dest / name).resolve())] = (
                    f"the submission folder could not be read ({err.strerror or err})")


def forget(root: Path) -> None:
    prefix = str(root.resolve()) + os.sep
    for table in (PLACEHOLDERS, NOTES):
        for key in [k for k in table if k.startswith(prefix)]:
            del table[key]


def placeholder_reason(path: str) -> str | None:
    return PLACEHOLDERS.get(str(Path(path).resolve()))


def notes_for(folder: str) -> list[str]:
    return NOTES.get(str(Path(folder).resolve()), [])


class MirrorPaths(logging.Filter):
    """Log lines name the submission's own folder, not the temporary mirror nbgrader reads."""

    def __init__(self, mirror: Path, submitted: str):
        super().__init__()
        # The longer first: one may hold the other (/private/tmp/... and /tmp/... on macOS).
        self.mirrors = sorted({str(mirror), str(mirror.resolve())}, key=len, reverse=True)
        self.submitted = submitted

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed log call: logging reports it; never stop grading here
            return True
        if any(m in text for m in self.mirrors):
            for mirror in self.mirrors:
                text = text.replace(mirror, self.submitted)
            record.msg, record.args = text, ()
        return True


_installed = False


def install() -> None:
    """Make nbgrader's Autograde read submissions through the mirror (idempotent)."""
    global _installed
    if _installed:
        return
    from nbgrader.converters.autograde import Autograde
    from nbgrader.converters.base import NbGraderException

    from course.sandbox.kernel import sockets_do_not_fit

    stock_start = Autograde.start
    stock_input = Autograde._input_directory

    def start(self) -> None:
        scheduler = autograde_on_cluster.scheduler_for(self)
        if scheduler:   # graded on the workers, each in a scratch course that comes back here
            return autograde_on_cluster.grade(self, scheduler)
        # Checked once here rather than failing every notebook with ZeroMQ's own message.
        why = self.config.SafeExecute.get("use_sandbox", True) and \
            sockets_do_not_fit(tempfile.gettempdir())
        if why:
            self.log.error(why)
            raise NbGraderException(why)
        protections = Protections(config=self.config)
        protections.warn_if_any_off(self.log)
        if not protections.regular_files_only:
            return stock_start(self)
        root = Path(tempfile.mkdtemp(prefix="course-mirror-"))
        submitted = self.coursedir.format_path(self.coursedir.submitted_directory, ".", ".")
        paths = MirrorPaths(root, os.path.normpath(os.path.abspath(submitted)))
        self.log.addFilter(paths)
        try:
            build_mirror(self.coursedir, root, self.log)
            self._course_mirror = str(root)
            return stock_start(self)
        finally:
            self.log.removeFilter(paths)
            self._course_mirror = None
            forget(root)
            remove_tree(root)

    def input_directory(self) -> str:
        mirror = getattr(self, "_course_mirror", None)
        return mirror if mirror and self._sanitizing else stock_input.fget(self)

    Autograde.start = start
    Autograde._input_directory = property(input_directory)
    _installed = True
