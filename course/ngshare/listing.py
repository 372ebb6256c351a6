"""``nbgrader list`` through ngshare, in the shape the Assignment List and formgrader read.

Released assignments (``released`` or, once the folder exists here, ``fetched``); a student's own
submissions (``--cached``, which the Assignment List asks for) with whether feedback waits in
ngshare or has been fetched; every student's submissions (``--inbound``, instructors). Submissions
are asked of ngshare, not of a local cache, so a student's new server still sees them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nbgrader.exchange import abc

from course.ngshare.exchange import NgshareExchange
from course.safe_files import read_regular


class NgshareList(NgshareExchange, abc.ExchangeList):

    def init_src(self):
        pass

    def init_dest(self):
        self.courses = [self.coursedir.course_id] if self.coursedir.course_id else \
            self.call("courses")

    def copy_files(self):
        pass

    def assignments(self):
        """(course, assignment) pairs this listing is about."""
        wanted = self.coursedir.assignment_id
        for course in self.courses:
            for aid in sorted(self.call("assignments", course)):
                if not wanted or wanted in ("*", aid):
                    yield course, aid

    def folder(self, course: str, aid: str) -> Path:
        parts = [course] if self.path_includes_course else []
        return Path(self.assignment_dir, *parts, aid).absolute()

    def list_files(self):
        if self.inbound or self.cached:
            listing = self.inbound_list() if self.inbound else self.submitted_list()
            self.log.info("Submitted assignments:")
            for group in listing:
                for info in group["submissions"]:
                    self.log.info("%s %s %s %s", info["course_id"], info["student_id"],
                                  info["assignment_id"], info["timestamp"])
            return listing
        listing = self.released_list()
        self.log.info("Released assignments:")
        for info in listing:
            self.log.info("%s %s%s", info["course_id"], info["assignment_id"],
                          " (already downloaded)" if info["status"] == "fetched" else "")
        return listing

    def released_list(self) -> list[dict]:
        listing = []
        for course, aid in self.assignments():
            folder = self.folder(course, aid)
            info = {"course_id": course, "assignment_id": aid}
            if folder.is_dir():
                notebooks = sorted(folder.glob("*.ipynb"))
                info.update(status="fetched", path=str(folder), notebooks=[
                    {"notebook_id": nb.stem, "path": str(nb)} for nb in notebooks])
            else:
                names = self.notebooks_released(course, aid)
                info.update(status="released", path=f"{self.url}/assignment/{course}/{aid}",
                            notebooks=[{"notebook_id": Path(n).stem, "path": n} for n in names])
            listing.append(info)
        return listing

    def inbound_list(self) -> list[dict]:
        groups: dict[tuple, list] = {}
        for course, aid in self.assignments():
            for record in self.call("submissions", course, aid):
                info = {"course_id": course, "assignment_id": aid, "status": "submitted",
                        "student_id": record["student_id"], "timestamp": record["timestamp"],
                        "path": "", "notebooks": []}
                groups.setdefault((course, record["student_id"], aid), []).append(info)
        return grouped(groups)

    def submitted_list(self) -> list[dict]:
        """The acting student's own submissions, each with the state of its feedback."""
        me, groups = self.me(), {}
        for course, aid in self.assignments():
            handed_in = self.call("submissions", course, aid, me)
            if not handed_in:
                continue
            notebooks = [Path(n).stem for n in self.notebooks_released(course, aid)]
            for record in handed_in:
                feedback = self.call("feedback_files", course, aid, me, record["timestamp"],
                                     list_only=True)
                info = {"course_id": course, "assignment_id": aid, "student_id": me,
                        "status": "submitted", "timestamp": record["timestamp"],
                        "path": str(self.folder(course, aid))}
                info.update(feedback_state(self.folder(course, aid) / "feedback" /
                                           record["timestamp"], notebooks, feedback))
                groups.setdefault((course, me, aid), []).append(info)
        return grouped(groups)

    def remove_files(self):
        if self.inbound or self.cached:
            self.fail("ngshare keeps every submission: nbgrader cannot remove one.")
        listing = self.released_list()
        for info in listing:
            course, aid = info["course_id"], info["assignment_id"]
            handed_in = self.call("submissions", course, aid)
            if handed_in:
                self.fail(f"{aid} is not removed: ngshare would delete the {len(handed_in)} "
                          "submission(s) already handed in, and their feedback, with it.")
            self.call("unrelease", course, aid)
            info["status"] = "removed"
            self.log.info("Removed: %s %s", course, aid)
        return listing


def grouped(groups: dict) -> list[dict]:
    """One entry per (course, student, assignment), its submissions oldest first (as nbgrader's
    own exchange lists them)."""
    out = []
    for (course, student, aid), infos in sorted(groups.items()):
        infos.sort(key=lambda i: i["timestamp"])
        out.append({"course_id": course, "student_id": student, "assignment_id": aid,
                    "status": "submitted", "submissions": infos})
    return out


def feedback_state(local: Path, notebooks: list[str], in_exchange: list[dict]) -> dict:
    """Per notebook and in all: is feedback here, waiting in ngshare, newer there than here."""
    waiting = {Path(f["path"]).stem: f.get("checksum") for f in in_exchange
               if str(f.get("path", "")).endswith(".html")}
    states = []
    for nb in notebooks:
        page = local / f"{nb}.html"
        here = md5_of(page)
        states.append({"notebook_id": nb, "has_local_feedback": here is not None,
                       "has_exchange_feedback": nb in waiting,
                       "local_feedback_path": str(page) if here else None,
                       "feedback_updated": here is not None and nb in waiting
                       and waiting[nb] != here})

    def every(key: str) -> bool:
        return bool(states) and all(s[key] for s in states)

    return {"notebooks": states, "has_local_feedback": every("has_local_feedback"),
            "has_exchange_feedback": every("has_exchange_feedback"),
            "feedback_updated": any(s["feedback_updated"] for s in states),
            "local_feedback_path": str(local) if every("has_local_feedback") else None}


def md5_of(path: Path) -> str | None:
    """The checksum ngshare gives a file (MD5, to compare, not to protect), or None if absent."""
    try:
        return hashlib.md5(read_regular(path, 64 << 20), usedforsecurity=False).hexdigest()
    except OSError:  # missing, or not a regular file (UnsafeFile)
        return None
