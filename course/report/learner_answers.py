"""What each learner actually answered, read back from their graded files without running anything.

The answer cell of an item holds ``qK = saved_answer("...")`` followed by whatever the learner typed
in place of the stub. As in the notebook, a typed answer counts over a click: the last top-level
assignment to ``qK`` decides. A typed value is parsed with ``ast.literal_eval`` (never executed);
``saved_answer`` means the click saved in the module's ``mN_answers.json`` beside the notebook.
"""

from __future__ import annotations

import ast
import json
import warnings
from pathlib import Path

from course.answers import AnswerStore
from course.nbgrader_ext import MAX_NOTEBOOK_BYTES
from course.safe_files import read_regular


class _Unreadable:
    """An answer that exists but cannot be read as a plain value (an expression, a syntax error)."""

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE = _Unreadable()
_SAVED = object()
_ABSENT = object()
#: An answer cell longer than this is not parsed (no honest answer comes near it).
MAX_CELL_CHARS = 20_000


def parse_answer_cell(source: str, var: str):
    """The typed value, ``_SAVED`` (use the click), ``_ABSENT`` or ``UNREADABLE``."""
    if len(source) > MAX_CELL_CHARS:
        return UNREADABLE
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return UNREADABLE
    state = _ABSENT
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == var):
            value = stmt.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "saved_answer":
                state = _SAVED
            else:
                try:
                    state = ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                    state = UNREADABLE
        elif any(isinstance(node, ast.Name) and node.id == var and isinstance(node.ctx, ast.Store)
                 for node in ast.walk(stmt)):
            state = UNREADABLE  # assigned in a way we cannot follow without running it
    return state


def _answer_cells(path: Path) -> dict | None:
    """grade_id -> source of each autograded answer cell, or None when the notebook is unusable."""
    try:
        nb = json.loads(read_regular(path, MAX_NOTEBOOK_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return None
    out = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if isinstance(meta, dict) and meta.get("solution") and not meta.get("grade"):
            source = cell.get("source", "")
            out[str(meta.get("grade_id"))] = "".join(source) if isinstance(source, list) else str(source)
    return out


def _clicks(folder: Path, module_id: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a damaged answers file simply counts as no clicks
        return AnswerStore(module_id, folder).load()


def read(folder: Path, module) -> dict:
    """item id -> answer (a plain value, None when not answered, or UNREADABLE) for one submission.

    Never raises: whatever a learner's files hold (a link, a pipe, JSON nested a hundred thousand
    levels deep, values of the wrong kind), the worst outcome is that this learner's answers are
    UNREADABLE and the report is built for everyone else.
    """
    try:
        return _read(Path(folder), module)
    except Exception as err:  # noqa: BLE001 (one learner's files must not stop the report)
        warnings.warn(f"The answers in {folder} could not be read ({type(err).__name__}); they "
                      "count as unreadable.", stacklevel=2)
        return {item.id: UNREADABLE for item in module.items}


def _read(folder: Path, module) -> dict:
    cells = _answer_cells(folder / f"{module.notebook}.ipynb") or {}
    clicks = None
    out = {}
    for item in module.items:
        state = parse_answer_cell(cells[item.id], item.var) if item.id in cells else _SAVED
        if state is _SAVED:
            if clicks is None:
                clicks = _clicks(folder, module.id)
            raw = clicks.get(item.id)
            state = None if raw is None else item.spec.from_json(raw)
        elif state is _ABSENT:
            state = None
        out[item.id] = state
    return out
