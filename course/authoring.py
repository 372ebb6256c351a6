"""Cell builders for authors: every nbgrader and course marker set right, in one place.

Source notebooks in ``source/`` are the truth, and they can be edited in JupyterLab like any other.
These builders are for writing or extending a notebook from Python (and for test fixtures), so
nobody has to remember the exact metadata of an autograded answer or a hidden-test cell.
CONTRIBUTING.md lists what each marker means.
"""

from __future__ import annotations

import re
import textwrap

import nbformat

SCHEMA = 3  # nbgrader's cell metadata schema version


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _cell_id(seed: str) -> str:
    # Stable, readable ids keep diffs small and let reports point at cells.
    return re.sub(r"[^A-Za-z0-9-]+", "-", seed).strip("-")[:64]


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def lesson(cell_id: str, text: str, *, themes=(), section: str | None = None):
    """Teaching prose. ``themes`` marks the themes this section teaches; ``section`` names it."""
    cell = nbformat.v4.new_markdown_cell(_clean(text), id=_cell_id(cell_id))
    if themes or section:
        cell.metadata["course"] = {"role": "lesson", "themes": list(themes)}
        if section:
            cell.metadata["course"]["section"] = section
    return cell


def readonly_code(cell_id: str, source: str, *, role: str = "setup", themes=()):
    """Provided code the learner runs but may not change (nbgrader restores it when grading)."""
    cell = nbformat.v4.new_code_cell(_clean(source), id=_cell_id(cell_id))
    cell.metadata["nbgrader"] = _nbgrader(cell_id, locked=True)
    cell.metadata["course"] = {"role": role, "themes": list(themes)}
    return cell


def tryout(cell_id: str, source: str, *, themes=()):
    """A widget or figure the learner plays with: the 'try it' of a theme."""
    return readonly_code(cell_id, source, role="try", themes=themes)


def answer(grade_id: str, source: str):
    """An autograded answer cell; put the solution between ### BEGIN/END SOLUTION."""
    cell = nbformat.v4.new_code_cell(_clean(source), id=_cell_id(grade_id))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
    return cell


def tests(grade_id: str, source: str, *, points: int, themes, item: str):
    """A graded test cell: a visible form check, then ### BEGIN/END HIDDEN TESTS."""
    cell = nbformat.v4.new_code_cell(_clean(source), id=_cell_id(grade_id))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, locked=True, points=points)
    cell.metadata["course"] = {"role": "item", "item": item, "themes": list(themes)}
    return cell


def reflection(grade_id: str, *, points: int, themes, stub: str = "YOUR ANSWER HERE"):
    """A manually graded written answer."""
    cell = nbformat.v4.new_markdown_cell(stub, id=_cell_id(grade_id))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=True, points=points)
    cell.metadata["course"] = {"role": "reflection", "themes": list(themes)}
    return cell


def rubric(cell_id: str, text: str, *, for_cell: str):
    """The marking guide for a reflection: kept in source/, removed from every student version."""
    cell = nbformat.v4.new_markdown_cell(_clean(text), id=_cell_id(cell_id))
    cell.metadata["course"] = {"role": "rubric", "for": for_cell}
    return cell


def notebook(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write(nb, path) -> None:
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
