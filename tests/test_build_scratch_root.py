"""Which course nbgrader works on when `course build` starts it.

A build generates release/ in a scratch copy of the course, but nbgrader also reads the Jupyter
config folders, and an instructor's server on the hub has one that sets c.CourseDirectory.root to
the real course (deploy/jupyter-config/instructors): from the cwd alone, the "scratch" nbgrader
rewrites the real course's release/ and the build then finds nothing to copy. So the course's
nbgrader is given the course on its command line. The control drops that argument.

`course build --gradebook` is the other way round: nbgrader on the real course, so that its
gradebook learns the assignment (notebooks, tests, points), with release/ and source/ left as they
are. The controls are nbgrader's own commands: without --force it skips a module whose release/
exists (the gradebook gets nothing); with it, it rewrites release/ and copies saved answers there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from course import build, course_config
from course.gradebook import db_url, open_gradebook

from conftest import ROOT

pytestmark = pytest.mark.pipeline

FOLDER = "m1_first_contact"
SENTINEL = "what the class was given; a scratch build must never touch it\n"


def tree(folder: Path) -> dict:
    """Every file under ``folder``, by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


# ------------------------------------------------ the scratch build on an instructor's server
@pytest.fixture()
def real_course(tmp_path, monkeypatch):
    """A "real" course with a release/ of its own, and a Jupyter config naming it as the root,
    as an instructor's server on the hub has."""
    real = tmp_path / "real-course"
    real.mkdir()
    build.scratch_course(ROOT, real, [FOLDER])
    (real / "release" / FOLDER).mkdir(parents=True)
    (real / "release" / FOLDER / "sentinel.txt").write_text(SENTINEL)
    jupyter = tmp_path / "jupyter-config"
    jupyter.mkdir()
    (jupyter / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(real)!r}\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(jupyter))
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    return real


def test_the_scratch_build_works_on_its_scratch_course_whatever_jupyter_config_says(
        real_course, tmp_path):
    before = tree(real_course)
    out = tmp_path / "out"
    out.mkdir()
    build.generate(ROOT, out, [FOLDER])
    assert tree(real_course) == before   # its release/ (the sentinel) and no gradebook made there
    expected = sorted(p.name for p in (ROOT / "release" / FOLDER).iterdir())
    assert sorted(p.name for p in (out / FOLDER).iterdir()) == expected
    for path in (out / FOLDER).glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        nbformat.validate(nbformat.read(path, as_version=4))


def test_control_without_the_root_argument_the_real_course_is_rewritten(
        real_course, tmp_path, monkeypatch):
    def run_without_root(argv, **kwargs):
        return subprocess.run([a for a in argv if not a.startswith("--CourseDirectory.root=")],
                              **kwargs)

    monkeypatch.setattr(build, "subprocess", SimpleNamespace(run=run_without_root))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(build.BuildError, match=rf"wrote no release/{FOLDER} in the scratch course"):
        build.generate(ROOT, out, [FOLDER])
    assert not (real_course / "release" / FOLDER / "sentinel.txt").exists()
    assert (real_course / "gradebook.db").is_file()
    assert list(out.iterdir()) == []


@pytest.fixture()
def class_gradebook(tmp_path, monkeypatch):
    """A Jupyter config folder that names the class's gradebook, read by every nbgrader run."""
    jupyter = tmp_path / "jupyter-config"
    jupyter.mkdir()
    gradebook = tmp_path / "class" / "gradebook.db"
    gradebook.parent.mkdir()
    (jupyter / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.db_url = 'sqlite:///{gradebook}'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(jupyter))
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    return gradebook


def scratch_generate(tmp_path) -> Path:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    build.scratch_course(ROOT, scratch, [FOLDER])
    build.nbgrader(scratch, "generate_assignment", FOLDER, "--force")
    return scratch


def test_a_scratch_course_keeps_its_own_gradebook_whatever_jupyter_config_says(
        class_gradebook, tmp_path):
    scratch = scratch_generate(tmp_path)
    assert not class_gradebook.exists()
    with open_gradebook(db_url(scratch)) as gb:
        assert gb.find_assignment(FOLDER).notebooks
    assert course_config.load(scratch).db_url == db_url(scratch)


def test_control_a_scratch_config_that_only_unsets_db_url_writes_the_class_gradebook(
        class_gradebook, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "SCRATCH_GRADEBOOK", "\nc.CourseDirectory.pop('db_url', None)\n")
    scratch = scratch_generate(tmp_path)
    assert class_gradebook.is_file() and not (scratch / "gradebook.db").exists()


# ------------------------------------------------ course build --gradebook
@pytest.fixture()
def course(tmp_path):
    """A copy of the course with its committed release/ and answers saved while trying the
    source notebook (which must never reach release/)."""
    course = tmp_path / "course"
    course.mkdir()
    build.scratch_course(ROOT, course, [FOLDER])
    shutil.copytree(ROOT / "release" / FOLDER, course / "release" / FOLDER)
    (course / "source" / FOLDER / "m1_answers.json").write_text('{"m1_q1": "saved while trying"}')
    return course


def recorded(course: Path) -> dict:
    """notebook name -> max score, of FOLDER in the course's gradebook ({} when none)."""
    if not (course / "gradebook.db").exists():
        return {}
    with open_gradebook(db_url(course)) as gb:
        try:
            return {nb.name: nb.max_score for nb in gb.find_assignment(FOLDER).notebooks}
        except Exception as err:  # MissingEntry: no such assignment
            if type(err).__name__ != "MissingEntry":
                raise
            return {}


def points(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    return float(sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells
                     if c.metadata.get("nbgrader", {}).get("grade")))


def stock_nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = build.scripts_first({**os.environ, **course_config.STRICT_CONFIG_ENV})
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                          capture_output=True, text=True, env=env)


def test_course_build_gradebook_records_the_module_and_leaves_release_and_source(course):
    before = {"release": tree(course / "release"), "source": tree(course / "source")}
    proc = subprocess.run([sys.executable, "-m", "course.cli", "build", "--gradebook", FOLDER],
                          cwd=course, capture_output=True, text=True,
                          env=build.scripts_first(dict(os.environ)))
    assert proc.returncode == 0, proc.stderr
    assert f"Recorded {FOLDER} in the gradebook" in proc.stdout
    assert tree(course / "release") == before["release"]
    assert tree(course / "source") == before["source"]
    sources = sorted((course / "source" / FOLDER).glob("*.ipynb"))
    assert recorded(course) == {p.stem: points(p) for p in sources}
    assert all(recorded(course).values())
    with open_gradebook(db_url(course)) as gb:
        notebooks = gb.find_assignment(FOLDER).notebooks
        hidden = [c.name for nb in notebooks for c in nb.source_cells
                  if "### BEGIN HIDDEN TESTS" in (c.source or "")]
        assert hidden   # the tests autograding puts back, from the instructor's version


def test_control_nbgrader_without_force_skips_a_released_module(course):
    proc = stock_nbgrader(course, "generate_assignment", FOLDER)
    assert proc.returncode == 0, proc.stderr
    assert recorded(course) == {}


def test_control_nbgrader_with_force_rewrites_release(course):
    before = tree(course / "release")
    proc = stock_nbgrader(course, "generate_assignment", FOLDER, "--force")
    assert proc.returncode == 0, proc.stderr
    assert recorded(course)
    assert tree(course / "release") != before
    assert (course / "release" / FOLDER / "m1_answers.json").is_file()


# ------------------------------------------- the scratch course's gradebook is its own
def class_database(tmp_path: Path) -> tuple[Path, Path]:
    """A course whose config names a gradebook outside it (as the hub's PostgreSQL one is)."""
    course = tmp_path / "class-course"
    shutil.copytree(ROOT / "source", course / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*_answers.json"))
    shared = tmp_path / "class-gradebook.db"
    (course / "nbgrader_config.py").write_text(
        (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
        + f"\nc.CourseDirectory.db_url = 'sqlite:///{shared}'\n")
    return course, shared


def test_a_scratch_course_never_writes_into_the_class_gradebook(tmp_path):
    course, shared = class_database(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    build.scratch_course(course, scratch, [FOLDER])
    build.nbgrader(scratch, "generate_assignment", FOLDER, "--force")
    assert not shared.exists()
    with open_gradebook(db_url(scratch.resolve())) as gb:
        assert gb.find_assignment(FOLDER).notebooks


def test_control_the_copied_config_alone_writes_into_the_class_gradebook(tmp_path):
    course, shared = class_database(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    build.scratch_course(course, scratch, [FOLDER])
    shutil.copy(course / "nbgrader_config.py", scratch / "nbgrader_config.py")  # pin removed
    build.nbgrader(scratch, "generate_assignment", FOLDER, "--force")
    with open_gradebook(f"sqlite:///{shared}") as gb:
        assert gb.find_assignment(FOLDER).notebooks


def test_a_gradebook_that_missed_the_module_is_named_without_its_password(course, monkeypatch):
    """The failure message names the gradebook as logs may show it: no password."""
    url = "postgresql://grader:s3cret-pw@db.example/course"
    monkeypatch.setattr(build, "nbgrader", lambda *args, **kwargs: None)   # records nothing
    monkeypatch.setattr(course_config, "load",
                        lambda root: SimpleNamespace(db_url=url, course_id="cs"))

    class EmptyGradebook:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def find_assignment(self, name):
            from nbgrader.api import MissingEntry
            raise MissingEntry()

    monkeypatch.setattr("course.gradebook.open_gradebook", lambda *args: EmptyGradebook())
    with pytest.raises(build.BuildError) as failure:
        build.record_in_gradebook(course, [FOLDER])
    assert "holds no notebook" in str(failure.value)
    assert "db.example" in str(failure.value) and "s3cret-pw" not in str(failure.value)
