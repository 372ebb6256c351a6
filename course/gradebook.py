"""Reading scores back from nbgrader's gradebook."""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry


def db_url(course_dir) -> str:
    return f"sqlite:///{course_dir}/gradebook.db"


def scores(url: str, assignment: str) -> dict:
    """student id -> {"auto": auto-graded score, "max_auto": ..., "cells": {grade_id: score}}."""
    out = {}
    with Gradebook(url) as gb:
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
