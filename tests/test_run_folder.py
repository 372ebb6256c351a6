"""A run's temp folder: removed when the run ends; what a run killed outright left is removed by
the next run's sweep, and nothing else is (a live run's folder, a folder without the lock file,
a link, another user's folder, a listed path outside the temp folder)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course import run_folder

ROOT = Path(__file__).resolve().parents[1]

#: A run that makes its folder, a started task with one listed temp folder, says where, and waits.
#: As a Dask worker's (argument "dask"): the folder is the task's, its ledger at the top.
RUN = """
import sys, tempfile, time
from pathlib import Path
from course import run_folder
dask = sys.argv[1:] == ["dask"]
with run_folder.made(run_folder.DASK_PREFIX if dask else run_folder.PREFIX) as folder:
    task = folder if dask else folder / run_folder.STARTED / "0"
    task.mkdir(parents=True, exist_ok=True)
    with run_folder.listing_temp_folders(task / run_folder.LEDGER):
        listed = tempfile.mkdtemp(prefix="course-mirror-")
    print(folder, listed, flush=True)
    time.sleep(300)
"""


@pytest.fixture
def temp(tmp_path, monkeypatch):
    folder = tmp_path / "t"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def start_run(temp: Path, *args: str) -> tuple[subprocess.Popen, Path, Path]:
    env = dict(os.environ, TMPDIR=str(temp),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.Popen([sys.executable, "-c", RUN, *args], env=env, stdout=subprocess.PIPE,
                           text=True)
    folder, listed = run.stdout.readline().split()
    return run, Path(folder), Path(listed)


def test_a_run_ended_leaves_nothing(temp):
    with run_folder.made() as folder:
        (folder / run_folder.STARTED / "3").mkdir(parents=True)
        assert run_folder.sweep() == 0   # its own: alive
    assert list(temp.iterdir()) == []


def test_a_run_whose_lock_cannot_be_made_leaves_nothing(temp, monkeypatch):
    def no_room(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "open", no_room)
    with pytest.raises(OSError, match="No space"):
        with run_folder.made():
            pass
    assert list(temp.iterdir()) == []


def test_what_a_killed_run_left_is_swept(temp):
    run, folder, listed = start_run(temp)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert folder.is_dir() and listed.is_dir()   # control: nothing removes it by itself
    assert run_folder.sweep() == 1
    assert list(temp.iterdir()) == []


def test_a_live_runs_folder_is_kept(temp):
    run, folder, listed = start_run(temp)
    try:
        assert run_folder.sweep() == 0
        assert folder.is_dir() and listed.is_dir()
    finally:
        run.kill()
        run.wait()
    assert run_folder.sweep() == 1   # control: once its lock is let go, it goes
    assert list(temp.iterdir()) == []


def test_what_is_not_a_dead_runs_folder_is_kept(temp, tmp_path):
    unlocked = temp / "course-grade-unlocked"          # no lock file: being made, or not ours
    unlocked.mkdir()
    elsewhere = tmp_path / "elsewhere"                  # a link to a folder with a lock file
    elsewhere.mkdir()
    (elsewhere / run_folder.LOCK).touch()
    (temp / "course-grade-link").symlink_to(elsewhere)
    outside = tmp_path / "course-outside"               # listed, but not in the temp folder
    outside.mkdir()
    dead = temp / "course-grade-dead"
    (dead / run_folder.STARTED / "0").mkdir(parents=True)
    (dead / run_folder.LOCK).touch()
    (dead / run_folder.STARTED / "0" / run_folder.LEDGER).write_text(f"{outside}\n")
    assert run_folder.sweep() == 1
    assert not dead.exists()
    assert unlocked.is_dir() and (elsewhere / run_folder.LOCK).exists() and outside.is_dir()


@pytest.mark.skipif(os.getuid() != 0, reason="making another user's folder needs root")
def test_another_users_folder_is_kept(temp):
    theirs = temp / "course-grade-theirs"
    theirs.mkdir()
    (theirs / run_folder.LOCK).touch()
    os.chown(theirs, 65534, 65534)
    assert run_folder.sweep() == 0 and theirs.is_dir()
    os.chown(theirs, os.getuid(), os.getgid())   # control: ours, it goes
    assert run_folder.sweep() == 1 and not theirs.exists()



def test_a_killed_dask_workers_task_folder_is_swept_by_its_own_prefix(temp):
    run, folder, listed = start_run(temp, "dask")
    run.kill()
    run.wait()
    assert folder.name.startswith(run_folder.DASK_PREFIX)
    assert run_folder.sweep() == 0 and folder.is_dir()   # not a course grade run's folder
    assert run_folder.sweep(prefix=run_folder.DASK_PREFIX) == 1
    assert list(temp.iterdir()) == []   # its own ledger followed: the listed folder went too


def test_a_run_that_ends_leaves_what_its_own_ledger_lists(temp):
    """Another thread of a live process may have made a listed folder, still in use."""
    with run_folder.made(run_folder.DASK_PREFIX) as folder:
        with run_folder.listing_temp_folders(folder / run_folder.LEDGER):
            elsewhere = Path(tempfile.mkdtemp(prefix="course-other-"))
    assert not folder.exists() and elsewhere.is_dir()
