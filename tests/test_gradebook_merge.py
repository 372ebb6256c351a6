"""course grade's worker reads a submission's autograding results; the parent writes them into the
class gradebook. Both read the cells' rows by name in one query each: they must give what
nbgrader's own per-cell lookups give, and keep what an instructor entered by hand."""

from __future__ import annotations

from nbgrader.api import Gradebook

from course import gradebook as gbk, nbgrader_speed

A, NB = "m9_demo", "demo"


def gradebook(path) -> Gradebook:
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
