"""Controls for the protections that live around nbgrader: each attack of the hostile class
succeeds with its one protection switched off, so the hostile tests are known to be able to fail.

(The sandbox's own controls are in test_sandbox.py, the browser's in browser/test_inert_views.py.)
"""

import shutil

import pytest

from course import submissions as subs
from course.build import nbgrader
from course.gradebook import db_url, scores

from hostile_cases import FOLDER, HONEST, NAME, build_cases, write
from hostile_kit import generated  # noqa: F401 (the module-scoped scratch course)

pytestmark = pytest.mark.pipeline


def course_with(base, tmp_path, switch_off: str | None):
    course = tmp_path / "course"
    shutil.copytree(base, course)
    if switch_off:
        with open(course / "nbgrader_config.py", "a") as f:
            f.write(f"\nc.Protections.{switch_off} = False\n")
    return course


def grade_students(course, release, keys, names):
    cases = build_cases(9, 300)
    for name in names:
        cases[name].build(release, keys, course / "submitted" / name / FOLDER)
    write(course / "submitted" / HONEST[1] / FOLDER, subs.typed(release, keys))
    proc = nbgrader(course, "autograde", FOLDER, "--force", check=False)
    return scores(db_url(course), FOLDER), proc


@pytest.mark.parametrize("switch_off, expected", [(None, 0), ("regular_files_only", 9)])
def test_a_notebook_linked_to_the_instructors_copy_scores_full_marks_only_unprotected(
        generated, tmp_path, switch_off, expected):  # noqa: F811
    base, keys, release = generated
    course = course_with(base, tmp_path, switch_off)
    got, _ = grade_students(course, release, keys, ["link_notebook"])
    assert got["link_notebook"]["auto"] == expected


@pytest.mark.parametrize("switch_off", [None, "canonical_metadata"])
def test_a_newer_schema_stops_the_students_after_it_only_unprotected(
        generated, tmp_path, switch_off):  # noqa: F811
    base, keys, release = generated
    course = course_with(base, tmp_path, switch_off)
    got, proc = grade_students(course, release, keys, ["mmm_schema_future"])
    if switch_off:
        assert HONEST[1] not in got, "the honest student after the attacker was graded"
        assert proc.returncode != 0
    else:
        assert got[HONEST[1]]["auto"] == 9 and got["mmm_schema_future"]["auto"] == 9


def exchange_with_planted_links(course, tmp_path):
    """A default (shared folder) exchange whose inbound holds one student's planted links."""
    exchange = tmp_path / "exchange"
    inbound = exchange / "customer-service-in-security" / "inbound"
    planted = inbound / f"eve+{FOLDER}+2026-12-01 10:00:00.000000 UTC+abcd"
    planted.mkdir(parents=True)
    (planted / f"{NAME}.ipynb").symlink_to(course / "source" / FOLDER / f"{NAME}.ipynb")
    (planted / "m1_answers.json").symlink_to(course / "gradebook.db")
    (planted / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    whole = inbound / f"mal+{FOLDER}+2026-12-01 10:00:00.000000 UTC+efgh"
    whole.symlink_to(course / "source" / FOLDER)
    return exchange


@pytest.mark.parametrize("switch_off", [None, "regular_files_only"])
def test_collect_never_turns_a_planted_link_into_a_file_only_unprotected(
        generated, tmp_path, switch_off):  # noqa: F811
    base, _, _ = generated
    course = course_with(base, tmp_path, switch_off)
    exchange = exchange_with_planted_links(course, tmp_path)
    proc = nbgrader(course, "collect", FOLDER, f"--Exchange.root={exchange}",
                    "--CollectApp.check_owner=False", check=False)
    eve = course / "submitted" / "eve" / FOLDER
    collected = [p for p in (course / "submitted").rglob("*") if p.is_file()]
    leaked = [p for p in collected if "BEGIN HIDDEN TESTS" in p.read_text(errors="ignore")
              or p.read_bytes().startswith(b"SQLite format")]
    if switch_off:
        assert leaked, "the control collected no secret: the attack is not real"
    else:
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert not leaked and not any(p.is_symlink() for p in (course / "submitted").rglob("*"))
        assert (eve / "timestamp.txt").is_file()
        assert "is a link" in proc.stderr and "Not collected" in proc.stderr
        assert not (course / "submitted" / "mal" / FOLDER).exists()
