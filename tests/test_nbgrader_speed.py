"""course.nbgrader_speed's shortcuts apply only where they are safe.

A throw-away copy of a gradebook nbgrader made (course grade's per-worker copy) is opened without
nbgrader's check that every table exists; any other gradebook still gets its tables made. An
output is checked by a compiled validator, with exactly nbformat's verdict and error. A submission
just read is exported without nbconvert's deep copies, and to the same notebook."""

from __future__ import annotations

import copy
import os
import sqlite3
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import nbbase, new_output
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor
from nbgrader.api import Gradebook

from course import nbgrader_speed
from course.nbgrader_ext import OwnedNotebook

ROOT = Path(__file__).resolve().parents[1]


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


def statements(url: str, course: str) -> list:
    """The SQL statements one open and close of the gradebook at ``url`` sends."""
    from sqlalchemy import event

    from nbgrader import api
    sent = []
    engine = api.create_engine(url, echo=False, future=True)   # the shared engine
    listen = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        Gradebook(url, course).close()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return sent


def test_a_copy_found_to_hold_its_course_is_opened_without_a_query(tmp_path):
    nbgrader_speed.install()
    template, copy_path = tmp_path / "template.db", tmp_path / "worker.db"
    Gradebook(f"sqlite:///{template}", "course101").close()
    url = nbgrader_speed.scratch_copy(template, copy_path)
    assert any("course" in sql for sql in statements(url, "course101"))   # the first open asks
    assert statements(url, "course101") == []
    other = statements(url, "another")   # a course the copy lacks is added, as nbgrader does
    with sqlite3.connect(copy_path) as db:
        assert {"course101", "another"} <= {row[0] for row in db.execute("select id from course")}
    assert any(sql.lstrip().upper().startswith("INSERT") for sql in other)
    nbgrader_speed.scratch_copy(template, copy_path)   # reset: the copy is asked again
    assert any("course" in sql for sql in statements(url, "course101"))
    nbgrader_speed.forget(url)          # control: an ordinary gradebook is asked every time
    assert statements(url, "course101") and statements(url, "course101")


OUTPUTS = [
    new_output("stream", name="stdout", text="Noted: the caller is safe.\n"),
    new_output("stream", name="stderr", text="a warning\n"),
    new_output("display_data", data={"text/plain": "<Figure>", "image/png": "iVBORw0KGgo="},
               metadata={"image/png": {"width": 400}}),
    new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {
        "model_id": "ab12", "version_major": 2, "version_minor": 0}, "text/plain": "Dropdown"}),
    new_output("execute_result", data={"text/plain": "3"}, execution_count=4),
    new_output("error", ename="ValueError", evalue="no such option", traceback=["line 1"]),
]


def spoiled(output) -> list:
    """The output with each of its fields taken away or of the wrong kind, and with extras."""
    spoilt = []
    for key in output:
        gone = copy.deepcopy(output)
        del gone[key]
        spoilt.append(gone)
        for value in (12345, None, [], {}, "text", ["a", 1]):
            wrong = copy.deepcopy(output)
            wrong[key] = value
            spoilt.append(wrong)
    spoilt.append({**copy.deepcopy(output), "extra": 1})
    for key, value in (("no-slash", "x"), ("text/plain", 5), ("application/json", "text"),
                       ("image/png", ["a"])):
        if "data" in output:
            wrong = copy.deepcopy(output)
            wrong["data"][key] = value
            spoilt.append(wrong)
    return spoilt


def verdict(validate, node, ref):
    try:
        validate(node, ref)
    except nbformat.ValidationError as err:
        return str(err)
    return None


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda o: o["output_type"])
def test_an_output_gets_nbformats_own_verdict_and_error(output):
    nbgrader_speed.install()
    compiled, stock = nbbase.validate, nbbase.validate.stock
    invalid = 0
    for node in [output, *spoiled(output)]:
        for ref in nbgrader_speed.OUTPUT_DEFINITIONS:
            expected = verdict(stock, node, ref)
            assert verdict(compiled, node, ref) == expected, (ref, node)
            invalid += expected is not None
    assert invalid > 20   # the spoiled ones were refused, and by both


def test_a_valid_output_is_not_checked_again_by_jsonschema(monkeypatch):
    nbgrader_speed.install()
    asked = []
    stock = nbformat.validate
    monkeypatch.setattr(nbformat, "validate", lambda *a, **k: asked.append(a) or stock(*a, **k))
    for output in OUTPUTS:
        new_output(**output)
    assert asked == []
    with pytest.raises(nbformat.ValidationError):   # control: one it refuses goes to nbformat's
        new_output("stream", name=3, text="x")
    assert len(asked) == 1


class Seen(Preprocessor):
    """Appends a cell, and notes which notebook object it was handed."""
    handed: list = []

    def preprocess(self, nb, resources):
        Seen.handed.append(nb)
        nb.cells.append(nbformat.v4.new_markdown_cell("graded", id="added-by-the-test"))
        return nb, resources


@pytest.mark.parametrize("owned", [True, False], ids=["owned", "control-copied"])
def test_an_owned_notebook_is_exported_as_a_copied_one_is_but_never_copied(owned):
    nb = nbformat.read(ROOT / "release" / "m1_first_contact" / "first_contact.ipynb", 4)
    exporter = NotebookExporter(preprocessors=[ClearOutputPreprocessor, Seen])
    expected, _ = exporter.from_notebook_node(copy.deepcopy(nb))
    given = OwnedNotebook(copy.deepcopy(nb)) if owned else copy.deepcopy(nb)
    Seen.handed = []
    text, _ = exporter.from_notebook_node(given)
    assert text == expected
    assert (Seen.handed[0] is given) == owned   # control: nbconvert's own copy is handed on


# ---------------------------------------------------------------- forked workers
def engine_in_a_fork(url: str) -> str:
    """What a process forked now gets for ``url``: this process's engine ("the parent's"), or
    one of its own, with the parent's kept aside ("its own, the parent's kept")."""
    from nbgrader import api
    parent = api.create_engine(url)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # course grade's workers are forked so, from the grading process
        try:
            kept = any(engine is parent for engine in nbgrader_speed._engines.inherited)
            answer = ("the parent's" if api.create_engine(url) is parent else
                      "its own, the parent's kept" if kept else "its own")
            os.write(write, answer.encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as answer:
        return answer.read().decode()


def test_a_forked_worker_makes_gradebook_engines_of_its_own(tmp_path):
    """An engine's pooled connections belong to the process that opened them; a worker that used
    its parent's, or closed them, would share or end the parent's sessions."""
    nbgrader_speed.install()
    assert engine_in_a_fork(f"sqlite:///{tmp_path / 'gradebook.db'}") == \
        "its own, the parent's kept"


def test_control_without_setting_them_aside_a_fork_uses_its_parents_engine(tmp_path,
                                                                          monkeypatch):
    nbgrader_speed.install()
    monkeypatch.setattr(nbgrader_speed._Engines, "set_aside", lambda self: None)
    assert engine_in_a_fork(f"sqlite:///{tmp_path / 'gradebook.db'}") == "the parent's"
