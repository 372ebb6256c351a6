"""A class on a real JupyterHub whose servers share no folder: the exchange is ngshare, over HTTP.

As on Kubernetes, where every server is its own pod: ngshare runs as a service the hub starts
(its database and files in this test's folder), every server reaches it through the hub's proxy
at $COURSE_NGSHARE_URL, and the course's client (course.ngshare) is selected in the students'
and the course's nbgrader_config.py. Each user has their own home and server; the shared
exchange folder of deploy/jupyterhub_config.py is never used. The instructor puts the class into
ngshare, releases Module 1; two students fetch, answer (one clicking, one typing) and submit
from the Assignment List; the instructor collects, grades with `course grade`, and releases
feedback; each student reads their own. A student's own token cannot fetch a classmate's work.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from browser_kit import artifacts, chromium_session
from course import notebooks
from course.gradebook import db_url, scores
from course.ngshare.client import Ngshare, NgshareError
from course.submissions import keys, points
from hub_kit import (CLICKER, COURSE_ID, FOLDER, INSTRUCTOR, NOTEBOOK, TYPIST, class_hub,
                     fetch_and_read_feedback, fetch_answer_and_submit, instructor, nbgrader)
from ngshare_kit import ngshare_command
from conftest import free_port

pytestmark = [pytest.mark.pipeline, pytest.mark.browser]
SHOTS = artifacts("hub-ngshare")
USE_NGSHARE = "from course.ngshare import use_ngshare\nuse_ngshare(c)  # at $COURSE_NGSHARE_URL\n"


def ngshare_service(folder) -> str:
    """The hub's configuration for ngshare as its service (its database and files in
    ``folder``, the instructor its admin), and every server's way to it."""
    command = ngshare_command(folder, admins=[INSTRUCTOR])
    return f"""
# ngshare, the exchange over HTTP: a service the hub starts, reached through the hub's proxy.
c.JupyterHub.services = [{{"name": "ngshare", "url": "http://127.0.0.1:{free_port()}",
                          "command": {command!r}}}]
c.Spawner.environment = {{"COURSE_NGSHARE_URL": "{{url}}/services/ngshare"}}
"""


def token_for(hub: dict, user: str) -> str:
    """A JupyterHub API token of ``user``'s own, asked for with their own login."""
    body = json.dumps({"auth": {"username": user, "password": "any"}, "note": "test"}).encode()
    request = urllib.request.Request(f"{hub['url']}/hub/api/users/{user}/tokens", data=body,
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["token"]


def wait_for_ngshare(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        assert time.monotonic() < deadline, f"ngshare did not answer at {url} in {timeout} s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    base = tmp_path_factory.mktemp("hub-ngshare")
    (base / "ngshare").mkdir()
    with class_hub(base, SHOTS, extra_config=ngshare_service(base / "ngshare"),
                   student_config=USE_NGSHARE, course_config=USE_NGSHARE) as info:
        info["ngshare"] = f"{info['url']}/services/ngshare"
        wait_for_ngshare(info["ngshare"])
        info["tokens"] = {user: token_for(info, user) for user in (INSTRUCTOR, CLICKER, TYPIST)}
        info["env"].update(COURSE_NGSHARE_URL=info["ngshare"],
                           JUPYTERHUB_API_TOKEN=info["tokens"][INSTRUCTOR])
        yield info


@pytest.fixture(scope="module")
def chromium():
    with chromium_session() as browser:
        yield browser


@pytest.fixture(scope="module")
def class_round(hub, chromium):
    """The whole round through ngshare; what each student was shown, and the grades."""
    course = hub["course"]
    enrolled = instructor(hub, "python", "-m", "course.ngshare", "enrol", str(hub["roster"]))
    assert f"2 student(s) enrolled in {COURSE_ID}: {CLICKER}, {TYPIST}" in enrolled
    nbgrader(hub, "generate_assignment", FOLDER, "--force")
    nbgrader(hub, "release_assignment", FOLDER)
    source = notebooks.read(course / "source" / FOLDER / NOTEBOOK)
    release = notebooks.read(course / "release" / FOLDER / NOTEBOOK)
    key, pts = keys(source), points(source)
    typed_items = list(key)[:2]
    for student, answers in ((CLICKER, key), (TYPIST, {i: key[i] for i in typed_items})):
        fetch_answer_and_submit(chromium, hub, student, release, answers, SHOTS)
    handed_in = nbgrader(hub, "list", "--inbound")
    assert all(f"{COURSE_ID} {s} {FOLDER}" in handed_in for s in (CLICKER, TYPIST)), handed_in
    nbgrader(hub, "collect", FOLDER)
    instructor(hub, "course", "grade", FOLDER)
    nbgrader(hub, "generate_feedback", FOLDER)
    nbgrader(hub, "release_feedback", FOLDER)
    shown = {s: fetch_and_read_feedback(chromium, hub, s, SHOTS) for s in (CLICKER, TYPIST)}
    return {"expected": {CLICKER: float(sum(pts.values())),
                         TYPIST: float(sum(pts[i] for i in typed_items))},
            "graded": scores(db_url(course), FOLDER), "shown": shown}


def test_the_round_goes_through_ngshare_and_no_shared_folder(hub, class_round):
    expected, graded = class_round["expected"], class_round["graded"]
    assert {s: graded[s]["auto"] for s in expected} == expected
    collected = hub["course"] / "submitted"
    assert sorted(p.name for p in collected.iterdir()) == sorted([CLICKER, TYPIST])
    stamps = {s["student_id"]: s["timestamp"] for s in
              Ngshare(hub["ngshare"], hub["tokens"][INSTRUCTOR]).submissions(COURSE_ID, FOLDER)}
    for student in (CLICKER, TYPIST):
        assert (collected / student / FOLDER / "timestamp.txt").read_text() == stamps[student]
    # The deploy config makes the shared exchange folder; nothing went through it.
    assert list(hub["exchange"].rglob("*")) == []


def test_each_student_reads_their_own_feedback(hub, class_round):
    for student, (score, page) in class_round["shown"].items():
        assert score == class_round["expected"][student]
        assert page.startswith(f"{FOLDER}/feedback/")
    assert class_round["expected"][CLICKER] != class_round["expected"][TYPIST]


def classmates_work(client: Ngshare, stamp: str) -> dict:
    """The typist's submission and feedback, asked for through ngshare's API directly."""
    return {
        "her submission": lambda: client.submitted_files(COURSE_ID, FOLDER, TYPIST),
        "her feedback": lambda: client.feedback_files(COURSE_ID, FOLDER, TYPIST, stamp),
        "her submission times": lambda: client.submissions(COURSE_ID, FOLDER, TYPIST),
        "everyone's submissions": lambda: client.submissions(COURSE_ID, FOLDER),
    }


def test_a_student_cannot_fetch_a_classmates_work_with_her_own_token(hub, class_round):
    teacher = Ngshare(hub["ngshare"], hub["tokens"][INSTRUCTOR])
    stamp = teacher.submissions(COURSE_ID, FOLDER, TYPIST)[-1]["timestamp"]
    student = Ngshare(hub["ngshare"], hub["tokens"][CLICKER])
    for what, fetch in classmates_work(student, stamp).items():
        with pytest.raises(NgshareError, match="HTTP 403") as refused:
            fetch()
        assert "Permission denied" in str(refused.value), what
    # Controls: her token works for her own feedback, and the instructor's gets all of it.
    mine = student.submissions(COURSE_ID, FOLDER, CLICKER)[-1]["timestamp"]
    assert [f["path"] for f in student.feedback_files(COURSE_ID, FOLDER, CLICKER, mine)] == \
        [NOTEBOOK.replace(".ipynb", ".html")]
    for what, fetch in classmates_work(teacher, stamp).items():
        assert fetch(), what
