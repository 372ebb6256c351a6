"""Reading scores back from nbgrader's gradebook."""

from __future__ import annotations

import re

from nbgrader import api
from nbgrader.api import BaseCell, Comment, Course, Grade, Gradebook, MissingEntry
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

#: nbgrader's course id when none is configured.
NBGRADER_DEFAULT_COURSE = "default_course"


def db_url(course_dir) -> str:
    return f"sqlite:///{course_dir}/gradebook.db"


#: The password of ``scheme://user:password@host``, up to the last ``@`` (a password may hold one
#: unescaped), and one given in the query string.
_PASSWORD = re.compile(r"^([^:/?#]+://[^:@/?#]*:).*@", re.S)
_QUERY_PASSWORD = re.compile(r"([?&](?:password|passwd|pwd)=)[^&#]*", re.I)


def shown(url: str) -> str:
    """``url`` as a message may show it: without its password (messages end up in logs).

    Read from the text itself, not parsed: the URLs worth naming in an error are often the ones
    SQLAlchemy cannot parse (a typo, a port that is not a number)."""
    return _QUERY_PASSWORD.sub(r"\1***", _PASSWORD.sub(r"\1***@", url))


def existing_course(url: str) -> str | None:
    """The gradebook's own course id; None if it has none (yet) or several.

    nbgrader's own commands also add ``default_course`` beside the configured one, so that row
    does not count when there is another.
    """
    engine = api.create_engine(url, echo=False, future=True)   # as nbgrader: one shared engine
    try:
        with Session(engine) as db:
            ids = db.execute(select(Course.id)).scalars().all()
    except SQLAlchemyError:  # no gradebook tables yet
        return None
    finally:
        engine.dispose()
    named = [i for i in ids if i != NBGRADER_DEFAULT_COURSE] or ids
    return named[0] if len(named) == 1 else None


def open_gradebook(url: str, course_id: str | None = None) -> Gradebook:
    """nbgrader's Gradebook on the course it already holds.

    Opened without a course id, nbgrader's Gradebook adds a ``default_course`` row.
    """
    return Gradebook(url, course_id=course_id or existing_course(url) or NBGRADER_DEFAULT_COURSE)


def scores(url: str, assignment: str) -> dict:
    """student id -> {"auto": auto-graded score, "max_auto": ..., "cells": {grade_id: score}}."""
    out = {}
    with open_gradebook(url) as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            return out
        for sub in submissions:
            cells, auto, max_auto = {}, 0.0, 0.0
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.cell_type == "code" and grade.auto_score is not None:
                        cells[grade.name] = grade.auto_score
                        auto += grade.auto_score
                        max_auto += grade.max_score
                    elif grade.cell_type == "code":
                        cells[grade.name] = 0.0
                        max_auto += grade.max_score
            out[sub.student_id] = {"auto": auto, "max_auto": max_auto, "cells": cells,
                                   "score": sub.score, "max_score": sub.max_score}
    return out


def copy_assignment(src, dst, assignment: str) -> None:
    """Copy an assignment's definition (notebooks and cells, no students) between gradebooks."""
    a = src.find_assignment(assignment)
    dst.update_or_create_assignment(assignment, duedate=a.duedate)
    for nb in a.notebooks:
        dst.update_or_create_notebook(nb.name, assignment)
        for cell in nb.grade_cells:
            dst.update_or_create_grade_cell(cell.name, nb.name, assignment,
                                            max_score=cell.max_score, cell_type=cell.cell_type)
        for cell in nb.solution_cells:
            dst.update_or_create_solution_cell(cell.name, nb.name, assignment)
        for cell in nb.task_cells:
            dst.update_or_create_task_cell(cell.name, nb.name, assignment,
                                           max_score=cell.max_score, cell_type=cell.cell_type)
        for cell in nb.source_cells:
            dst.update_or_create_source_cell(cell.name, nb.name, assignment,
                                             cell_type=cell.cell_type, locked=cell.locked,
                                             source=cell.source, checksum=cell.checksum)


def submission_record(gb, assignment: str, student: str) -> dict:
    """What autograding wrote for one submission, as plain data (to merge elsewhere)."""
    sub = gb.find_submission(assignment, student)
    return {
        "timestamp": sub.timestamp,
        "notebooks": {
            nb.name: {
                "late_submission_penalty": nb.late_submission_penalty,
                "grades": {name: (g.auto_score, g.needs_manual_grade)
                           for name, g in by_cell_name(gb, Grade, nb, "GradeCell").items()},
                "comments": {name: c.auto_comment
                             for name, c in by_cell_name(gb, Comment, nb, "SolutionCell").items()},
            } for nb in sub.notebooks
        },
    }


def merge_submission(gb, assignment: str, student: str, record: dict) -> None:
    """Write one submission's autograding results into ``gb``, as nbgrader autograde would.

    Manual scores, extra credit and manual comments already in ``gb`` are kept.
    """
    gb.update_or_create_student(student)
    gb.update_or_create_submission(assignment, student, timestamp=record["timestamp"])
    for name, nb in record["notebooks"].items():
        sub_nb = gb.find_submission_notebook(name, assignment, student)
        sub_nb.late_submission_penalty = nb["late_submission_penalty"]
        grades = by_cell_name(gb, Grade, sub_nb, "GradeCell")
        for cell, (auto, needs_manual) in nb["grades"].items():
            grade = grades.get(cell) or gb.find_grade(cell, name, assignment, student)
            grade.auto_score, grade.needs_manual_grade = auto, needs_manual
        comments = by_cell_name(gb, Comment, sub_nb, "SolutionCell")
        for cell, auto_comment in nb["comments"].items():
            comment = comments.get(cell) or gb.find_comment(cell, name, assignment, student)
            comment.auto_comment = auto_comment
    gb.db.commit()


def by_cell_name(gb, model, submitted_notebook, preferred: str) -> dict:
    """cell name -> the submitted notebook's Grade or Comment rows, read in one query.

    nbgrader's find_grade and find_comment each run a query of six joins per cell (and reading
    ``.name`` loads each row's cell); a class's merge ran some forty of them per notebook. Where a
    task cell shares a name with a graded (solution) cell, the one nbgrader's lookup tries first,
    ``preferred``, wins, as there.
    """
    rows = gb.db.query(model, BaseCell.name, BaseCell.type) \
        .join(BaseCell, BaseCell.id == model.cell_id) \
        .filter(model.notebook_id == submitted_notebook.id).all()
    found: dict = {}
    for row, name, kind in rows:
        if name not in found or kind == preferred:
            found[name] = row
    return found
