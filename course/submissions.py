"""Making submissions the way students do: typing answers, or clicking widgets.

Used by ``course check``, the demo class and the tests. A typed answer replaces the stub line in the
answer cell; a clicked answer is written to the module's answers file exactly as the widget writes it.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from course import items, notebooks
from course.answers import AnswerStore
from course.items import literal
from course.nbgrader_ext import CODE_STUB


def keys(source_nb) -> dict:
    """item id -> the answer that earns every point, from the solution regions of an instructor's
    source notebook (for most kinds the key itself; for a scenario, a path to its best ending)."""
    return {gid: notebooks.solution_value(cell)
            for gid, cell in notebooks.answer_cells(source_nb).items()}


def points(nb) -> dict:
    """item id -> points of its test cell."""
    return {item: notebooks.nbgrader_meta(cell).get("points", 0)
            for item, cell in notebooks.item_cells(nb).items()}


def typed(release_nb, answers: dict):
    """A copy of the student notebook with ``answers`` (item id -> value) typed in."""
    nb = copy.deepcopy(release_nb)
    cells = notebooks.answer_cells(nb)
    for item_id, value in answers.items():
        cell = cells[item_id]
        line = f"{items.item(item_id).var} = {literal(value)}"
        if CODE_STUB not in cell.source:
            raise ValueError(f"The answer cell of {item_id} has no stub line to replace.")
        cell.source = cell.source.replace(CODE_STUB, line)
    return nb


def clicked(directory: Path, answers: dict) -> None:
    """Save ``answers`` as the question widgets would after clicks, in ``directory``."""
    for item_id, value in answers.items():
        item = items.item(item_id)
        AnswerStore(item.module, directory).save(item_id, item.to_json(value))


def write_submission(submitted: Path, student: str, folder: str, notebook_name: str, nb,
                     clicks: dict | None = None) -> Path:
    """Place a submission where ``nbgrader autograde`` looks: submitted/<student>/<assignment>/."""
    dest = submitted / student / folder
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest / f"{notebook_name}.ipynb"))
    if clicks:
        clicked(dest, clicks)
    return dest
