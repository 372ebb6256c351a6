"""What each learner actually answered, read back from their graded files without running anything.

The answer cell of an item holds ``qK = saved_answer("...")`` followed by whatever the learner typed
in place of the stub. As in the notebook, a typed answer counts over a click: the last top-level
assignment to ``qK`` decides. A typed value is parsed with ``ast.literal_eval`` (never executed);
``saved_answer`` means the click saved in the module's ``mN_answers.json`` beside the notebook.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from course.answers import AnswerStore
from course.nbgrader_ext import MAX_NOTEBOOK_BYTES
from course.safe_files import UnsafeFile, read_regular


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


class _Strange(Exception):
    """A learner's files hold what no honest notebook or widget writes; the message says what."""


@dataclass
class LearnerAnswers:
    """One submission's answers (item id -> plain value, None or UNREADABLE), and why its files
    could not be read when they could not (None when they were fine or simply absent)."""

    answers: dict
    problem: str | None = None


def _answer_cells(path: Path) -> dict:
    """grade_id -> source of each autograded answer cell ({} when there is no notebook)."""
    try:
        raw = read_regular(path, MAX_NOTEBOOK_BYTES)
    except FileNotFoundError:
        return {}
    except OSError as err:   # a link, a pipe, a device, too large: never followed or waited on
        raise _Strange(str(err) if isinstance(err, UnsafeFile)
                       else f"{path.name} cannot be opened ({err.strerror or err})") from None
    try:
        nb = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Strange(f"{path.name} is not a readable notebook") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise _Strange(f"{path.name} holds no list of cells")
    out = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if isinstance(meta, dict) and meta.get("solution") and not meta.get("grade"):
            source = cell.get("source", "")
            out[str(meta.get("grade_id"))] = "".join(source) if isinstance(source, list) else str(source)
    return out


#: What a widget saves is a plain value or one flat list or table of them; nothing nests deeper.
_ATOMS = (str, int, float, bool, type(None))
_NOT_DECODED = object()


def _flat(raw) -> bool:
    if isinstance(raw, _ATOMS):
        return True
    if isinstance(raw, list):
        return all(isinstance(v, _ATOMS) for v in raw)
    if isinstance(raw, dict):
        return all(isinstance(v, _ATOMS) for v in raw.values())
    return False


def _clicked(item, raw):
    """A saved click as its kind decodes it; _Strange for a value no widget of the kind saves.

    A widget may save an answer that is not complete yet (an order with a step left open, a number
    box holding text): that is an answer given, counted as '(other)'. A value nested deeper than
    any widget writes, or one the kind's own decoding or form check cannot take, was not clicked.
    """
    if raw is None:
        return None
    if not _flat(raw):
        raise _Strange(f"the saved answer to {item.label} is nested deeper than any click saves")
    try:
        value = item.spec.from_json(raw)
        item.spec.form_problem(value)
        decoded = list(value) if isinstance(value, (set, frozenset)) else value
    except Exception:  # noqa: BLE001 (whatever the kind cannot take was not clicked)
        decoded = _NOT_DECODED
    if decoded is _NOT_DECODED or not _flat(decoded):
        raise _Strange(f"the saved answer to {item.label} is not a {item.spec.KIND} answer")
    return value


def _clicks(folder: Path, module) -> dict:
    """item id -> the clicked answer, for every item of the module found in its answers file.

    A file that is there but damaged, or that holds one value no widget saves, counts as a whole:
    once one answer in it was not clicked, none of the others can be trusted to be.
    """
    store = AnswerStore(module.id, folder)
    saved = store.read()
    if saved.problem is not None:
        raise _Strange(f"{store.path.name} could not be read: {saved.problem}")
    try:
        return {item.id: _clicked(item, saved.answers.get(item.id)) for item in module.items}
    except _Strange as err:
        raise _Strange(f"{store.path.name} is not as the question widgets write it: {err}") \
            from None


def read(folder: Path, module) -> LearnerAnswers:
    """What one submission answered, read without running anything.

    Never raises: whatever a learner's files hold (a link, a pipe, JSON nested a hundred thousand
    levels deep, values of the wrong kind), the worst outcome is that this learner's answers are
    UNREADABLE, with the reason, and the report is built for everyone else.
    """
    folder = Path(folder)
    try:
        return _read(folder, module)
    except _Strange as err:
        return LearnerAnswers({item.id: UNREADABLE for item in module.items}, str(err))
    except Exception as err:  # noqa: BLE001 (one learner's files must not stop the report)
        return LearnerAnswers({item.id: UNREADABLE for item in module.items},
                              f"its files could not be read ({type(err).__name__})")


def _read(folder: Path, module) -> LearnerAnswers:
    cells = _answer_cells(folder / f"{module.notebook}.ipynb")
    clicks, problem = None, None
    out = {}
    for item in module.items:
        state = parse_answer_cell(cells[item.id], item.var) if item.id in cells else _SAVED
        if state is _SAVED:
            if clicks is None:
                try:
                    clicks = _clicks(folder, module)
                except _Strange as err:
                    clicks, problem = {}, str(err)
            state = UNREADABLE if problem else clicks.get(item.id)
        elif state is _ABSENT:
            state = None
        out[item.id] = state
    return LearnerAnswers(out, problem)
