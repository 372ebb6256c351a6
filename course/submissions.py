"""Making submissions the way students do: typing answers, or clicking widgets.

Used by ``course check``, the demo class and the tests. A typed answer replaces the stub line in the
answer cell; a clicked answer is written to the module's answers file exactly as the widget writes it.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import nbformat

from course import content, notebooks, scenarios
from course.answers import AnswerStore, to_json
from course.nbgrader_ext import CODE_STUB


def keys(source_nb) -> dict:
    """item id -> key, from the solution regions of an instructor's source notebook."""
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
        line = f"{content.item(item_id)['var']} = {value!r}"
        if CODE_STUB not in cell.source:
            raise ValueError(f"The answer cell of {item_id} has no stub line to replace.")
        cell.source = cell.source.replace(CODE_STUB, line)
    return nb


def clicked(directory: Path, answers: dict) -> None:
    """Save ``answers`` as the question widgets would after clicks, in ``directory``."""
    for item_id, value in answers.items():
        item = content.item(item_id)
        AnswerStore(content.module_id_of(item_id), directory).save(item_id, to_json(item, value))


def wrong_answer(item_id: str, key, rng: random.Random):
    """A well-formed answer that is not the key: what a learner who misunderstood would give."""
    item = content.item(item_id)
    paths = scenarios.for_item(item).paths() if item["kind"] == "path" else ()
    try:
        return wrong_value(item["kind"], list(item.get("options", {})), key, rng, paths)
    except ValueError as err:
        raise content.ContentError(f"Item {item_id}: {err}") from None


def wrong_value(kind: str, options: list, key, rng: random.Random, paths=()):
    """``wrong_answer`` from plain parts: the item's kind, its option letters, its key and, for a
    path, every complete path through its scenario."""
    if kind == "choice":
        return rng.choice([o for o in options if o != key])
    if kind == "multi":
        wrong = set(key) ^ {rng.choice(options)}  # one option added or dropped
        return wrong or {o for o in options if o not in key}
    if kind == "match":
        values = list(key.values())
        rotated = values[1:] + values[:1]
        return dict(zip(key, rotated))
    if kind == "number":
        return key + 1
    if kind == "path":  # another complete path through the same scenario
        return rng.choice([p for p in paths if p != key])
    raise ValueError(f"unknown kind {kind!r}")


def write_submission(submitted: Path, student: str, folder: str, notebook_name: str, nb,
                     clicks: dict | None = None) -> Path:
    """Place a submission where ``nbgrader autograde`` looks: submitted/<student>/<assignment>/."""
    dest = submitted / student / folder
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest / f"{notebook_name}.ipynb"))
    if clicks:
        clicked(dest, clicks)
    return dest


def answers_file(dest: Path, module_id: str) -> dict:
    path = AnswerStore(module_id, dest).path
    return json.loads(path.read_text()) if path.exists() else {}
