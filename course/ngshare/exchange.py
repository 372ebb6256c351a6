"""nbgrader's exchange over HTTP, through ngshare: release, fetch, submit and feedback.

Each class is the ngshare side of one of nbgrader's pluggable exchange actions
(``nbgrader.exchange.abc``); ``course.ngshare.use_ngshare`` selects them all. Nothing here
decides who may do what: ngshare does, from the JupyterHub token each request carries.
Listing and collecting are in ``listing.py`` and ``collect.py``.
"""

from __future__ import annotations

import getpass
import glob
import os
import re
import tempfile
from pathlib import Path

from nbgrader.exchange import abc
from traitlets import Bool, Float, Unicode, default

from course.ngshare.client import Ngshare, NgshareError
from course.ngshare.files import pack, path_problem, unpack
from course.safe_files import Bounds, is_real_folder, read_regular, remove_tree

#: Where a hub deployment puts ngshare's address for every server (deploy/README.md).
URL_VARIABLE = "COURSE_NGSHARE_URL"


class NgshareExchange(abc.Exchange):
    """What every action shares: where ngshare is, who is asking, the bounds on files."""

    url = Unicode(help="ngshare's address, e.g. https://hub.example.org/services/ngshare "
                       f"(default: ${URL_VARIABLE}).").tag(config=True)
    token = Unicode(help="The JupyterHub API token shown to ngshare (default: "
                         "$JUPYTERHUB_API_TOKEN, which the hub gives each server)."
                    ).tag(config=True)
    timeout = Float(60, help="Seconds to wait for one answer from ngshare.").tag(config=True)
    path_includes_course = Bool(False, help="Keep assignments in <course>/<assignment> rather "
                                            "than <assignment>.").tag(config=True)

    @default("url")
    def _url_from_environment(self):
        return os.environ.get(URL_VARIABLE, "")

    @default("token")
    def _token_from_environment(self):
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @property
    def bounds(self) -> Bounds:
        """nbgrader's own size settings (in kB), applied to every file sent or received."""
        return Bounds(file_bytes=int(self.coursedir.max_file_size) * 1000,
                      total_bytes=int(self.coursedir.max_dir_size) * 1000)

    def client(self) -> Ngshare:
        """ngshare, as the token's owner; an answer may hold a whole submission, base64-encoded
        (a third larger), with room for the file names."""
        return Ngshare(self.url, self.token, self.timeout,
                       max_answer_bytes=self.bounds.total_bytes * 4 // 3 + 64 * 1024)

    def call(self, action: str, *args, **kwargs):
        """One request to ngshare; a refusal stops the action with ngshare's reason."""
        try:
            return getattr(self.client(), action)(*args, **kwargs)
        except NgshareError as err:
            self.fail(str(err))

    def course(self) -> str:
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.coursedir.course_id

    def me(self) -> str:
        """The student acting: the configured id, else the hub user, else the login."""
        chosen = self.coursedir.student_id
        if chosen and chosen != "*":
            return chosen
        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()

    def local_dir(self) -> Path:
        """The student's folder of this assignment."""
        parts = [self.coursedir.course_id] if self.path_includes_course else []
        return Path(self.assignment_dir, *parts, self.coursedir.assignment_id).absolute()

    def log_left_out(self, found, where) -> None:
        for path, why in found.ignored:
            self.log.warning("Left out of %s: %s %s.", where, path, why)

    def notebooks_released(self, course: str, assignment: str) -> list[str]:
        files = self.call("released_files", course, assignment, list_only=True)
        return sorted(f["path"] for f in files if str(f.get("path", "")).endswith(".ipynb"))


class NgshareReleaseAssignment(NgshareExchange, abc.ExchangeReleaseAssignment):
    """The instructor hands the student version (``release/<assignment>``) to ngshare."""

    def init_src(self):
        aid = self.coursedir.assignment_id
        self.src_path = self.coursedir.format_path(self.coursedir.release_directory, ".", aid)
        if not os.path.isdir(self.src_path):
            source = self.coursedir.format_path(self.coursedir.source_directory, ".", aid)
            if os.path.isdir(source):
                self.fail(f"Assignment found in '{source}' but not '{self.src_path}', run "
                          "`nbgrader generate_assignment` first.")
            self.fail(f"Assignment not found at: {self.src_path}")

    def init_dest(self):
        course, aid = self.course(), self.coursedir.assignment_id
        if aid not in self.call("assignments", course):
            return
        if not self.force:
            self.fail(f"{aid} is already released in {course}; add --force to release it again.")
        handed_in = self.call("submissions", course, aid)
        if handed_in:
            self.fail(f"{aid} cannot be released again: ngshare would delete the "
                      f"{len(handed_in)} submission(s) already handed in, and their feedback, "
                      "with the old release.")
        self.call("unrelease", course, aid)

    def copy_files(self):
        entries, found = pack(self.src_path, self.bounds, self.coursedir.ignore,
                              self.coursedir.include)
        self.log_left_out(found, "the release")
        self.call("release", self.coursedir.course_id, self.coursedir.assignment_id, entries)
        self.log.info("Released as: %s %s", self.coursedir.course_id, self.coursedir.assignment_id)


class NgshareFetchAssignment(NgshareExchange, abc.ExchangeFetchAssignment):
    """A student copies a released assignment into a new folder of their own."""

    def init_src(self):
        self.files = self.call("released_files", self.course(), self.coursedir.assignment_id)

    def init_dest(self):
        self.dest_path = self.local_dir()
        if self.dest_path.exists() and not self.replace_missing_files:
            self.fail("You already have a copy of the assignment in this directory: "
                      f"{self.coursedir.assignment_id}")

    def copy_files(self):
        self.dest_path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".fetching-", dir=self.dest_path.parent))
        try:
            found = unpack(self.files, staging, self.bounds)
            self.log_left_out(found, "the fetched assignment")
            if not self.dest_path.exists():
                os.chmod(staging, 0o755)
                staging.rename(self.dest_path)
            else:  # replace_missing_files: add what is missing, keep the student's own work
                for rel, _ in found.files:
                    target = self.dest_path / rel
                    if not os.path.lexists(target):
                        self.log.warning("Replacing missing file '%s'", rel)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(staging / rel, target)
        finally:
            remove_tree(staging)
        self.log.info("Fetched as: %s %s", self.coursedir.course_id, self.coursedir.assignment_id)


class NgshareSubmit(NgshareExchange, abc.ExchangeSubmit):
    """A student hands in the regular files of their assignment folder; ngshare stamps the time."""

    def init_src(self):
        self.src_path = self.local_dir()
        if not is_real_folder(self.src_path):
            self.fail(f"Assignment not found at: {self.src_path}")

    def init_dest(self):
        self.course()

    def copy_files(self):
        course, aid = self.coursedir.course_id, self.coursedir.assignment_id
        entries, found = pack(self.src_path, self.bounds, self.coursedir.ignore,
                              self.coursedir.include)
        self.log_left_out(found, "the submission")
        released = self.notebooks_released(course, aid)
        unsendable = [f"{path} {why}" for path, why in found.ignored if path in released]
        if unsendable:  # better no submission than one without the student's notebook
            self.fail(f"Assignment {aid} not submitted: {'; '.join(unsendable)}.")
        missing = sorted(set(released) - {e["path"] for e in entries})
        if missing and self.strict:
            self.fail(f"Assignment {aid} not submitted. These notebooks are missing: "
                      f"{', '.join(missing)}")
        if missing:
            self.log.warning("Possible missing notebooks in the submission: %s", ", ".join(missing))
        timestamp = self.call("submit", course, aid, entries)
        self.log.info("Submitted as: %s %s %s", course, aid, timestamp)


class NgshareReleaseFeedback(NgshareExchange, abc.ExchangeReleaseFeedback):
    """The instructor uploads each student's feedback pages (``feedback/<student>/<assignment>``),
    addressed to the submission they were made from; one student's failure stops no one else."""

    def init_src(self):
        aid = self.coursedir.assignment_id
        student = self.coursedir.student_id if self.coursedir.student_id else "*"
        pattern = self.coursedir.format_path(self.coursedir.feedback_directory, student, aid)
        named = self.coursedir.format_path(self.coursedir.feedback_directory, "(?P<student>[^/]+)",
                                           aid, escape=True)
        excluded = set(filter(None, self.coursedir.student_id_exclude.split(",")))
        self.folders = {}
        for folder in sorted(glob.glob(pattern)):
            match = re.fullmatch(named, folder)
            if match and match["student"] not in excluded and is_real_folder(folder):
                self.folders[match["student"]] = folder

    def init_dest(self):
        self.course()

    def copy_files(self):
        failed = []
        for student, folder in self.folders.items():
            try:
                self.release_one(student, folder)
            except (NgshareError, OSError, UnicodeDecodeError) as err:
                failed.append(student)
                self.log.warning("Feedback not released for %s: %s", student, err)
        if failed:
            self.log.error("Feedback was not released for %d student(s): %s (reasons above).",
                           len(failed), ", ".join(failed))

    def release_one(self, student: str, folder: str) -> None:
        timestamp = read_regular(Path(folder, "timestamp.txt"), 200).decode().strip()
        entries, _ = pack(folder, self.bounds, include=["*.html"])
        pages = [e for e in entries if "/" not in e["path"]]
        self.client().upload_feedback(self.coursedir.course_id, self.coursedir.assignment_id,
                                      student, timestamp, pages)
        self.log.info("Released feedback for %s on %s (submitted %s)", student,
                      self.coursedir.assignment_id, timestamp)


class NgshareFetchFeedback(NgshareExchange, abc.ExchangeFetchFeedback):
    """A student copies the feedback on each of their submissions into
    ``<assignment>/feedback/<timestamp>/``, where the Assignment List looks for it."""

    def init_src(self):
        course, aid = self.course(), self.coursedir.assignment_id
        self.handed_in = [s["timestamp"] for s in self.call("submissions", course, aid, self.me())]

    def init_dest(self):
        self.dest_path = self.local_dir() / "feedback"

    def copy_files(self):
        course, aid, me = self.coursedir.course_id, self.coursedir.assignment_id, self.me()
        for timestamp in self.handed_in:
            if path_problem(timestamp, 0):  # it names a folder here
                self.log.warning("Skipped a submission whose time %r cannot name a folder",
                                 timestamp)
                continue
            files = self.call("feedback_files", course, aid, me, timestamp)
            if not files:
                self.log.info("No feedback yet on %s submitted at %s", aid, timestamp)
                continue
            target = self.dest_path / timestamp
            target.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".fetching-", dir=self.dest_path))
            try:
                found = unpack(files, staging, self.bounds)
                self.log_left_out(found, "the feedback")
                for rel, _ in found.files:
                    (target / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staging / rel, target / rel)
                    self.log.info("Fetched feedback: %s", target / rel)
            finally:
                remove_tree(staging)
