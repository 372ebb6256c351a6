"""course.nbgrader_speed's shortcuts apply only where they are safe.

A throw-away copy of a gradebook nbgrader made (course grade's per-worker copy) is opened without
nbgrader's check that every table exists; any other gradebook still gets its tables made."""

from __future__ import annotations

import sqlite3

from nbgrader.api import Gradebook

from course import nbgrader_speed


def tables(path) -> set:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("select name from sqlite_master where type='table'")}


def test_a_new_gradebook_still_gets_every_table(tmp_path):
    nbgrader_speed.install()
    Gradebook(f"sqlite:///{tmp_path / 'new.db'}").close()
    assert {"assignment", "notebook", "grade", "comment"} <= tables(tmp_path / "new.db")


def test_a_scratch_copy_is_opened_without_the_table_check(tmp_path):
    nbgrader_speed.install()
    template, copy = tmp_path / "template.db", tmp_path / "worker.db"
    Gradebook(f"sqlite:///{template}").close()
    url = nbgrader_speed.scratch_copy(template, copy)
    with sqlite3.connect(copy) as db:   # a table gone: only nbgrader's check would make it again
        db.execute("drop table comment")
    Gradebook(url).close()
    assert "comment" not in tables(copy)
    nbgrader_speed.forget(url)          # control: an ordinary gradebook gets the check
    Gradebook(url).close()
    assert "comment" in tables(copy)
