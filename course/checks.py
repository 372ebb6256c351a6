"""Visible checks: is an answer well-formed? They never say whether it is right.

Each check prints one plain sentence and never raises, so Run All reaches the end of the notebook
even when exercises are unanswered. Correctness is judged only by the hidden tests at grading time.
What counts as well-formed is the item kind's own form check (``course.items``).
"""

from __future__ import annotations

from course import items
from course.answers import saved_answer
from course.items import NOT_ANSWERED, describe, literal

__all__ = ["check_answer", "describe", "NOT_ANSWERED"]


def check_answer(item_id: str, value) -> None:
    """Print whether the answer is well-formed, in one line. Never raises.

    It returns nothing, so the check cell shows only the sentence (no stray True or False).
    """
    item = items.item(item_id)
    try:
        problem = item.form_problem(value)
    except Exception:  # an object that breaks comparisons is not a plain answer
        problem = "give a plain value (letters, numbers, lists, sets or dictionaries of them)"
    if problem == NOT_ANSWERED:
        how = "use the buttons above, or type" if item.widget else "type"
        print(f"… {item.label} is not answered yet: {how} your answer in the cell above, for "
              f"example {item.var} = {literal(item.example())}, then run that cell and this one "
              "again.")
        return
    if problem:
        print(f"✗ {item.label} is not in the expected form: {problem}.")
        return
    saved = saved_answer(item_id) if item.widget else None
    note = ""
    if saved is not None and saved != value:
        note = (f" Note: you typed {describe(value)} but clicked {describe(saved)}; "
                "the typed answer is the one that counts.")
    print(f"✓ {item.label} is answered and well-formed: {describe(value)}. "
          f"Whether it is right is checked when your work is graded.{note}")
