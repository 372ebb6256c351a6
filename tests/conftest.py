"""Shared fixtures: the course root, its modules, and parsed notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from course import content, notebooks

ROOT = Path(__file__).resolve().parents[1]
#: The seed articles sit beside the checkout (../shared/seeds); COURSE_SEEDS overrides.
SEEDS = Path(os.environ.get("COURSE_SEEDS", ROOT.parent / "shared" / "seeds"))

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


@pytest.fixture()
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder, as a kernel runs in the notebook's folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def all_items():
    return [it for m in MODULES for it in content.items(m["id"])]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """How `make test` spreads the run over workers (`--dist loadgroup --no-loadscope-reorder`).

    Each test file is one group, so its module fixtures (a JupyterLab server, a graded course)
    start once; a file may split itself into groups of its own with ``xdist_group`` marks (the two
    hostile gradings, one browser page per notebook). The slow groups, those that drive a browser
    or nbgrader, are handed out first so that no long one starts last and runs alone at the end.
    """
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    items.sort(key=lambda item: not (item.get_closest_marker("browser")
                                     or item.get_closest_marker("pipeline")))
