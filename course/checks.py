"""Visible checks: can an answer be marked? They never say whether it is right.

Each check prints one plain sentence and never raises, so Run All reaches the end of the notebook
even when exercises are unanswered. Correctness is judged only by the hidden tests at grading time.
What an answer must look like is the item kind's own form check (``course.items``).

Under nbgrader's Validate button (``NBGRADER_EXECUTION=validate``) a question that is unanswered
or cannot be marked is written to stderr instead: nbgrader counts a test cell with stderr as
failed, so Validate lists every such question by its sentence, while Run All in JupyterLab, which
shows stderr as plain text, still reaches the end.
"""

from __future__ import annotations

import os
import sys
import textwrap

from course import items
from course.answers import saved_answer
from course.items import NOT_ANSWERED, describe, literal

__all__ = ["check_answer", "describe", "NOT_ANSWERED"]


def validating() -> bool:
    """Is nbgrader validating the notebook (its Validate button or `nbgrader validate`)?"""
    return os.environ.get("NBGRADER_EXECUTION") == "validate"


def check_answer(item_id: str, value) -> None:
    """Print, in one line, whether the answer is recorded and can be marked. Never raises.

    It returns nothing, so the check cell shows only the sentence (no stray True or False).
    """
    item = items.item(item_id)
    try:
        problem = item.form_problem(value)
    except Exception:  # an object that breaks comparisons is not a plain answer
        problem = "give a plain value (letters, numbers, lists, sets or dictionaries of them)"
    if problem == NOT_ANSWERED:
        how = "Click your answer above, or type it" if item.widget else "Type it"
        _tell(f"{item.label} is not answered yet. {how} in the answer cell above, for example "
              f"{item.var} = {literal(item.example())}, then run that cell and this one again.",
              trouble=True)
        return
    if problem:
        _tell(f"{item.label} cannot be marked as it is: {problem}. Change it in the answer cell "
              "above, then run that cell and this one again.", trouble=True)
        return
    saved = saved_answer(item_id) if item.widget else None
    note = ""
    if saved is not None and saved != value:
        note = (f" You typed {describe(value)} but clicked {describe(saved)}; the typed answer "
                "is the one that counts.")
    _tell(f"{item.label}: your answer {describe(value)} is recorded and will be marked when your "
          f"work is graded. (This check does not say whether it is right.){note}", trouble=False)


def _tell(sentence: str, trouble: bool) -> None:
    if trouble and validating():
        # nbgrader validate cuts each line of a failure at 90 characters: keep every word.
        print(textwrap.fill(sentence, width=76), file=sys.stderr)
    else:
        print(sentence)
