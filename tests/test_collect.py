"""`nbgrader collect` with the course's config, when a student names an inbound entry as they like.

The exchange's inbound folder is writable by every student. Stock collect reads a time from the
name of every entry before it copies anything, so one entry named ``eve+<assignment>+notadate+x``
stops the collection of the whole class (the control). The course's collect skips that entry with
a logged reason and collects everyone else, eve's own well-named submission included. A collected
``timestamp.txt`` holding no date, which would stop the next ``collect --update`` at that student,
is replaced by the time the entry's name gives.
"""

from __future__ import annotations

import shutil

import pytest

from course.build import nbgrader, scratch_course

from conftest import ROOT

FOLDER, NAME = "m1_first_contact", "first_contact"
COURSE_ID = "customer-service-in-security"
STOCK = "--ExchangeFactory.collect=nbgrader.exchange.default.collect.ExchangeCollect"
WHEN = "2026-12-01 10:00:00.000000 UTC"
EARLIER = "2026-11-30 09:00:00.000000 UTC"
#: Entries eve names as she likes, beside her real submission.
PLANTED = (f"eve+{FOLDER}+notadate+x", f"eve+{FOLDER}+99999999999999999999999+y")


def plant(inbound, name: str, stamp: str, body: str) -> None:
    entry = inbound / name
    entry.mkdir(parents=True)
    (entry / f"{NAME}.ipynb").write_text(body)
    (entry / "timestamp.txt").write_text(stamp)


@pytest.fixture()
def course(tmp_path):
    """A course and a default exchange whose inbound holds honest entries around eve's."""
    course = tmp_path / "course"
    course.mkdir()
    scratch_course(ROOT, course, [FOLDER])
    inbound = tmp_path / "exchange" / COURSE_ID / "inbound"
    plant(inbound, f"ann+{FOLDER}+{WHEN}+r1", WHEN, "ann's work")
    plant(inbound, f"eve+{FOLDER}+{EARLIER}+r2", EARLIER, "eve's work")
    for name in PLANTED:
        plant(inbound, name, WHEN, "planted")
    plant(inbound, f"bob+{FOLDER}+{WHEN}+r3", "not a date at all", "bob's work")
    plant(inbound, f"zed+{FOLDER}+{WHEN}+r4", WHEN, "zed's work")
    return course, tmp_path / "exchange"


def collect(course, exchange, *extra):
    return nbgrader(course, "collect", FOLDER, f"--Exchange.root={exchange}",
                    "--CollectApp.check_owner=False", *extra, check=False)


def collected(course) -> dict:
    return {p.parent.parent.name: p.read_text()
            for p in (course / "submitted").glob(f"*/{FOLDER}/{NAME}.ipynb")}


@pytest.mark.parametrize("planted, error", list(zip(PLANTED, (
    "dateutil.parser._parser.ParserError: Unknown string format",   # a ValueError
    "OverflowError"))))
def test_control_stock_collect_stops_for_the_whole_class_at_one_name(course, planted, error):
    course, exchange = course
    for other in PLANTED:
        if other != planted:
            shutil.rmtree(exchange / COURSE_ID / "inbound" / other)
    proc = collect(course, exchange, STOCK)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1].startswith(error), proc.stderr[-2000:]
    assert collected(course) == {}


def test_control_stock_update_stops_at_a_collected_timestamp_that_holds_no_date(course):
    course, exchange = course
    for name in PLANTED:   # without eve's planted names, stock collect gets through once
        shutil.rmtree(exchange / COURSE_ID / "inbound" / name)
    assert collect(course, exchange, STOCK).returncode == 0
    assert (course / "submitted" / "bob" / FOLDER / "timestamp.txt").read_text() == \
        "not a date at all"
    proc = collect(course, exchange, STOCK, "--update")   # nbgrader then fails while failing
    assert proc.returncode != 0 and "get_existing_timestamp" in proc.stderr, proc.stderr[-2000:]


def test_a_badly_named_entry_is_skipped_with_the_reason_and_the_class_collected(course):
    course, exchange = course
    proc = collect(course, exchange)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert collected(course) == {"ann": "ann's work", "bob": "bob's work", "eve": "eve's work",
                                 "zed": "zed's work"}
    assert "Not collected: " in proc.stderr and "notadate" in proc.stderr
    assert "'notadate' is not a date" in proc.stderr
    assert "'99999999999999999999999' is not a date" in proc.stderr


def test_a_timestamp_that_holds_no_date_is_replaced_so_update_goes_on(course):
    course, exchange = course
    proc = collect(course, exchange)
    assert "timestamp.txt from" in proc.stderr and "held no date" in proc.stderr
    assert (course / "submitted" / "bob" / FOLDER / "timestamp.txt").read_text() == WHEN
    proc = collect(course, exchange, "--update")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(collected(course)) == 4
