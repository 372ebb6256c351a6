"""Gradebook look-ups done in one query per kind instead of one per cell.

course grade's worker reads a submission's autograding results and the parent writes them into
the class gradebook; nbgrader's OverwriteCells and SaveAutoGrades look up each cell (through
course.nbgrader_speed's PrefetchingGradebook). Each must give what nbgrader's own per-cell
look-ups give, fail as they fail, and keep what an instructor entered by hand."""

from __future__ import annotations

import pytest
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import overwritecells, saveautogrades

from course import gradebook as gbk, nbgrader_speed

A, NB = "m9_demo", "demo"


def gradebook(path, collide: bool = False) -> Gradebook:
    nbgrader_speed.install()   # a new gradebook's schema revision, asked in-process
    gb = Gradebook(f"sqlite:///{path}", "course101")
    gb.add_assignment(A)
    gb.add_notebook(NB, A)
    for name, points in (("q1", 1), ("q2", 2)):
        gb.add_grade_cell(f"test_{name}", NB, A, max_score=points, cell_type="code")
        gb.add_solution_cell(name, NB, A)
    gb.add_grade_cell("reflect", NB, A, max_score=4, cell_type="markdown")
    gb.add_solution_cell("reflect", NB, A)
    gb.add_task_cell("task", NB, A, max_score=1, cell_type="markdown")
    for name in ("q1", "test_q1", "q2", "test_q2", "reflect", "task"):
        gb.add_source_cell(name, NB, A, cell_type="code", locked=name.startswith("test"),
                           source=f"# {name}", checksum=name)
    if collide:   # task cells named as a grade cell and a solution cell: nbgrader's come first
        gb.add_task_cell("test_q2", NB, A, max_score=1, cell_type="markdown")
        gb.add_task_cell("q1", NB, A, max_score=1, cell_type="markdown")
    gb.add_student("ana")
    gb.add_submission(A, "ana")
    return gb


def nbgraders_own_lookups(gb) -> dict:
    sub = gb.find_submission_notebook(NB, A, "ana")
    return {"grades": {g.name: (g.auto_score, g.needs_manual_grade) for g in sub.grades},
            "comments": {c.name: c.auto_comment for c in sub.comments}}


def test_the_record_is_what_nbgraders_lookups_read(tmp_path):
    with gradebook(tmp_path / "g.db") as gb:
        gb.find_grade("test_q2", NB, A, "ana").auto_score = 2
        gb.find_comment("q1", NB, A, "ana").auto_comment = "well formed"
        gb.db.commit()
        record = gbk.submission_record(gb, A, "ana")["notebooks"][NB]
        expected = nbgraders_own_lookups(gb)
    assert {"grades": record["grades"], "comments": record["comments"]} == expected
    assert set(expected["grades"]) == {"test_q1", "test_q2", "reflect", "task"}


def test_merging_writes_the_automatic_results_and_keeps_the_instructors(tmp_path):
    with gradebook(tmp_path / "worker.db") as worker:
        worker.find_grade("test_q1", NB, A, "ana").auto_score = 1
        worker.find_grade("test_q2", NB, A, "ana").auto_score = 0
        worker.find_comment("q2", NB, A, "ana").auto_comment = "No response."
        worker.db.commit()
        record = gbk.submission_record(worker, A, "ana")
    with gradebook(tmp_path / "class.db") as gb:
        gb.find_grade("reflect", NB, A, "ana").manual_score = 3
        gb.find_grade("test_q2", NB, A, "ana").extra_credit = 0.5
        gb.find_comment("reflect", NB, A, "ana").manual_comment = "Good reasoning."
        gb.db.commit()
        gbk.merge_submission(gb, A, "ana", record)
        assert gb.find_grade("test_q1", NB, A, "ana").auto_score == 1
        assert gb.find_grade("test_q2", NB, A, "ana").auto_score == 0
        assert gb.find_comment("q2", NB, A, "ana").auto_comment == "No response."
        assert gb.find_grade("reflect", NB, A, "ana").manual_score == 3
        assert gb.find_grade("test_q2", NB, A, "ana").extra_credit == 0.5
        assert gb.find_comment("reflect", NB, A, "ana").manual_comment == "Good reasoning."
        merged = record["notebooks"][NB]
        assert nbgraders_own_lookups(gb) == {"grades": merged["grades"],
                                             "comments": merged["comments"]}


def test_nbgraders_cell_steps_use_the_prefetching_gradebook():
    nbgrader_speed.install()
    assert overwritecells.Gradebook is saveautogrades.Gradebook
    assert issubclass(overwritecells.Gradebook, Gradebook)
    assert overwritecells.Gradebook is not Gradebook


LOOKUPS = [("find_source_cell", ("q1", NB, A)), ("find_source_cell", ("task", NB, A)),
           ("find_graded_cell", ("test_q2", NB, A)), ("find_graded_cell", ("task", NB, A)),
           ("find_graded_cell", ("reflect", NB, A)),
           ("find_grade", ("test_q1", NB, A, "ana")), ("find_grade", ("task", NB, A, "ana")),
           ("find_comment", ("reflect", NB, A, "ana")), ("find_comment", ("task", NB, A, "ana")),
           ("find_grade", ("test_q2", NB, A, "ana")), ("find_comment", ("q1", NB, A, "ana"))]
MISSING = [("find_source_cell", ("forged", NB, A)), ("find_source_cell", ("q1", "other", A)),
           ("find_graded_cell", ("q2", NB, A)),          # a solution cell, not graded
           ("find_grade", ("q2", NB, A, "ana")), ("find_grade", ("test_q1", NB, A, "bo")),
           ("find_comment", ("test_q1", NB, A, "ana"))]


@pytest.mark.parametrize("method,args", LOOKUPS, ids=[f"{m}{a[:1]}" for m, a in LOOKUPS])
def test_a_prefetched_lookup_finds_the_row_nbgrader_finds(tmp_path, method, args):
    gradebook(tmp_path / "g.db", collide=True).close()
    url = f"sqlite:///{tmp_path / 'g.db'}"
    with Gradebook(url, "course101") as stock, overwritecells.Gradebook(url, "course101") as fast:
        assert getattr(fast, method)(*args).id == getattr(stock, method)(*args).id
        assert getattr(fast, method)(*args).id == getattr(stock, method)(*args).id   # cached


@pytest.mark.parametrize("method,args", MISSING, ids=[f"{m}{a[:2]}" for m, a in MISSING])
def test_a_prefetched_lookup_fails_as_nbgraders_does(tmp_path, method, args):
    gradebook(tmp_path / "g.db", collide=True).close()
    url = f"sqlite:///{tmp_path / 'g.db'}"
    with Gradebook(url, "course101") as stock, overwritecells.Gradebook(url, "course101") as fast:
        with pytest.raises(MissingEntry) as expected:
            getattr(stock, method)(*args)
        with pytest.raises(MissingEntry) as got:
            getattr(fast, method)(*args)
    assert str(got.value) == str(expected.value)


def test_where_names_collide_the_kind_nbgrader_tries_first_wins_in_any_row_order():
    class Rows:   # the query's rows, task cell first: SQL promises no order
        def __init__(self, rows):
            self.rows = rows

        def query(self, *columns):
            return self

        join = filter = lambda self, *args: self

        def all(self):
            return self.rows

    task, graded = object(), object()
    gb = type("GB", (), {"db": Rows([(task, "q1", "TaskCell"), (graded, "q1", "GradeCell")])})()
    notebook = type("NB", (), {"id": "n"})()
    from nbgrader.api import Grade as GradeRow
    assert gbk.by_cell_name(gb, GradeRow, notebook, "GradeCell") == {"q1": graded}
    gb.db.rows.reverse()
    assert gbk.by_cell_name(gb, GradeRow, notebook, "GradeCell") == {"q1": graded}


def graded_notebook():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    def marked(cell, grade_id, **meta):
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "grade": False, "solution": False,
                                     "locked": False, "schema_version": 3, **meta}
        return cell

    return new_notebook(cells=[
        marked(new_code_cell("answer = 'B'"), "q1", solution=True),
        marked(new_code_cell("check(answer)"), "test_q1", grade=True, points=1),
        marked(new_code_cell("answer = None"), "q2", solution=True, checksum="x"),
        marked(new_code_cell("check(answer)", outputs=[new_output(
            "error", ename="AssertionError", evalue="", traceback=[])]), "test_q2", grade=True,
            points=2),
        marked(new_markdown_cell("My reflection."), "reflect", grade=True, solution=True,
               points=4),
    ])


def saved_rows(url) -> dict:
    with Gradebook(url, "course101") as gb:
        sub = gb.find_submission_notebook(NB, A, "ana")
        return {"grades": {g.name: (g.auto_score, g.needs_manual_grade) for g in sub.grades},
                "comments": {c.name: c.auto_comment for c in sub.comments}}


def save_autogrades(url, notebook=None) -> int:
    """nbgrader's SaveAutoGrades on the graded notebook; the commits it made."""
    from nbgrader.preprocessors import SaveAutoGrades
    from sqlalchemy import event
    from nbgrader import api

    commits = []

    def count(connection):
        commits.append(connection)

    engine = api.create_engine(url, echo=False, future=True)   # the one nbgrader's gradebook uses
    event.listen(engine, "commit", count)
    resources = {"nbgrader": {"notebook": NB, "assignment": A, "student": "ana", "db_url": url}}
    try:
        SaveAutoGrades().preprocess(notebook or graded_notebook(), resources)
    finally:
        event.remove(engine, "commit", count)
    return len(commits)


def test_save_autogrades_writes_the_same_rows_in_one_commit(tmp_path, monkeypatch):
    nbgrader_speed.install()
    for name in ("stock", "fast"):
        gradebook(tmp_path / f"{name}.db").close()
    fast_url, stock_url = (f"sqlite:///{tmp_path / n}.db" for n in ("fast", "stock"))
    fast_commits = save_autogrades(fast_url)
    monkeypatch.setattr(saveautogrades, "Gradebook", Gradebook)   # control: nbgrader's own
    stock_commits = save_autogrades(stock_url)
    assert saved_rows(fast_url) == saved_rows(stock_url)
    assert saved_rows(fast_url)["grades"]["test_q1"] == (1.0, False)
    assert saved_rows(fast_url)["grades"]["test_q2"] == (0.0, False)
    assert saved_rows(fast_url)["grades"]["reflect"] == (None, True)
    # Three grades and three comments: nbgrader's six commits, one per cell, become one (opening
    # the gradebook commits the same in both).
    assert stock_commits - fast_commits == 5


def test_a_notebook_that_stops_save_autogrades_leaves_what_nbgrader_would(tmp_path, monkeypatch):
    """Cells before the failing one keep their rows, as with nbgrader's commit per cell."""
    nbgrader_speed.install()
    broken = graded_notebook()
    broken.cells[3].metadata.nbgrader["points"] = "two"   # float() fails on the fourth cell
    for name in ("stock", "fast"):
        gradebook(tmp_path / f"{name}.db").close()
    fast_url, stock_url = (f"sqlite:///{tmp_path / n}.db" for n in ("fast", "stock"))
    with pytest.raises(ValueError):
        save_autogrades(fast_url, broken)
    monkeypatch.setattr(saveautogrades, "Gradebook", Gradebook)
    with pytest.raises(ValueError):
        save_autogrades(stock_url, broken)
    assert saved_rows(fast_url) == saved_rows(stock_url)
    assert saved_rows(fast_url)["grades"]["test_q1"] == (1.0, False)   # saved before the stop
    assert saved_rows(fast_url)["grades"]["test_q2"][0] is None   # never reached
