"""What hidden tests call: a strict comparison of an answer with its key.

The key is passed in by the hidden test, which exists only in the instructor's source notebook and
the gradebook; nothing here knows any answer. Comparison uses exact built-in types, so an object
that claims to equal everything (a custom ``__eq__``, a ``str`` subclass) cannot pass.
"""

from __future__ import annotations

PLAIN_SCALARS = (str, int, float, bool, type(None))


class NotAnswered(AssertionError):
    """The learner has not answered this item."""


class WrongAnswer(AssertionError):
    """The answer is well-formed or not, but it is not the key."""


def same_plain(value, key) -> bool:
    """True when ``value`` equals ``key`` with exactly the same built-in types throughout."""
    if type(value) is not type(key):
        return False
    if type(key) in PLAIN_SCALARS:
        return value == key
    if type(key) in (list, tuple):
        return len(value) == len(key) and all(same_plain(v, k) for v, k in zip(value, key))
    if type(key) in (set, frozenset):
        if not all(type(v) in PLAIN_SCALARS for v in value):
            return False
        return sorted(map(repr, value)) == sorted(map(repr, key))
    if type(key) is dict:
        if not all(type(k) in PLAIN_SCALARS for k in value):
            return False
        if sorted(map(repr, value)) != sorted(map(repr, key)):
            return False
        return all(same_plain(value[k], key[k]) for k in key)
    raise TypeError(f"Answer keys must be plain built-in values, not {type(key).__name__}.")


def expect(item_id: str, value, key):
    """Hidden-test assertion: pass silently, or fail with a message that never shows the key.

    An answer that earns part of the item's points (by its kind's rule, ``course.items``) returns
    those points, which the cell shows as its result: nbgrader reads that as partial credit, so a
    notebook run in the kernel (nbval, stock nbgrader) scores as the sandboxed grader does.
    """
    from course.items import credit, earned, item
    if value is None:
        raise NotAnswered(f"{item_id}: not answered.")
    share = credit(item_id, value, key).share
    if share <= 0:
        raise WrongAnswer(f"{item_id}: not the expected answer. Revisit the lesson section for it.")
    if share < 1:
        return earned(item(item_id).points, share)
    return None


def emit(item_id: str, value) -> None:
    """Report an answer to the grader (used in place of ``expect`` when grading is sandboxed)."""
    from IPython.display import display

    from course.wire import ANSWER_MIME, encode
    try:
        report = {"item": item_id, "value": encode(value)}
    except (TypeError, RecursionError) as err:
        report = {"item": item_id, "error": f"the answer is not a plain value ({err})"}
    display({ANSWER_MIME: report, "text/plain": f"[answer to {item_id} recorded for grading]"},
            raw=True)
