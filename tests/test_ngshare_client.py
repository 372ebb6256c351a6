"""The course's ngshare client (course.ngshare) against the real ngshare server, without a browser.

ngshare 0.6.0 runs as its own process on loopback (tests/ngshare_server.py); the one JupyterHub
call it makes, "whose token is this?", is answered by tests/ngshare_kit.py's stand-in, so no hub
is needed here (tests/hub/test_ngshare_hub.py runs the real hub). Each nbgrader exchange action
is the class nbgrader itself would build from the course's configuration (``use_ngshare``).
"""

from __future__ import annotations

import base64
import json
import logging
import os

import pytest
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError, ExchangeFactory
from traitlets.config import Config

from conftest import free_port
from course.ngshare import ACTIONS, use_ngshare
from course.ngshare.client import Ngshare, NgshareError
from course.ngshare.files import pack, unpack
from course.ngshare.roster import enrol
from course.safe_files import Bounds
from ngshare_kit import ngshare_alone

COURSE, AID = "customer-service-in-security", "m1_first_contact"
PEOPLE = {"lee": "lee", "ada": "ada", "bilal": "bilal", "mallory": "mallory", "oscar": "oscar",
          "eve": "eve"}
TOKENS = {f"token-of-{name}": name for name in PEOPLE}
STUDENTS = ["ada", "bilal", "mallory", "oscar"]  # eve is not in the class


def token(name: str) -> str:
    return f"token-of-{name}"


def notebook(text: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": "markdown", "source": text, "metadata": {}}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def act(url, action: str, who: str, home, root=None, **settings):
    """Run one exchange action as ``who`` (nbgrader's way: ExchangeFactory from the config);
    ``settings`` are ``Section__trait=value``."""
    config = config_of(url, who, home, root, **settings)
    factory = ExchangeFactory(config=config)
    made = getattr(factory, action)(coursedir=CourseDirectory(config=config),
                                    authenticator=Authenticator(config=config), config=config)
    return made.start()


def config_of(url, who: str, home, root=None, **settings) -> Config:
    """nbgrader's configuration for ``who``, with the course's client selected."""
    config = Config()
    use_ngshare(config, url)
    config.NgshareExchange.token = token(who)
    config.CourseDirectory.course_id = COURSE
    config.CourseDirectory.assignment_id = AID
    config.CourseDirectory.root = str(root or home)
    config.Exchange.assignment_dir = str(home)
    if who != "lee":  # a student's id, as a hub's JUPYTERHUB_USER or the login would give it
        config.CourseDirectory.student_id = who
    for key, value in settings.items():
        section, trait = key.split("__")
        config[section][trait] = value
    return config


@pytest.fixture(scope="module")
def ngshare(tmp_path_factory):
    """The real ngshare, the class enrolled by its instructor (who is an ngshare admin)."""
    with ngshare_alone(tmp_path_factory.mktemp("ngshare"), TOKENS, admins=["lee"]) as url:
        done = enrol(Ngshare(url, token("lee")), COURSE, ["lee"], STUDENTS)
        assert done[0] == f"created {COURSE} with instructors lee"
        yield url


@pytest.fixture(scope="module")
def class_round(ngshare, tmp_path_factory):
    """Release, fetch, submit, collect, feedback: one whole round, kept for the checks below."""
    base = tmp_path_factory.mktemp("round")
    course, homes = base / "course", base / "home"
    release = course / "release" / AID
    (release / ".ipynb_checkpoints").mkdir(parents=True)
    (release / "first_contact.ipynb").write_bytes(notebook("Module 1"))
    (release / "m1_answers.json").write_text("{}")
    (release / ".ipynb_checkpoints" / "first_contact-checkpoint.ipynb").write_text("{}")
    act(ngshare, "ReleaseAssignment", "lee", course)
    for student in ("ada", "bilal"):
        act(ngshare, "FetchAssignment", student, homes / student)
        work = homes / student / AID
        (work / "first_contact.ipynb").write_bytes(notebook(f"answers of {student}"))
        act(ngshare, "Submit", student, homes / student)
    stamps = {s["student_id"]: s["timestamp"] for s in Ngshare(ngshare, token("lee"))
              .submissions(COURSE, AID)}
    before_feedback = act(ngshare, "List", "ada", homes / "ada", ExchangeList__cached=True)
    act(ngshare, "Collect", "lee", course, CourseDirectory__student_id="ada")
    act(ngshare, "Collect", "lee", course, CourseDirectory__student_id="bilal")
    for student in ("ada", "bilal"):
        feedback = course / "feedback" / student / AID
        feedback.mkdir(parents=True)
        (feedback / "first_contact.html").write_text(f"<p>feedback for {student}</p>")
        (feedback / "timestamp.txt").write_text(
            (course / "submitted" / student / AID / "timestamp.txt").read_text())
    act(ngshare, "ReleaseFeedback", "lee", course)
    waiting = act(ngshare, "List", "ada", homes / "ada", ExchangeList__cached=True)
    act(ngshare, "FetchFeedback", "ada", homes / "ada")
    fetched = act(ngshare, "List", "ada", homes / "ada", ExchangeList__cached=True)
    return {"course": course, "homes": homes, "stamps": stamps, "lists": (before_feedback,
            waiting, fetched)}


def test_the_whole_round_goes_through_ngshare(class_round):
    course, homes, stamps = class_round["course"], class_round["homes"], class_round["stamps"]
    fetched = homes / "bilal" / AID  # the release without its checkpoints; no feedback fetched
    assert sorted(p.name for p in fetched.iterdir()) == ["first_contact.ipynb", "m1_answers.json"]
    for student in ("ada", "bilal"):
        collected = course / "submitted" / student / AID
        assert (collected / "first_contact.ipynb").read_bytes() == notebook(f"answers of {student}")
        assert (collected / "timestamp.txt").read_text() == stamps[student]
    page = homes / "ada" / AID / "feedback" / stamps["ada"] / "first_contact.html"
    assert page.read_text() == "<p>feedback for ada</p>"


def test_the_assignment_list_sees_the_submission_and_then_its_feedback(class_round):
    states = []
    for listing in class_round["lists"]:
        [entry] = listing
        [submission] = entry["submissions"]
        assert (entry["student_id"], entry["assignment_id"]) == ("ada", AID)
        states.append((submission["has_exchange_feedback"], submission["has_local_feedback"],
                       submission["feedback_updated"]))
    assert states == [(False, False, False), (True, False, False), (True, True, False)]


def test_released_and_fetched_are_told_apart(ngshare, class_round, tmp_path):
    [mine] = act(ngshare, "List", "ada", class_round["homes"] / "ada")
    [theirs] = act(ngshare, "List", "oscar", tmp_path)
    assert (mine["status"], theirs["status"]) == ("fetched", "released")
    assert [nb["notebook_id"] for nb in theirs["notebooks"]] == ["first_contact"]
    with pytest.raises(ExchangeError, match="already have a copy"):
        act(ngshare, "FetchAssignment", "ada", class_round["homes"] / "ada")


def test_the_instructor_lists_every_submission(ngshare, class_round):
    listing = act(ngshare, "List", "lee", class_round["course"], ExchangeList__inbound=True)
    assert {e["student_id"] for e in listing} >= {"ada", "bilal"}


def test_formgrader_sees_the_release_through_ngshare(ngshare, class_round):
    from nbgrader.apps.api import NbGraderAPI

    config = config_of(ngshare, "lee", class_round["course"])
    api = NbGraderAPI(CourseDirectory(config=config), Authenticator(config=config), config=config)
    assert api.exchange_is_functional and api.get_released_assignments() == {AID}


# -- who may read what ---------------------------------------------------------------------
def others_work(client: Ngshare, stamp: str) -> dict:
    """bilal's submission and feedback, asked for through the API directly."""
    return {
        "submission": lambda: client.submitted_files(COURSE, AID, "bilal"),
        "submissions": lambda: client.submissions(COURSE, AID, "bilal"),
        "feedback": lambda: client.feedback_files(COURSE, AID, "bilal", stamp),
        "everyone's submissions": lambda: client.submissions(COURSE, AID),
    }


@pytest.mark.parametrize("what", ["submission", "submissions", "feedback",
                                  "everyone's submissions"])
def test_a_student_cannot_read_another_students_work(ngshare, class_round, what):
    stamp = class_round["stamps"]["bilal"]
    with pytest.raises(NgshareError, match="HTTP 403"):
        others_work(Ngshare(ngshare, token("ada")), stamp)[what]()
    # The control: the instructor's token gets it, so the refusal is about who asks.
    assert others_work(Ngshare(ngshare, token("lee")), stamp)[what]()


def test_fetching_feedback_as_another_student_is_refused(ngshare, class_round, tmp_path):
    with pytest.raises(ExchangeError, match="HTTP 403"):
        act(ngshare, "FetchFeedback", "ada", tmp_path, CourseDirectory__student_id="bilal")
    assert not (tmp_path / AID / "feedback").exists()


def test_someone_outside_the_class_gets_nothing(ngshare, class_round, tmp_path):
    with pytest.raises(ExchangeError, match="HTTP 403"):
        act(ngshare, "FetchAssignment", "eve", tmp_path)
    with pytest.raises(NgshareError, match="HTTP 403"):
        Ngshare(ngshare, token("eve")).create_course("another-course", ["eve"])


# -- collect keeps the course's protections -----------------------------------------------------
def entry(path: str, data: bytes) -> dict:
    return {"path": path, "content": base64.b64encode(data).decode()}


DEEP = "/".join("abcdefghi") + "/deep.txt"   # nine folders; the bound is eight


@pytest.mark.parametrize("switch_off", [None, "regular_files_only"])
def test_collect_writes_only_what_fits_and_the_exchanges_own_time(
        ngshare, class_round, tmp_path, caplog, switch_off):
    """mallory hands in, through the API, a file over the size limit, a path nine folders deep
    and a timestamp.txt that backdates her work; ada's honest work is collected beside hers."""
    Ngshare(ngshare, token("mallory")).submit(COURSE, AID, [
        entry("first_contact.ipynb", notebook("mallory")), entry("big.bin", b"x" * 3000),
        entry(DEEP, b"deep"), entry("timestamp.txt", b"2000-01-01 00:00:00.000000")])
    stamp = Ngshare(ngshare, token("lee")).submissions(COURSE, AID, "mallory")[-1]["timestamp"]
    settings = {"CourseDirectory__max_file_size": 2}  # kB
    if switch_off:
        settings[f"Protections__{switch_off}"] = False
    caplog.set_level(logging.INFO)
    act(ngshare, "Collect", "lee", tmp_path, **settings)
    mallory, ada = (tmp_path / "submitted" / s / AID for s in ("mallory", "ada"))
    assert (mallory / "first_contact.ipynb").read_bytes() == notebook("mallory")
    assert (ada / "first_contact.ipynb").read_bytes() == notebook("answers of ada")
    if switch_off:  # the control: every attack lands
        assert (mallory / "big.bin").stat().st_size == 3000 and (mallory / DEEP).exists()
        assert (mallory / "timestamp.txt").read_text() == "2000-01-01 00:00:00.000000"
    else:
        assert not (mallory / "big.bin").exists() and not (mallory / "a").exists()
        assert (mallory / "timestamp.txt").read_text() == stamp
        assert "big.bin is larger than 2,000 bytes" in caplog.text
        assert f"{DEEP} is more than 8 folders deep" in caplog.text
        assert "timestamp.txt is written by the exchange itself" in caplog.text
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))


def test_one_students_failure_leaves_the_class_collected(ngshare, class_round, tmp_path, caplog):
    """oscar's submission is larger than the course allows in all: its answer is not even read,
    he is named in the log, and everyone else is collected."""
    Ngshare(ngshare, token("oscar")).submit(COURSE, AID, [entry("video.bin", b"v" * 400_000)])
    caplog.set_level(logging.INFO)
    act(ngshare, "Collect", "lee", tmp_path, CourseDirectory__max_dir_size=100)  # kB
    collected = sorted(p.name for p in (tmp_path / "submitted").iterdir())
    assert "oscar" not in collected and {"ada", "bilal"} <= set(collected)
    assert "Not collected: oscar's submission" in caplog.text
    assert "is larger than" in caplog.text and "so it was not read" in caplog.text
    assert "were not collected: oscar" in caplog.text
    assert not list((tmp_path / "submitted").glob(".*collecting*"))


def test_unsafe_paths_are_never_written(tmp_path):
    """Defence in depth: ngshare refuses such paths itself (below), and the client checks
    again whatever a server sends."""
    dest, outside = tmp_path / "in", tmp_path / "escape.txt"
    found = unpack([entry(p, b"x") for p in ("../escape.txt", str(outside), "a/../../escape.txt",
                                             "./b", "a//b", "", "a\\b", "ok.txt", "ok.txt",
                                             "ok.txt/c")], dest, Bounds())
    assert [f for f, _ in found.files] == ["ok.txt"]
    assert not outside.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    reasons = dict(found.ignored)
    assert reasons["../escape.txt"] == "is not a plain relative path"
    assert reasons[str(outside)] == "is an absolute path"
    assert "appears twice" in [why for path, why in found.ignored if path == "ok.txt"]
    assert reasons["ok.txt/c"] == "lies inside a name that is already a file"
    assert unpack({"path": "x"}, dest, Bounds()).ignored == [(".", "is not a list of files")]


def test_ngshare_refuses_a_path_out_of_its_storage(ngshare, class_round):
    with pytest.raises(NgshareError, match="Illegal path"):
        Ngshare(ngshare, token("mallory")).submit(COURSE, AID, [entry("../escape.txt", b"x")])


def test_only_regular_files_are_sent(tmp_path):
    folder = tmp_path / AID
    folder.mkdir()
    (folder / "first_contact.ipynb").write_bytes(notebook("mine"))
    (tmp_path / "secret.txt").write_text("not mine to send")
    (folder / "notes.txt").symlink_to(tmp_path / "secret.txt")
    os.mkfifo(folder / "pipe")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"\0")
    entries, found = pack(folder, Bounds(), ignore=["__pycache__", "*.pyc"])
    assert [e["path"] for e in entries] == ["first_contact.ipynb"]
    assert dict(found.ignored) == {"notes.txt": "is a link (to somewhere else)",
                                   "pipe": "is a named pipe, not a file"}


def test_a_submission_that_would_lose_the_notebook_is_refused(ngshare, class_round, tmp_path):
    """A notebook that is a link cannot be sent: better no submission than one without it."""
    work = tmp_path / AID
    work.mkdir()
    (tmp_path / "elsewhere.ipynb").write_bytes(notebook("mallory's real work"))
    (work / "first_contact.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")
    before = Ngshare(ngshare, token("lee")).submissions(COURSE, AID, "mallory")
    with pytest.raises(ExchangeError, match="not submitted: first_contact.ipynb is a link"):
        act(ngshare, "Submit", "mallory", tmp_path)
    assert Ngshare(ngshare, token("lee")).submissions(COURSE, AID, "mallory") == before


# -- the instructor's mistakes, and plain messages ------------------------------------------------
def test_releasing_again_never_deletes_submissions(ngshare, class_round):
    course = class_round["course"]
    with pytest.raises(ExchangeError, match="add --force"):
        act(ngshare, "ReleaseAssignment", "lee", course)
    with pytest.raises(ExchangeError, match="would delete the .* submission"):
        act(ngshare, "ReleaseAssignment", "lee", course, ExchangeReleaseAssignment__force=True)
    with pytest.raises(ExchangeError, match="would delete the .* submission"):
        act(ngshare, "List", "lee", course, ExchangeList__remove=True)
    assert len(Ngshare(ngshare, token("lee")).submissions(COURSE, AID)) >= 2


def test_failures_say_what_to_do(ngshare, class_round, tmp_path):
    cases = [(Ngshare(ngshare, "no-such-token"), "is the JupyterHub token valid"),
             (Ngshare(f"http://127.0.0.1:{free_port()}/services/ngshare", "t"),
              "could not be reached")]
    for client, message in cases:
        with pytest.raises(NgshareError, match=message):
            client.courses()
    with pytest.raises(NgshareError, match="No ngshare URL is set: set COURSE_NGSHARE_URL"):
        Ngshare("", "t")
    with pytest.raises(NgshareError, match="JUPYTERHUB_API_TOKEN"):
        Ngshare(ngshare, "")


def test_use_ngshare_selects_every_exchange_action(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_NGSHARE_URL", "http://hub.example.org/services/ngshare")
    config = Config()
    use_ngshare(config)
    factory = ExchangeFactory(config=config)
    for action, name in ACTIONS.items():
        assert getattr(factory, action).__name__ == name.split(".")[-1]
    lister = factory.List(coursedir=CourseDirectory(config=config), config=config)
    assert lister.url == "http://hub.example.org/services/ngshare"
    use_ngshare(config, "http://elsewhere/services/ngshare")
    assert ExchangeFactory(config=config).List(config=config).url == \
        "http://elsewhere/services/ngshare"


def test_ngshare_as_released_loses_work_with_sqlalchemy_2(tmp_path):
    """Why tests/ngshare_server.py adds the new release to the session: without it, ngshare 0.6.0
    answers a release with success and stores nothing."""
    with ngshare_alone(tmp_path, TOKENS, admins=["lee"], as_released=True) as url:
        lee = Ngshare(url, token("lee"))
        enrol(lee, COURSE, ["lee"], ["ada"])
        lee.release(COURSE, AID, [entry("first_contact.ipynb", notebook("Module 1"))])
        assert lee.assignments(COURSE) == []
