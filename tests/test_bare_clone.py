"""A clone with nothing beside it installs and passes the fast suite, as a new user's would.

The committed HEAD is cloned into an empty temporary folder (no ../shared beside it) and
`make test-fast` runs there: it builds the clone's own .venv from lock/constraints.txt, then runs
every test that needs no nbgrader run, kernel or browser. COURSE_SEEDS is set empty because this
machine may keep the articles at /work/shared/seeds, which the tests would otherwise find.
What is not committed is not in the clone: commit first.
"""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, host_disk

pytestmark = pytest.mark.bare_clone


def git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          timeout=120).stdout.strip()


def test_a_bare_clone_installs_and_passes_the_fast_suite(tmp_path, tmp_path_factory):
    empty = tmp_path / "empty"
    empty.mkdir()
    clone = empty / "clone"
    head = git("rev-parse", "HEAD")
    git("clone", "--quiet", "--no-checkout", str(ROOT), str(clone))
    git("checkout", "--quiet", head, cwd=clone)
    assert os.listdir(empty) == ["clone"] and not (clone / ".venv").exists()

    report = tmp_path / "fast.xml"
    # As a user's shell: nothing from this run's pytest, venv or make (`make test` runs this test).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "VIRTUAL_ENV", "PYTHON", "MAKE", "MFLAGS"))}
    env.update(COURSE_SEEDS="", PYTEST_ADDOPTS=f"--junitxml={report} -p no:cacheprovider",
               PATH=":".join(p for p in env.get("PATH", "").split(":")
                             if not p.startswith(str(ROOT))))
    # Its .venv (about 800 MB, removed after) must not count as growth in the hostile gradings.
    with host_disk(tmp_path_factory, measuring=False):
        try:
            proc = subprocess.run(["make", "test-fast"], cwd=clone, env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=1500)
        finally:
            shutil.rmtree(clone / ".venv", ignore_errors=True)
    tail = proc.stdout[-5000:] + "\n(stderr)\n" + proc.stderr[-1500:]
    assert proc.returncode == 0, f"make test-fast failed in a bare clone of {head[:12]}:\n{tail}"
    assert "seed articles: none found" in proc.stdout, tail

    suite = ET.parse(report).getroot().find("testsuite")
    counts = {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")}
    assert counts["tests"] > 300 and counts["failures"] == counts["errors"] == 0, counts
    assert counts["skipped"] == 0, "nothing may be skipped on a bare clone"
    ran = {case.get("name").split("[")[0] for case in suite.iter("testcase")}
    assert {"test_no_run_of_the_seeds_is_copied_into_the_module",
            "test_every_module_names_an_article_of_the_fingerprint",
            "test_the_fingerprint_is_intact_and_agrees_with_the_articles_beside_the_clone",
            "test_the_environment_is_the_locked_one"} <= ran
