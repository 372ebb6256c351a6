"""``nbgrader collect`` through ngshare, with the protections of the course's own collect.

Each student's latest submission (or the latest before the due date, with ``--before-duedate``)
is downloaded and written into ``submitted/<student>/<assignment>/`` by ``files.unpack``: only
regular files and folders are made, no path leaves the folder, and every file and the whole stay
within nbgrader's size settings (``CourseDirectory.max_file_size`` and ``max_dir_size``); what is
left out is logged with the reason. ``timestamp.txt`` is written from the time ngshare recorded,
never taken from the student's files, so a submission cannot claim to be earlier than it was.
One student's broken or hostile submission is recorded and skipped; the rest of the class is
collected. ``c.Protections.regular_files_only = False`` (tests only) writes everything as sent.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange import abc
from nbgrader.utils import parse_utc

from course.ngshare.client import NgshareError
from course.ngshare.exchange import NgshareExchange
from course.ngshare.files import path_problem, unpack
from course.protections import Protections
from course.safe_files import Bounds, remove_tree

#: Files of a collected submission that the exchange writes, not the student.
EXCHANGE_FILES = ("timestamp.txt",)
#: With the protection off: what any client would write, whatever it is sent.
UNBOUNDED = Bounds(depth=10**6, entries=10**9, file_bytes=1 << 62, total_bytes=1 << 62)


class NgshareCollect(NgshareExchange, abc.ExchangeCollect):

    def init_src(self):
        course, aid = self.course(), self.coursedir.assignment_id
        records = self.call("submissions", course, aid)
        wanted = self.coursedir.student_id
        latest: dict[str, list] = {}
        for record in records:
            student = str(record.get("student_id", ""))
            if wanted and wanted != "*" and student != wanted:
                continue
            latest.setdefault(student, []).append(
                (parse_utc(record["timestamp"]), record["timestamp"]))
        due = self.due_date()
        self.chosen = {}
        for student, stamps in sorted(latest.items()):
            stamps.sort(reverse=True)
            on_time = [s for s in stamps if due is not None and s[0] <= due]
            self.chosen[student] = (on_time if self.before_duedate and on_time else stamps)[0]

    def due_date(self):
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                return None

    def init_dest(self):
        pass

    def copy_files(self):
        aid = self.coursedir.assignment_id
        if not self.chosen:
            self.log.warning("No submissions of '%s' for course '%s' to collect", aid,
                             self.coursedir.course_id)
        failed = []
        for student, (when, timestamp) in self.chosen.items():
            try:
                self.collect_one(student, when, timestamp)
            except (NgshareError, OSError, ValueError) as err:
                failed.append(student)
                self.log.warning("Not collected: %s's submission of %s: %s", student, aid, err)
        if failed:
            self.log.error("%d of %d submissions were not collected: %s (reasons above).",
                           len(failed), len(self.chosen), ", ".join(failed))

    def collect_one(self, student: str, when, timestamp: str) -> None:
        why = path_problem(student, 0)
        if why:
            raise ValueError(f"the student id {why}")
        aid = self.coursedir.assignment_id
        dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, aid))
        if dest.exists() or dest.is_symlink():
            existing = self.coursedir.get_existing_timestamp(str(dest))
            newer = existing is None or when > existing
            if not ((self.update and newer) or (self.before_duedate and existing != when)):
                self.log.info("Submission already exists, use --update to update: %s %s",
                              student, aid)
                return
        answer = self.client().submitted_files(self.coursedir.course_id, aid, student, timestamp)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{aid}.collecting-", dir=dest.parent))
        try:
            if Protections(config=self.config).regular_files_only:
                found = unpack(answer.get("files"), staging, self.bounds, reserved=EXCHANGE_FILES)
                for path, why in found.ignored:
                    self.log.warning("Not collected from %s's submission: %s %s.", student, path,
                                     why)
            else:
                unpack(answer.get("files"), staging, UNBOUNDED)
            stamp = staging / "timestamp.txt"
            if not stamp.exists():
                stamp.write_text(timestamp)
            if dest.exists() or dest.is_symlink():
                self.log.info("Updating submission: %s %s", student, aid)
                remove_tree(dest)
            else:
                self.log.info("Collecting submission: %s %s", student, aid)
            os.rename(staging, dest)
            os.chmod(dest, 0o755)
        finally:
            remove_tree(staging)

