"""A nbgrader_config.py that fails to load must stop the course's commands, never be skipped.

nbgrader logs a config file that raises and carries on without it: every protection the course
wires there is then off (the instructor's keys go into release/, grading runs unsandboxed). The
controls show that is what stock nbgrader does with the very same file.
"""

import os
import subprocess
import sys

import pytest

from course import build, course_config

from conftest import ROOT

pytestmark = pytest.mark.pipeline

FOLDER = "m1_first_contact"
TYPO = "\nc.CourseGrade.jobs = two  # a typo: NameError when the file runs\n"


@pytest.fixture()
def course(tmp_path):
    """A scratch course with the module's source (keys.toml included) and a broken config."""
    course = tmp_path / "course"
    course.mkdir()
    build.scratch_course(ROOT, course, [FOLDER])
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(TYPO)
    return course


def course_cli(course, *args):
    return subprocess.run([sys.executable, "-m", "course.cli", *args], cwd=course,
                          capture_output=True, text=True)


def test_course_build_stops_on_a_broken_config_and_writes_nothing(course):
    proc = course_cli(course, "build", FOLDER)
    assert proc.returncode == 2, proc.stderr
    assert "nbgrader_config.py could not be loaded (NameError" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (course / "release").exists()


@pytest.mark.parametrize("command", [["grade"], ["report"], ["check", FOLDER]])
def test_the_other_commands_stop_too_with_the_reason(course, command):
    proc = course_cli(course, *command)
    assert proc.returncode == 2, proc.stderr
    line = (course / "nbgrader_config.py").read_text().splitlines().index(TYPO.strip()) + 1
    assert f"could not be loaded (NameError: name 'two' is not defined, at line {line})" \
        in proc.stderr
    assert "Traceback" not in proc.stderr


def test_nbgrader_started_by_the_course_refuses_a_broken_config(course):
    with pytest.raises(build.BuildError, match="NameError"):
        build.nbgrader(course, "generate_assignment", FOLDER, "--force")
    assert not (course / "release" / FOLDER / "keys.toml").exists()


def test_control_stock_nbgrader_skips_the_broken_config_and_releases_the_keys(course):
    env = build.scripts_first(dict(os.environ))
    for name in course_config.STRICT_CONFIG_ENV:
        env.pop(name, None)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", FOLDER,
                           "--force"], cwd=course, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (course / "release" / FOLDER / "keys.toml").is_file()


def test_the_build_refuses_keys_in_its_output_whatever_the_config_says(course, tmp_path):
    text = (course / "nbgrader_config.py").read_text().replace(TYPO, "")
    (course / "nbgrader_config.py").write_text(
        text + '\nc.CourseDirectory.ignore = [".ipynb_checkpoints"]  # keys.toml dropped\n')
    out = tmp_path / "release"
    out.mkdir()
    with pytest.raises(build.BuildError,
                       match=rf"release/{FOLDER}/keys.toml .*nothing was written"):
        build.generate(course, out, [FOLDER])
    assert list(out.iterdir()) == []


def test_instructors_on_the_hub_get_nbgrader_that_stops_on_a_broken_config(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from traitlets.config import Config

    (tmp_path / "roster.toml").write_text('instructors = ["lee"]\nstudents = ["ada"]\n')
    monkeypatch.setenv("COURSE_HUB_ROSTER", str(tmp_path / "roster.toml"))
    monkeypatch.setenv("COURSE_HUB_EXCHANGE", str(tmp_path / "exchange"))
    monkeypatch.setenv("COURSE_HUB_COURSE_DIR", str(tmp_path / "course"))
    config = Config()
    exec(compile((ROOT / "deploy" / "jupyterhub_config.py").read_text(), "jupyterhub_config.py",
                 "exec"), {"get_config": lambda: config, "__file__": str(ROOT / "deploy" / "x")})
    envs = {}
    for name, group in [("lee", "instructors"), ("ada", "students")]:
        user = SimpleNamespace(name=name, groups=[SimpleNamespace(name=group)])
        spawner = SimpleNamespace(environment={}, home_dir=str(tmp_path / name), user=user)
        config.Spawner.pre_spawn_hook(spawner)
        envs[group] = spawner.environment
    for name, value in course_config.STRICT_CONFIG_ENV.items():
        assert envs["instructors"].get(name) == value


# ------------------------------------------------ the instructors' Jupyter config on the hub
INSTRUCTORS = ROOT / "deploy" / "jupyter-config" / "instructors"
GUARD = "if not os.path.isfile(course_config):"


def load_instructors_config(text: str | None = None, folder=INSTRUCTORS):
    """The instructors' nbgrader_config.py as nbgrader loads it (``text``: a variant of it)."""
    from traitlets.config.loader import PyFileConfigLoader

    if text is not None:
        (folder / "nbgrader_config.py").write_text(text)
    return PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()


def test_instructors_nbgrader_stops_when_the_course_config_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "customer-service-in-security").mkdir()   # a folder in the link's way
    missing = tmp_path / "customer-service-in-security" / "nbgrader_config.py"
    with pytest.raises(FileNotFoundError, match=rf"{missing} is missing, so nbgrader would run "
                                                r"without the course's protections"):
        load_instructors_config()


def test_control_the_instructors_config_loads_the_course_config_when_it_is_there(
        tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    course = tmp_path / "shared-course"
    course.mkdir()
    build.scratch_course(ROOT, course, [FOLDER])
    (tmp_path / "customer-service-in-security").symlink_to(course, target_is_directory=True)
    config = load_instructors_config()
    assert config.CourseDirectory.root == str(tmp_path / "customer-service-in-security")
    assert config.CourseDirectory.course_id == "customer-service-in-security"
    assert "SafeExecute" in {pp.__name__ for pp in config.Autograde.autograde_preprocessors}


def test_control_without_the_check_a_missing_course_config_is_skipped_silently(
        tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    text = (INSTRUCTORS / "nbgrader_config.py").read_text()
    assert GUARD in text
    (tmp_path / "jupyter").mkdir()
    config = load_instructors_config(text.replace(GUARD, "if False:"), tmp_path / "jupyter")
    assert config.CourseDirectory.root == str(tmp_path / "customer-service-in-security")
    assert "autograde_preprocessors" not in config.Autograde   # stock grading: no sandbox


def test_nbgrader_on_an_instructors_server_stops_on_a_missing_course_config(tmp_path):
    env = build.scripts_first({**os.environ, **course_config.STRICT_CONFIG_ENV,
                               "HOME": str(tmp_path), "JUPYTER_CONFIG_PATH": str(INSTRUCTORS)})
    env.pop("JUPYTER_CONFIG_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", FOLDER],
                          cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    assert "customer-service-in-security/nbgrader_config.py is missing" in proc.stderr
    assert not (tmp_path / "release").exists() and not (tmp_path / "gradebook.db").exists()
