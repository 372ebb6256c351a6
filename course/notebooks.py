"""Reading course notebooks and the course markers in their cells."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from course import content

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


class NotebookError(ValueError):
    """A notebook that cannot be read, with what to do about it."""


def read(path: str | Path) -> nbformat.NotebookNode:
    path = Path(path)
    if not path.exists():
        raise NotebookError(f"{path} does not exist. Check the assignment folder and the name.")
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as err:  # nbformat raises several unrelated types for bad files
        raise NotebookError(f"{path} is not a readable notebook ({type(err).__name__}: {err}). "
                            "Restore it from a checkpoint or fetch a fresh copy.") from None


def course_meta(cell) -> dict:
    return cell.get("metadata", {}).get("course", {})


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def source_notebook(root: Path, module: dict) -> Path:
    return root / "source" / module["folder"] / f"{module['notebook']}.ipynb"


def release_notebook(root: Path, module: dict) -> Path:
    return root / "release" / module["folder"] / f"{module['notebook']}.ipynb"


def answer_cells(nb) -> dict:
    """grade_id -> autograded answer cell."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells
            if nbgrader_meta(c).get("solution") and not nbgrader_meta(c).get("grade")}


def item_cells(nb) -> dict:
    """item id -> graded test cell."""
    return {course_meta(c)["item"]: c for c in nb.cells if course_meta(c).get("role") == "item"}


def solution_value(cell):
    """The key an answer cell's solution region assigns, as a plain value (``qN = <literal>``)."""
    match = SOLUTION.search(cell.source)
    if not match:
        raise NotebookError(f"Answer cell {nbgrader_meta(cell).get('grade_id')} has no solution region.")
    tree = ast.parse(match.group(1))
    assigns = [node for node in tree.body if isinstance(node, ast.Assign)]
    if len(assigns) != 1:
        raise NotebookError(f"Answer cell {nbgrader_meta(cell).get('grade_id')}: the solution must be "
                            "a single assignment of a literal, e.g. q1 = \"b\".")
    return ast.literal_eval(assigns[0].value)


def modules_in(root: Path) -> list[dict]:
    """Catalogue modules whose source folder exists (modules are added one by one)."""
    return [m for m in content.modules() if (root / "source" / m["folder"]).is_dir()]
