"""An item's notebook cells, generated from its spec and its key: written once, never by hand.

Each auto-graded item is four cells in the source notebook: the prompt (its heading, the situation
and how it is scored), the question widget, the answer cell (solution region) and the test cell
(the visible form check, then the hidden test in the one shape the grader parses:
``expect(item_id, answer, <literal key>)``). ``course build`` regenerates them from
``course/content/<folder>.toml`` and ``source/<folder>/keys.toml`` before nbgrader runs, so the
item's id, number, points, themes and key are written once each; ``course build --check`` and the
tests fail when a generated cell was edited by hand.

To place a new item, put a markdown cell holding only ``{{ item m6_q1_slug }}`` where it belongs
and run ``course build``: the placeholder becomes the item's cells.
"""

from __future__ import annotations

import copy
import re

import nbformat

from course import items
from course.items import Item, literal
from course.notebooks import NotebookError, course_meta

SCHEMA = 3  # nbgrader's cell metadata schema version
PLACEHOLDER = re.compile(r"^\{\{\s*item\s+(\S+)\s*\}\}$")
#: The roles of an item's generated cells, in order.
ROLES = ("prompt", "ask", "answer", "item")
#: Cells that only call the package. Officers should see a lesson, not code: JupyterLab hides
#: these inputs (``jupyter.source_hidden``), and a learner can still open one by clicking it.
HIDDEN_INPUT_ROLES = ("setup", "try", "ask", "item")
HIDDEN_INPUT = {"source_hidden": True}


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution}
    if points is not None:
        meta["points"] = int(points) if float(points).is_integer() else points
    return meta


def _slug(text: str) -> str:
    return text.replace("_", "-")


def prompt_text(item: Item) -> str:
    points = f"{item.points:g} point{'s' * (item.points != 1)}"
    parts = [f"### {item.label} ({points})"]
    if item.context.strip():
        parts.append(item.context.strip())
    if not item.widget:
        parts.append(f"**{item.question.strip()}**")
    notes = []
    if item.RULE:
        notes.append(f"Scoring: {item.RULE}.")
    if item.skill_check:
        notes.append("This is a skill check: it counts towards your score, not towards the "
                     "mastery of a theme.")
    if notes:
        parts.append("*" + " ".join(notes) + "*")
    return "\n\n".join(parts)


def answer_source(item: Item, key) -> str:
    form = f"{item.var} = {literal(item.example())}"
    # In the student's version the solution region becomes the line "# YOUR ANSWER HERE".
    if not item.widget:
        how = "# Type your answer on the line after # YOUR ANSWER HERE, like this:  "
    elif item.LOCKS:
        how = "# Play the scenario above, or type your path after # YOUR ANSWER HERE, like this:  "
    else:
        how = "# Click your answer above, or type it after # YOUR ANSWER HERE, like this:  "
    return "\n".join([how + form, f'{item.var} = saved_answer("{item.id}")',
                      "### BEGIN SOLUTION", f"{item.var} = {literal(item.solution(key))}",
                      "### END SOLUTION"])


def test_source(item: Item, key) -> str:
    return "\n".join([
        f'"""{item.label}: checks that your answer can be marked (not whether it is right)."""',
        f'check_answer("{item.id}", {item.var})',
        "### BEGIN HIDDEN TESTS",
        "from course.hidden_tests import expect",
        f'expect("{item.id}", {item.var}, {literal(key)})',
        "### END HIDDEN TESTS"])


def item_cells(item: Item, key) -> list:
    """The item's cells: prompt, question widget (when it has one), answer, test."""
    new_md, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    slug = _slug(item.id)
    cells = [new_md(prompt_text(item), id=f"{slug}-prompt",
                    metadata={"course": {"item": item.id, "role": "prompt"}})]
    if item.widget:
        cells.append(new_code(f'ask("{item.id}")', id=f"{slug}-ask", metadata={
            "course": {"item": item.id, "role": "ask", "themes": list(item.themes)},
            "jupyter": dict(HIDDEN_INPUT),
            "nbgrader": _nbgrader(f"{item.id}-ask", locked=True)}))
    cells.append(new_code(answer_source(item, key), id=slug, metadata={
        "course": {"item": item.id, "role": "answer"},
        "nbgrader": _nbgrader(item.id, solution=True)}))
    test_meta = {"item": item.id, "role": "item", "themes": list(item.mastery_themes)}
    if item.skill_check:
        test_meta["skill_check"] = True
    cells.append(new_code(test_source(item, key), id=_slug(item.test_id), metadata={
        "course": test_meta, "jupyter": dict(HIDDEN_INPUT),
        "nbgrader": _nbgrader(item.test_id, grade=True, locked=True, points=item.points)}))
    return cells


def placed_item(cell) -> str | None:
    """The item a cell belongs to: a generated cell, or a ``{{ item ... }}`` placeholder."""
    meta = course_meta(cell)
    if meta.get("item") and meta.get("role") in ROLES:
        return meta["item"]
    if cell.cell_type == "markdown":
        match = PLACEHOLDER.match(cell.source.strip())
        if match:
            return match.group(1)
    return None


def with_hidden_input(cell):
    """The cell, with its input hidden when it only calls the package (a copy if that changes it)."""
    if course_meta(cell).get("role") not in HIDDEN_INPUT_ROLES or \
            cell.get("metadata", {}).get("jupyter", {}).get("source_hidden") is True:
        return cell
    cell = copy.deepcopy(cell)
    cell.metadata.setdefault("jupyter", {}).update(HIDDEN_INPUT)
    return cell


def sync(nb, module: dict, keys: dict, where: str = ""):
    """A copy of ``nb`` whose item cells are freshly generated, in the places they hold now, and
    whose other cells that only call the package have their input hidden."""
    specs = {it.id: it for it in items.items(module["id"])}
    where = where or f"source/{module['folder']}/{module['notebook']}.ipynb"
    out, placed, previous = [], [], None
    for cell in nb.cells:
        item_id = placed_item(cell)
        if item_id is None:
            out.append(with_hidden_input(cell))
            previous = None
            continue
        if item_id not in specs:
            raise NotebookError(f"{where}: a cell belongs to item {item_id!r}, which "
                                f"course/content/{module['folder']}.toml does not define.")
        if item_id == previous:
            continue   # the rest of the block just generated
        if item_id in placed:
            raise NotebookError(f"{where}: the cells of {item_id} stand in two places; keep one.")
        placed.append(item_id)
        previous = item_id
        out += item_cells(specs[item_id], keys[item_id])
    missing = [i for i in specs if i not in placed]
    if missing:
        raise NotebookError(f"{where}: item {missing[0]} has no place in the notebook. Add a "
                            f"markdown cell holding only {{{{ item {missing[0]} }}}} where it "
                            "belongs, then run `course build`.")
    numbers = [specs[i].number for i in placed]
    if numbers != sorted(numbers):
        raise NotebookError(f"{where}: the questions stand out of order ({numbers}); number them "
                            "in the order the notebook asks them.")
    copy = nbformat.from_dict(nb)
    copy.cells = out
    return copy

