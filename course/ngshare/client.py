"""ngshare's REST API, as its documentation describes it, over the standard library's HTTP.

ngshare (a JupyterHub service) knows who is asking from the JupyterHub token sent with each
request, and decides by itself what that user may see: instructors release, list and download
submissions and upload feedback; students fetch, submit and read their own feedback only. This
module only speaks the protocol; ``course.ngshare`` turns it into nbgrader's exchange.

Every answer is read with a size limit, so a huge submission cannot fill the caller's memory.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

MB = 1 << 20


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """ngshare sends a request with an unknown token to a login page; say so, do not follow."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class NgshareError(Exception):
    """ngshare refused a request, or could not be reached; the message says which, plainly."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Ngshare:
    """A client for one ngshare service, acting as the owner of ``token``."""

    def __init__(self, url: str, token: str, timeout: float = 60, max_answer_bytes: int = 256 * MB):
        if not url:
            raise NgshareError("No ngshare URL is set: set COURSE_NGSHARE_URL, or "
                               "c.NgshareExchange.url in nbgrader_config.py.")
        if not token:
            raise NgshareError("No JupyterHub token to show ngshare: a server started by the hub "
                               "has JUPYTERHUB_API_TOKEN; elsewhere set it, or "
                               "c.NgshareExchange.token.")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes

    # -- the protocol --------------------------------------------------------------------------
    def request(self, method: str, path: str, params: dict | None = None,
                form: dict | None = None) -> dict:
        """Send one request: ngshare's decoded answer when it succeeded, else NgshareError."""
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=body, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Accept": "application/json"})
        try:
            with _OPENER.open(req, timeout=self.timeout) as answer:
                return self._decode(answer.read(self.max_answer_bytes + 1), path)
        except urllib.error.HTTPError as err:
            try:
                text = err.read(64 * 1024)
            except OSError:
                text = b""
            finally:
                err.close()
            raise NgshareError(self._refusal(err.code, text, path), err.code) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise NgshareError(f"ngshare at {self.url} could not be reached ({reason})") from None

    def _decode(self, raw: bytes, path: str) -> dict:
        if len(raw) > self.max_answer_bytes:
            raise NgshareError(f"ngshare's answer to {path} is larger than "
                               f"{self.max_answer_bytes:,} bytes, so it was not read")
        try:
            data = json.loads(raw)
        except ValueError:
            raise NgshareError(f"ngshare's answer to {path} is not JSON") from None
        if not isinstance(data, dict) or data.get("success") is not True:
            message = data.get("message") if isinstance(data, dict) else None
            raise NgshareError(f"ngshare refused {path}: {message or 'no reason given'}")
        return data

    @staticmethod
    def _refusal(status: int, text: bytes, path: str) -> str:
        try:
            message = json.loads(text).get("message")
        except (ValueError, AttributeError):
            message = None
        if message:
            return f"ngshare refused {path} (HTTP {status}): {message}"
        if status in (301, 302, 303, 307, 401, 403, 500):
            # ngshare answers an unknown or expired token with a login page or a bare error.
            return (f"ngshare refused {path} (HTTP {status}); is the JupyterHub token valid, and "
                    "is this user enrolled in the course?")
        return f"ngshare refused {path} (HTTP {status})"

    # -- courses and people --------------------------------------------------------------------
    def courses(self) -> list[str]:
        return list(self.request("GET", "/courses")["courses"])

    def create_course(self, course: str, instructors: list[str]) -> None:
        self.request("POST", route("course", course), form={"instructors": json.dumps(instructors)})

    def add_students(self, course: str, names: list[str]) -> list[dict]:
        people = [{"username": n, "first_name": "", "last_name": "", "email": ""} for n in names]
        return self.request("POST", route("students", course),
                            form={"students": json.dumps(people)})["status"]

    # -- assignments, submissions, feedback ----------------------------------------------------
    def assignments(self, course: str) -> list[str]:
        return list(self.request("GET", route("assignments", course))["assignments"])

    def release(self, course: str, assignment: str, files: list[dict]) -> None:
        self.request("POST", route("assignment", course, assignment),
                     form={"files": json.dumps(files)})

    def unrelease(self, course: str, assignment: str) -> None:
        """Remove a released assignment; ngshare removes its submissions with it."""
        self.request("DELETE", route("assignment", course, assignment))

    def released_files(self, course: str, assignment: str, list_only: bool = False) -> list[dict]:
        return self.request("GET", route("assignment", course, assignment),
                            params=_listing(list_only))["files"]

    def submit(self, course: str, assignment: str, files: list[dict]) -> str:
        """Hand in ``files`` as the token's owner; the timestamp ngshare gave the submission."""
        return self.request("POST", route("submission", course, assignment),
                            form={"files": json.dumps(files)})["timestamp"]

    def submissions(self, course: str, assignment: str, student: str | None = None) -> list[dict]:
        """``[{"student_id", "timestamp"}, ...]``: everyone's (instructors) or one student's."""
        who = [student] if student is not None else []
        return self.request("GET", route("submissions", course, assignment, *who))["submissions"]

    def submitted_files(self, course: str, assignment: str, student: str,
                        timestamp: str | None = None) -> dict:
        """A student's submission (the latest unless ``timestamp``): ``{"files", "timestamp"}``."""
        return self.request("GET", route("submission", course, assignment, student),
                            params={"timestamp": timestamp} if timestamp else None)

    def upload_feedback(self, course: str, assignment: str, student: str, timestamp: str,
                        files: list[dict]) -> None:
        self.request("POST", route("feedback", course, assignment, student),
                     form={"timestamp": timestamp, "files": json.dumps(files)})

    def feedback_files(self, course: str, assignment: str, student: str, timestamp: str,
                       list_only: bool = False) -> list[dict]:
        return self.request("GET", route("feedback", course, assignment, student),
                            params={"timestamp": timestamp, **_listing(list_only)})["files"]


def route(*parts: str) -> str:
    """An API path: the endpoint's name, then ids (course, assignment, student), each quoted."""
    return "/" + "/".join(urllib.parse.quote(str(p), safe="") for p in parts)


def _listing(list_only: bool) -> dict:
    return {"list_only": "true"} if list_only else {}
