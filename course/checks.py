"""Visible checks: is an answer well-formed? They never say whether it is right.

Each check prints one plain sentence and never raises, so Run All reaches the end of the notebook
even when exercises are unanswered. Correctness is judged only by the hidden tests at grading time.
"""

from __future__ import annotations

from course import content, scenarios
from course.answers import saved_answer

NOT_ANSWERED = "not answered yet"


def _letters(options: dict) -> str:
    keys = list(options)
    return ", ".join(keys[:-1]) + " or " + keys[-1] if len(keys) > 1 else keys[0]


def example(item: dict) -> str:
    """A typed answer of the right form (deliberately the first option, not a hint)."""
    var, kind = item["var"], item["kind"]
    first = next(iter(item.get("options", {"a": ""})))
    if kind == "choice":
        return f'{var} = "{first}"'
    if kind == "multi":
        return f'{var} = {{"{first}"}}'
    if kind == "match":
        pairs = ", ".join(f'"{k}": "{first}"' for k in item["keys"])
        return f"{var} = {{{pairs}}}"
    if kind == "number":
        return f"{var} = {item.get('min', 0)}"
    if kind == "path":
        letters = ", ".join(f'"{x}"' for x in scenarios.for_item(item).first_path())
        return f"{var} = [{letters}]"
    raise content.ContentError(f"Item {item['id']} has an unknown kind {kind!r}.")


def form_problem(item: dict, value) -> str | None:
    """What is wrong with the *form* of ``value``, in plain words; None when well-formed."""
    kind, options = item["kind"], item.get("options", {})
    if value is None:
        return NOT_ANSWERED
    if kind == "choice":
        if type(value) is not str:
            return f"write one letter in quotes, such as \"a\" (you gave {type(value).__name__})"
        if value not in options:
            hint = " (use a lower-case letter)" if value.lower() in options else ""
            return f"choose one of {_letters(options)}{hint}; {value!r} is not an option"
        return None
    if kind == "multi":
        if type(value) not in (set, list, tuple):
            return 'give a set of letters in curly brackets, such as {"a", "c"}'
        if not value:
            return "choose at least one option"
        wrong = [v for v in value if type(v) is not str or v not in options]
        if wrong:
            return f"every choice must be one of {_letters(options)}; not {wrong[0]!r}"
        if len(set(value)) != len(value):
            return "each letter should appear only once"
        return None
    if kind == "match":
        keys = item["keys"]
        if type(value) is not dict:
            return "give a dictionary such as " + example(item).split(" = ", 1)[1]
        missing = [k for k in keys if k not in value]
        extra = [k for k in value if k not in keys]
        if missing:
            return f"add a choice for {missing[0]!r}"
        if extra:
            return f"{extra[0]!r} is not one of the things to match"
        wrong = [v for v in value.values() if type(v) is not str or v not in options]
        if wrong:
            return f"each value must be one of {_letters(options)}; not {wrong[0]!r}"
        return None
    if kind == "number":
        if type(value) not in (int, float):
            return f"give a number, such as {item.get('min', 0)} (without quotes)"
        if item.get("integer") and type(value) is not int:
            return "give a whole number, without a decimal point (3, not 3.0)"
        low, high = item.get("min"), item.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"give a number from {low} to {high}"
        return None
    if kind == "path":
        return scenarios.for_item(item).path_problem(value)
    raise content.ContentError(f"Item {item['id']} has an unknown kind {kind!r}.")


def describe(value) -> str:
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(repr(v) for v in sorted(value, key=str)) + "}"
    return repr(value)


def check_answer(item_id: str, value) -> None:
    """Print whether the answer is well-formed, in one line. Never raises.

    It returns nothing, so the check cell shows only the sentence (no stray True or False).
    """
    item = content.item(item_id)
    label = f"Question {item['var'][1:]}" if item["var"].startswith("q") else item["var"]
    problem = form_problem(item, value)
    if problem == NOT_ANSWERED:
        how = "use the buttons above, or type" if item.get("widget", True) else "type"
        print(f"… {label} is not answered yet: {how} your answer in the cell above, for example "
              f"{example(item)}, then run that cell and this one again.")
        return
    if problem:
        print(f"✗ {label} is not in the expected form: {problem}.")
        return
    saved = saved_answer(item_id) if item.get("widget", True) else None
    note = ""
    if saved is not None and saved != value:
        note = (f" Note: you typed {describe(value)} but clicked {describe(saved)}; "
                "the typed answer is the one that counts.")
    print(f"✓ {label} is answered and well-formed: {describe(value)}. "
          f"Whether it is right is checked when your work is graded.{note}")
