"""``nbgrader collect`` for the default (shared folder) exchange, copying regular files only.

The exchange's inbound folder is writable by every student. Stock collect copies a submission with
``shutil.copytree``, which follows links: a link a student planted there (to the instructor's
source notebook, or to the gradebook) would become a real file in ``submitted/``, holding the
hidden tests, and a link to /dev/zero would fill the disk. This collect copies the regular files
and real folders of each submission only (``course.safe_files``), refuses a submission entry that
is itself a link, and logs what it left out. nbgrader_config.py selects it
(``c.ExchangeFactory.collect``).

Any student can also name an inbound entry as they like. Stock collect reads the time from every
name (``<student>+<assignment>+<time>+<random>``) before it copies anything, so one entry such as
``eve+m1_first_contact+notadate+x`` stops the collection of the whole class with a ValueError;
here that entry is skipped with a logged reason and everyone else is collected. A collected
``timestamp.txt`` that holds no date (which would stop the next ``collect --update`` at that
student) is replaced by the time the entry's name gives, with a warning.
"""

from __future__ import annotations

import glob
import os

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.utils import check_mode, parse_utc

from course.protections import Protections
from course.safe_files import Bounds, copy_tree, is_real_folder, read_regular

TIMESTAMP = "timestamp.txt"


def entry_time(name: str):
    """The time an inbound entry's name gives, or ValueError saying why it gives none."""
    parts = name.rsplit("+", 3)
    if len(parts) < 3:
        raise ValueError("its name is not <student>+<assignment>+<time>")
    try:
        when = parse_utc(parts[2])
    except (ValueError, OverflowError, TypeError):
        when = None
    if when is None:
        raise ValueError(f"its name holds no time ({parts[2][:60]!r} is not a date)")
    return when


class SafeCollect(ExchangeCollect):
    def init_src(self):
        """nbgrader's own choice of each student's latest (or latest on time) submission, made
        only from the entries whose names can be read."""
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        student_id = self.coursedir.student_id if self.coursedir.student_id else "*"
        pattern = os.path.join(self.inbound_path,
                               f"{student_id}+{self.coursedir.assignment_id}+*")
        records = []
        for path in sorted(glob.glob(pattern)):
            name = os.path.basename(path)
            try:
                when = entry_time(name)
            except ValueError as err:
                self.log.warning("Not collected: %s, because %s; the other submissions are "
                                 "collected.", path, err)
                continue
            records.append({"username": name.rsplit("+", 3)[0], "filename": name,
                            "timestamp": when})
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        self.src_records = []
        for entries in groupby(records, lambda item: item["username"]).values():
            entries = self._sort_by_timestamp(entries)
            on_time = [e for e in entries if self.duedate is not None and self.before_duedate
                       and e["timestamp"] <= self.duedate]
            self.src_records.append(on_time[0] if on_time else entries[0])

    def do_copy(self, src, dest, log=None):
        if not Protections(config=self.config).regular_files_only:
            return super().do_copy(src, dest, log)
        if not is_real_folder(src):
            self.log.warning("Not collected: %s is a link or not a folder (a student can only "
                             "submit a folder).", src)
            return
        bounds = Bounds(file_bytes=int(self.coursedir.max_file_size) * 1000)
        found = copy_tree(src, dest, bounds, skip=tuple(self.coursedir.ignore))
        for path, why in found.ignored:
            self.log.warning("Not collected from %s: %s %s.", src, path, why)
        self._check_timestamp(src, dest)

    def _check_timestamp(self, src, dest) -> None:
        stamp = os.path.join(dest, TIMESTAMP)
        if not os.path.exists(stamp):
            return
        try:
            ok = parse_utc(read_regular(stamp, 256).decode("utf-8").strip()) is not None
        except (OSError, UnicodeDecodeError, ValueError, OverflowError, TypeError):
            ok = False
        if not ok:
            stated = os.path.basename(src).rsplit("+", 3)[2]
            with open(stamp, "w", encoding="utf-8") as f:
                f.write(stated)
            self.log.warning("%s from %s held no date: replaced by the time its name gives (%s).",
                             TIMESTAMP, src, stated)
