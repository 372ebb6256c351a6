"""`course grade` on a Dask cluster: a scheduler and workers started with Dask's own commands.

One cluster for the whole file, on loopback: `dask scheduler` and two `dask worker` processes
(each with a temp folder of its own, and no folder shared with the course), and a PostgreSQL
gradebook per run (tests/postgres_kit.py). The same class is graded by a local `course grade
--jobs 2` (which must not load Dask at all) and on the cluster, and scores the same, the hostile
learners included (the thief of keys, the network user, links planted beside the notebook); a
worker killed while it grades loses nothing and records nobody twice; a submission whose grading
kills worker after worker is recorded as failed, and its neighbour is graded; a worker that cannot
make the sandbox refuses every task with the reason, even when told grading unsandboxed is fine
(and, the control, grades unsandboxed with that protection off). The
three ways of naming the scheduler are each used once: --scheduler, COURSE_DASK_SCHEDULER and
c.CourseGrade.scheduler; named in the config, it serves `nbgrader autograde` and formgrader's
Autograde button (nbgrader's API) as well. At the end no process of the cluster is left, and no worker that lived
left anything in its temp folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client
from nbgrader.api import Gradebook

from course import class_grader, cluster_grading, content, notebooks
from course import submissions as subs
from course.build import nbgrader, scripts_first
from course.cluster_grading import Packed, pack, unpack
from course.gradebook import scores

from conftest import free_port
from hostile_cases import FOLDER, HONEST, build_cases, reasons, write
from hostile_kit import Recorder, generated, graded_notebook_text, listener  # noqa: F401
from postgres_kit import postgres_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.pipeline
BIN = Path(sys.executable).parent
TESTS = Path(__file__).resolve().parent
HOSTILE = ("thief", "network_user", "link_keys_beside")


# ---------------------------------------------------------------- the cluster
def alive(marker: str) -> list[str]:
    """Processes (not zombies) whose command line or environment names ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            text = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        if state != "Z" and marker.encode() in text:
            found.append(f"{entry.name}: {(entry / 'cmdline').read_bytes()[:200]!r}")
    return found


class Cluster:
    """`dask scheduler` and `dask worker` processes, each in a session of its own."""

    def __init__(self, base: Path):
        self.base, self.procs = base, {}
        info = base / "scheduler.json"
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(info),
                                  "--idle-timeout", "1800"])
        for _ in range(600):
            if info.exists() and info.stat().st_size:
                break
            time.sleep(0.1)
        assert info.exists(), (base / "scheduler.log").read_text()[-3000:]
        self.address = json.loads(info.read_text())["address"]
        self.client = Client(self.address, timeout=60)

    def _start(self, name: str, args: list[str], env: dict | None = None) -> None:
        # This folder on the path: a test's stand-in for grading is found by its name.
        env = dict(os.environ if env is None else env, PYTHONPATH=str(TESTS))
        log = open(self.base / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen([str(BIN / "dask"), *args], cwd=self.base, env=env,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        log.close()

    def tmp(self, name: str) -> Path:
        return self.base / f"{name}-tmp"

    def start_worker(self, name: str, bwrap: bool = True, temp_of: str | None = None) -> None:
        """``temp_of``: grade in that (gone) worker's temp folder, as its successor would."""
        if temp_of is None:
            self.tmp(name).mkdir()
        env = scripts_first(dict(os.environ, TMPDIR=str(self.tmp(temp_of or name))))
        env.pop(class_grader.SCHEDULER_ENV, None)
        if not bwrap:   # nothing but the venv's scripts: no bwrap to be found
            env.update(PATH=str(BIN), COURSE_ALLOW_UNSANDBOXED="1")
        self._start(name, ["worker", self.address, "--name", name, "--host", "127.0.0.1",
                           "--nthreads", "1", "--no-dashboard", "--death-timeout", "60",
                           "--local-directory", str(self.base / f"{name}-dask")], env)
        self.wait_for(lambda names: name in names, f"worker {name} to join")

    def workers(self) -> set[str]:
        return {w["name"] for w in self.client.scheduler_info(n_workers=-1)["workers"].values()}

    def wait_for(self, condition, what: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not condition(self.workers()):
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        proc = self.procs.pop(name)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)

    def stop_all(self) -> None:
        self.client.close()
        for name in [n for n in self.procs if n != "scheduler"] + ["scheduler"]:
            if name in self.procs:
                self.stop(name)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("dask")
    cluster = Cluster(base)
    try:
        for name in ("a", "b"):
            cluster.start_worker(name)
        yield cluster
    finally:
        if cluster.procs:
            cluster.stop_all()
        for pid in alive(f"{base}/"):
            os.kill(int(pid.split(":")[0]), signal.SIGKILL)


# ---------------------------------------------------------------- courses and their grading
@pytest.fixture(scope="module")
def make_course(generated, postgres_server, tmp_path_factory):  # noqa: F811
    """A copy of the generated course whose gradebook is a new PostgreSQL database."""
    base, keys, release = generated

    def make(name: str, extra_config: str = "") -> tuple[Path, str]:
        course = tmp_path_factory.mktemp(f"course-{name}")
        shutil.copytree(base, course, dirs_exist_ok=True)
        (course / "gradebook.db").unlink()
        url = postgres_server.database(name)
        with open(course / "nbgrader_config.py", "a") as f:
            f.write(f"\nc.CourseDirectory.db_url = {url!r}\n{extra_config}")
        nbgrader(course, "generate_assignment", FOLDER, "--force")
        return course, url
    return make


def run_course_grade(course: Path, *args: str, env: dict | None = None, driver: str | None = None,
                     wait: bool = True):
    env = scripts_first(dict(os.environ if env is None else env, TMPDIR=str(course / ".tmp")))
    (course / ".tmp").mkdir(exist_ok=True)
    cmd = ([sys.executable, "-c", driver] if driver else [sys.executable, "-m", "course.cli"])
    proc = subprocess.Popen([*cmd, "grade", FOLDER, *args], cwd=course, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if not wait:
        return proc
    out = proc.communicate(timeout=1200)[0]
    return proc.returncode, out


def no_scheduler_env() -> dict:
    env = dict(os.environ)
    env.pop(class_grader.SCHEDULER_ENV, None)
    return env


#: `course grade` run as the command line runs it, then saying which Dask modules it loaded.
DASK_FREE = """
import sys
from course.cli import main
code = main(sys.argv[1:])
print("dask loaded:", sorted({m.split(".")[0] for m in sys.modules} & {"dask", "distributed"}))
sys.exit(code)
"""


@pytest.fixture(scope="module")
def class_graded(cluster, make_course, generated, listener):  # noqa: F811
    """The same class (honest, partial, blank and hostile learners) graded locally and on the
    cluster, each into its own PostgreSQL gradebook."""
    _, keys, release = generated
    items = list(keys)
    cases = {name: case for name, case in build_cases(listener, 303).items() if name in HOSTILE}
    hits_before = len(Recorder.hits)

    def fill(course: Path) -> None:
        submitted = course / "submitted"
        write(submitted / HONEST[0] / FOLDER, subs.typed(release, keys))
        write(submitted / HONEST[1] / FOLDER, subs.typed(release, {}), clicks=keys)
        write(submitted / "partial" / FOLDER, subs.typed(release, {i: keys[i] for i in items[:3]}))
        write(submitted / "blank" / FOLDER, subs.typed(release, {}))
        for name, case in cases.items():
            case.build(release, keys, submitted / name / FOLDER)

    local, local_url = make_course("local")
    fill(local)
    local_run = run_course_grade(local, "--jobs", "2", env=no_scheduler_env(), driver=DASK_FREE)
    remote, remote_url = make_course("remote")
    fill(remote)
    remote_run = run_course_grade(remote, "--scheduler", cluster.address, env=no_scheduler_env())
    return {"cases": cases, "local": (local, local_url, *local_run),
            "remote": (remote, remote_url, *remote_run),
            "network_hits": Recorder.hits[hits_before:]}


def test_the_cluster_scores_what_a_local_run_scores(class_graded):
    local, local_url, local_code, local_out = class_graded["local"]
    remote, remote_url, remote_code, remote_out = class_graded["remote"]
    assert local_code == 0, local_out[-3000:]
    assert remote_code == 0, remote_out[-3000:]
    assert "Grading: 100%" in remote_out   # the same progress bar as a local run
    here = {s: v["auto"] for s, v in scores(local_url, FOLDER).items()}
    there = {s: v["auto"] for s, v in scores(remote_url, FOLDER).items()}
    assert there == here
    assert here[HONEST[0]] == here[HONEST[1]] == 9 and here["blank"] == 0
    assert len(here) == 4 + len(HOSTILE)


def test_plain_course_grade_never_loads_dask(class_graded):
    *_, out = class_graded["local"]
    assert "dask loaded: []" in out, out[-2000:]


def test_hostile_submissions_score_on_a_worker_what_they_score_locally(class_graded):
    """And for the reason each records, in the graded notebook the cluster sent back."""
    cases = class_graded["cases"]
    for run in ("local", "remote"):
        course, url, *_ = class_graded[run]
        got = scores(url, FOLDER)
        for name, case in cases.items():
            assert got[name]["auto"] == case.expected, (run, name)
            text = graded_notebook_text(course, name)
            for words in reasons(case):
                assert words in text, (run, name, words)
            if case.check:
                assert not case.check(text), (run, name, case.check(text))
    assert class_graded["network_hits"] == [], "a sandboxed kernel reached the network"


def test_the_client_alone_wrote_autograded_and_left_nothing(class_graded):
    remote, *_ = class_graded["remote"]
    for student in (*HONEST, "partial", "blank", *HOSTILE):
        folder = remote / "autograded" / student / FOLDER
        assert (folder / "first_contact.ipynb").is_file(), student
        assert (folder / class_grader.MARKER).is_file(), student
    assert not (remote / "autograded" / "link_keys_beside" / FOLDER / "notes.txt").exists()
    assert sorted((remote / ".tmp").iterdir()) == []


# ---------------------------------------------------------------- nbgrader's own autograde
#: formgrader's Autograde button: nbgrader's API, as the formgrader extension makes it.
FORMGRADER_BUTTON = """
import json, sys
from nbgrader.apps.api import NbGraderAPI
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader
config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
api = NbGraderAPI(CourseDirectory(config=config), Authenticator(config=config), config=config)
print(json.dumps(api.autograde(sys.argv[1], sys.argv[2])))
"""


def _finished_gradings(dask_scheduler) -> list[str]:
    return [str(t[0]) for t in dask_scheduler.transition_log
            if str(t[0]).startswith("course-grade-") and t[2] == "memory"]


def finished_on(cluster: Cluster) -> set[str]:
    """The keys of the grading tasks the cluster's scheduler has seen finish."""
    with Client(cluster.address) as client:
        return set(client.run_on_scheduler(_finished_gradings))


def test_nbgrader_autograde_and_formgraders_button_grade_on_the_named_cluster(
        cluster, make_course, generated, class_graded):  # noqa: F811
    """With c.CourseGrade.scheduler in nbgrader_config.py, nbgrader's own command and
    formgrader's Autograde button hand their submissions to the cluster (the scheduler ran one
    task per submission) and score what the local `course grade` scored, the thief included."""
    _, keys, release = generated
    local_url = class_graded["local"][1]
    course, url = make_course("nbgrader-own", f"c.CourseGrade.scheduler = {cluster.address!r}\n")
    submitted = course / "submitted"
    write(submitted / HONEST[0] / FOLDER, subs.typed(release, keys))
    write(submitted / "partial" / FOLDER, subs.typed(release, {i: keys[i] for i in list(keys)[:3]}))
    class_graded["cases"]["thief"].build(release, keys, submitted / "thief" / FOLDER)
    write(submitted / "blank" / FOLDER, subs.typed(release, {}))
    env = scripts_first(no_scheduler_env())

    before = finished_on(cluster)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", FOLDER, "--force",
                           "--student", "[pt]*"], cwd=course, env=env, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"Grading on the Dask cluster at {cluster.address}" in proc.stderr, proc.stderr[-2000:]
    assert len(finished_on(cluster) - before) == 2   # partial and thief, on the workers

    before = finished_on(cluster)
    for student in (HONEST[0], "blank"):
        button = subprocess.run([sys.executable, "-c", FORMGRADER_BUTTON, FOLDER, student],
                                cwd=course, env=env, capture_output=True, text=True, timeout=1200)
        assert button.returncode == 0, button.stderr[-3000:]
        result = json.loads(button.stdout.strip().splitlines()[-1])
        assert result["success"], result
        assert f"Graded {student}'s {FOLDER} on the cluster" in result["log"], result["log"]
    assert len(finished_on(cluster) - before) == 2

    here = {s: v["auto"] for s, v in scores(local_url, FOLDER).items()}
    there = {s: v["auto"] for s, v in scores(url, FOLDER).items()}
    assert there == {s: here[s] for s in (HONEST[0], "partial", "thief", "blank")}
    assert (course / "autograded" / "thief" / FOLDER / class_grader.MARKER).is_file()


def test_a_grading_on_a_worker_is_never_handed_on_again(tmp_path, monkeypatch):
    """The converter that grades in a scratch course grades where it is, whatever names a
    scheduler (else a worker would send its task back to the cluster, for ever)."""
    from nbgrader.converters import Autograde
    from course import autograde_on_cluster

    monkeypatch.setenv(class_grader.SCHEDULER_ENV, "tcp://127.0.0.1:1")
    converter = Autograde()
    assert autograde_on_cluster.scheduler_for(converter) == "tcp://127.0.0.1:1"
    autograde_on_cluster.grading_here(converter)
    assert autograde_on_cluster.scheduler_for(converter) == ""


def grade_or_die(job, definition):
    """``grade_on_worker``, except that grading a student called eve... kills the worker (as the
    kernel's out-of-memory killer might); its nanny starts it again."""
    if job.task.student.startswith("eve"):
        os.kill(os.getpid(), signal.SIGKILL)
    return cluster_grading.grade_on_worker(job, definition)


def test_a_submission_that_kills_worker_after_worker_fails_with_the_reason(
        cluster, generated, tmp_path, monkeypatch):  # noqa: F811
    base, keys, release = generated
    course = tmp_path / "course"
    shutil.copytree(base, course)
    write(course / "submitted" / "eve" / FOLDER, subs.typed(release, keys))
    write(course / "submitted" / HONEST[0] / FOLDER, subs.typed(release, keys))
    cluster.wait_for(lambda names: {"a", "b"} <= names, "both workers")
    # The scheduler and the workers import the stand-in from this file (their PYTHONPATH).
    monkeypatch.setattr(cluster_grading, "grade_on_worker", grade_or_die)
    summary = class_grader.grade(course, [FOLDER], scheduler=cluster.address, progress=False)
    assert [t.student for t in summary.graded] == [HONEST[0]], summary.failed
    assert summary.failed == [("eve", FOLDER, cluster_grading.DIED)]
    assert "eve" not in scores(f"sqlite:///{course / 'gradebook.db'}", FOLDER)
    cluster.wait_for(lambda names: {"a", "b"} <= names, "the nannies to restart the workers")


def test_a_worker_killed_mid_run_loses_nothing_and_records_nobody_twice(cluster, make_course,
                                                                        generated):  # noqa: F811
    base, keys, release = generated
    points = subs.points(notebooks.read(notebooks.source_notebook(base, content.module("m1"))))
    course, url = make_course("killed")
    items = list(keys)
    expected = {}
    for n in range(6):
        chosen = {i: keys[i] for i in items[: (n * 2) % (len(items) + 1)]}
        write(course / "submitted" / f"k{n}" / FOLDER, subs.typed(release, chosen))
        expected[f"k{n}"] = float(sum(points[i] for i in chosen))
    cluster.wait_for(lambda names: {"a", "b"} <= names, "both workers")
    env = dict(no_scheduler_env(), **{class_grader.SCHEDULER_ENV: cluster.address})
    proc = run_course_grade(course, env=env, wait=False)
    deadline = time.monotonic() + 300
    while not any(p.name.startswith("course-dask-") for p in cluster.tmp("a").iterdir()):
        assert proc.poll() is None, "grading ended before worker a started a task"
        assert time.monotonic() < deadline, "worker a never started a task"
        time.sleep(0.05)
    cluster.stop("a", signal.SIGKILL)   # the nanny and the worker, in the middle of a grading
    out = proc.communicate(timeout=1200)[0]
    assert proc.returncode == 0, out[-3000:]
    assert "Graded 6, skipped 0 unchanged, failed 0" in out, out[-3000:]
    assert "a" not in cluster.workers()
    with Gradebook(url) as gb:
        recorded = sorted(s.student_id for s in gb.assignment_submissions(FOLDER))
    assert recorded == sorted(expected)   # each student exactly once
    assert {s: v["auto"] for s, v in scores(url, FOLDER).items()} == expected
    # It was killed mid-grading: the scratch course of the grading it never finished, and the
    # folders made for it, are still there on its machine, until the next worker grading there
    # sweeps them before its first task.
    def left_by_a():
        return sorted(p.name.rsplit("-", 1)[0] for p in cluster.tmp("a").iterdir())
    assert "course-dask" in left_by_a(), left_by_a()
    cluster.stop("b")
    cluster.start_worker("a2", temp_of="a")
    cluster.wait_for(lambda names: names == {"a2"}, "a2 alone")
    code, out = run_course_grade(course, "--student", "k0", "--force", env=env)
    assert code == 0 and "Graded 1," in out, out[-3000:]
    assert left_by_a() == []


def only_a_worker_without_bubblewrap(cluster: Cluster) -> None:
    """Every other worker leaves; one whose PATH holds no bwrap (and whose environment says
    grading unsandboxed is fine) is the cluster's only worker."""
    for name in [n for n in cluster.procs if n not in ("scheduler", "nobwrap")]:
        cluster.stop(name)
    cluster.wait_for(lambda names: names <= {"nobwrap"}, "the other workers to leave")
    if "nobwrap" not in cluster.procs:
        cluster.start_worker("nobwrap", bwrap=False)


def test_a_worker_without_bubblewrap_refuses_its_tasks(cluster, make_course, generated):  # noqa: F811
    _, keys, release = generated
    only_a_worker_without_bubblewrap(cluster)
    course, url = make_course("nobwrap", f"c.CourseGrade.scheduler = {cluster.address!r}\n")
    write(course / "submitted" / HONEST[0] / FOLDER, subs.typed(release, keys))
    write(course / "submitted" / "blank" / FOLDER, subs.typed(release, {}))
    code, out = run_course_grade(course, env=no_scheduler_env())
    assert code == 1, out[-3000:]
    assert "Graded 0, skipped 0 unchanged, failed 2" in out, out[-3000:]
    for student in (HONEST[0], "blank"):
        line = next(l for l in out.splitlines() if l.startswith(f"  FAILED {student}/"))
        assert "refused to grade it: it cannot sandbox student code" in line, line
        assert "bubblewrap (bwrap) is not installed" in line, line
    assert scores(url, FOLDER) == {}
    assert not (course / "autograded").exists() or not any((course / "autograded").iterdir())


def test_control_without_the_refusal_a_worker_grades_unsandboxed(cluster, make_course, generated,
                                                                  listener):  # noqa: F811
    """c.Protections.sandboxed_workers = False: the same worker grades, and the network user's
    kernel reaches the test's listener."""
    _, keys, release = generated
    only_a_worker_without_bubblewrap(cluster)
    course, url = make_course("control", f"c.CourseGrade.scheduler = {cluster.address!r}\n"
                                         "c.Protections.sandboxed_workers = False\n")
    hits_before = len(Recorder.hits)
    build_cases(listener, 304)["network_user"].build(release, keys,
                                                      course / "submitted" / "net" / FOLDER)
    code, out = run_course_grade(course, env=no_scheduler_env())
    assert code == 0 and "Graded 1," in out, out[-3000:]
    assert "network reached" in graded_notebook_text(course, "net")
    assert "/leak" in Recorder.hits[hits_before:]


def test_the_cluster_stops_and_leaves_nothing(cluster):
    cluster.stop_all()
    assert alive(f"{cluster.base}/") == [], "a process of the cluster outlived it"
    for folder in cluster.base.glob("*-tmp"):
        left = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
        assert not left, f"a worker left this in its temp folder: {left[:10]}"


# ---------------------------------------------------------------- without a cluster
def test_the_scheduler_is_named_by_flag_then_environment_then_config(tmp_path, monkeypatch):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseGrade.scheduler = 'tcp://from-config:1'\n")
    from course import course_config
    cfg = course_config.load(tmp_path)
    monkeypatch.delenv(class_grader.SCHEDULER_ENV, raising=False)
    assert class_grader.scheduler_address(cfg) == "tcp://from-config:1"
    monkeypatch.setenv(class_grader.SCHEDULER_ENV, "tcp://from-env:2")
    assert class_grader.scheduler_address(cfg) == "tcp://from-env:2"
    assert class_grader.scheduler_address(cfg, "tcp://from-flag:3") == "tcp://from-flag:3"


def test_an_unreachable_scheduler_is_a_clear_message(generated, tmp_path):  # noqa: F811
    base, _, release = generated
    course = tmp_path / "course"
    shutil.copytree(base, course)
    write(course / "submitted" / "blank" / FOLDER, subs.typed(release, {}))
    # Dask's own connect timeout (30 s unless set), shortened for the test.
    env = dict(no_scheduler_env(), DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
    code, out = run_course_grade(course, "--scheduler", f"tcp://127.0.0.1:{free_port()}", env=env)
    assert code == 2, out[-2000:]
    assert "course grade: cannot reach the Dask scheduler at tcp://127.0.0.1:" in out
    assert scores(f"sqlite:///{course / 'gradebook.db'}", FOLDER) == {}


def test_a_packed_submission_holds_regular_files_only(tmp_path):
    folder = tmp_path / "sub"
    (folder / "inner").mkdir(parents=True)
    (folder / "a.txt").write_text("mine")
    (folder / "inner" / "b.txt").write_text("also mine")
    (folder / "link.txt").symlink_to("/etc/hostname")
    os.mkfifo(folder / "pipe")
    packed = pack(folder)
    assert packed.files == {"a.txt": b"mine", "inner/b.txt": b"also mine"}
    assert dict(packed.left_out) == {"link.txt": "is a link (to somewhere else)",
                                     "pipe": "is a named pipe, not a file"}
    unpack(packed, tmp_path / "copy")
    assert (tmp_path / "copy" / "inner" / "b.txt").read_text() == "also mine"
    for n, bad in enumerate(("../escape.txt", "/etc/owned", "inner/../../x")):
        with pytest.raises(ValueError):
            unpack(Packed(files={bad: b"x"}), tmp_path / f"bad{n}")
    assert not (tmp_path / "escape.txt").exists()
