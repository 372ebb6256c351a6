"""Shared fixtures: the course root, its modules, parsed notebooks, the seeds' fingerprint."""

from __future__ import annotations

import contextlib
import fcntl
import re
import socket
import subprocess
from pathlib import Path

import pytest

import seed_fingerprint
from course import items, notebooks

ROOT = Path(__file__).resolve().parents[1]

MODULES = notebooks.modules_in(ROOT)


def module_ids():
    return [m["id"] for m in MODULES]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session", params=MODULES, ids=module_ids())
def module(request) -> dict:
    return request.param


@pytest.fixture(scope="session")
def source_nb(module):
    return notebooks.read(notebooks.source_notebook(ROOT, module))


@pytest.fixture(scope="session")
def release_nb(module):
    return notebooks.read(notebooks.release_notebook(ROOT, module))


@pytest.fixture(scope="session")
def fingerprint() -> seed_fingerprint.Fingerprint:
    """The seed articles as hashed runs (tests/seed_fingerprint.json): no article needed."""
    return seed_fingerprint.Fingerprint.load()


def pytest_report_header():
    return [seed_header(), chromium_header()]


def seed_header() -> str:
    """Say whether the fingerprint is being compared with the articles (it is on the team's
    machines and in CI, where ../shared/seeds sits beside the clone; not on a bare clone)."""
    try:
        folder = seed_fingerprint.seed_folder()
    except seed_fingerprint.FingerprintError as err:
        return f"seed articles: {err}"
    if folder is None:
        return ("seed articles: none found; originality is checked against "
                "tests/seed_fingerprint.json, which is not compared with them here")
    return f"seed articles: {folder} (compared with tests/seed_fingerprint.json)"


def chromium_header() -> str:
    """Debian's chromium is not pinned: say when it is not the one the lock was tested with."""
    locked = re.search(r"^#\s+chromium (\S+)", (ROOT / "lock" / "constraints.txt").read_text(),
                       re.M)
    try:
        found = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                               timeout=30).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return "chromium: not installed yet (make test installs Debian's)"
    version = next((w for w in found if re.match(r"\d+\.", w)), "unknown")
    if locked and version.split(".")[0] != locked.group(1).split(".")[0]:
        return (f"chromium: {version}, but lock/constraints.txt was made with {locked.group(1)}; "
                "if a browser test fails, run `make lock` and test again")
    return f"chromium: {version} (the lock was made with {locked.group(1) if locked else '?'})"


@pytest.fixture()
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder, as a kernel runs in the notebook's folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def all_items():
    """Every item spec of every module that source/ holds."""
    return [it for m in MODULES for it in items.items(m["id"])]


def free_port() -> int:
    """A loopback port nobody listens on (for the servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def host_disk(tmp_path_factory, *, measuring: bool):
    """Keep the tests that measure the host's disk apart from those that fill it on purpose.

    The hostile gradings check that the disk did not grow while they ran (``measuring``: they may
    run together); the bare clone's .venv adds about 800 MB and goes again, so it runs alone. The
    lock file is shared by every xdist worker of one run.
    """
    lock = tmp_path_factory.getbasetemp().parent / "host-disk.lock"
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if measuring else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pytest_collection_modifyitems(items):
    """Hand out the slow files first (`make test` runs `--dist loadfile --no-loadscope-reorder`).

    xdist would otherwise order files by their number of tests, so a file with one long test
    (the hub) started last and ran alone at the end. Files that drive a browser or nbgrader, and
    the bare clone's install and fast suite, go first; the order within each file is kept.
    """
    items.sort(key=lambda item: not any(item.get_closest_marker(slow)
                                        for slow in ("browser", "pipeline", "bare_clone")))
