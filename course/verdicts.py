"""Hidden tests judged outside the kernel: the key never enters the student's process.

A hidden test is a list of ``expect(item_id, <expression>, <key>)`` calls. Before grading, each call is
replaced by ``emit(item_id, <expression>)``, which reports the learner's value as JSON; after
grading, that value is decoded here, strictly, and compared with the key in the grader's own process.
So nothing the learner's code does in the kernel (reading the cell it is about to run, patching
builtins or the course package, swallowing exceptions, printing fake results, objects that equal
anything) can turn a wrong or missing answer into a pass: the kernel never sees a key, and
only one plain value per item is accepted.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from course.wire import ANSWER_MIME, MAX_EMISSION_CHARS, decode

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n?", re.S)
NOTE = "# Hidden tests ran when this was graded; they are not shown here."


class HiddenTestError(ValueError):
    """A hidden test that is not a list of expect(...) calls cannot be judged safely."""


@dataclass(frozen=True)
class Expectation:
    item_id: str
    expression: str
    key: object


def parse(source: str) -> tuple[str, list[Expectation]]:
    """Split a test cell into its visible part and its expectations."""
    match = HIDDEN.search(source)
    if not match:
        return source, []
    visible = (source[:match.start()] + source[match.end():]).rstrip() + "\n"
    try:
        tree = ast.parse(match.group(1))
    except SyntaxError as err:
        raise HiddenTestError(f"hidden tests do not parse: {err}") from None
    expectations = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "expect"
                and len(call.args) == 3 and not call.keywords):
            raise HiddenTestError("hidden tests may only call expect(item_id, answer, key)")
        try:
            item_id = ast.literal_eval(call.args[0])
            key = ast.literal_eval(call.args[2])
        except ValueError:
            raise HiddenTestError("expect() needs a literal item id and a literal key") from None
        expectations.append(Expectation(item_id, ast.unparse(call.args[1]), key))
    if not expectations:
        raise HiddenTestError("hidden tests hold no expect() call")
    return visible, expectations


def execution_source(visible: str, expectations: list[Expectation]) -> str:
    """What the kernel runs instead: the visible check, then one report per item, no keys."""
    lines = [visible.rstrip(), "from course.hidden_tests import emit as _course_emit"]
    lines += [f"_course_emit({e.item_id!r}, {e.expression})" for e in expectations]
    return "\n".join(lines) + "\n"


def display_source(visible: str) -> str:
    """What the graded notebook and the feedback show: the visible check only."""
    return visible.rstrip() + "\n" + NOTE


# ---------------------------------------------------------------- judging one test cell
@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str = ""
    #: Below 1 when the answers earn part of the points (``course.items``: each kind's rule).
    share: float = 1.0

    @property
    def partial(self) -> bool:
        return self.passed and self.share < 1


def partial_credit(verdict: Verdict, points) -> list:
    """The outputs that record partial credit: a note, then the points as the cell's result,
    which is where nbgrader reads partial credit from."""
    from nbformat import from_dict

    from course.items import earned
    top = float(points or 0)
    got = earned(top, verdict.share)
    note = f"Partial credit: {got:g} of {top:g} points ({verdict.reason}).\n"
    return [from_dict({"output_type": "stream", "name": "stdout", "text": note}),
            from_dict({"output_type": "execute_result", "execution_count": None, "metadata": {},
                       "data": {"text/plain": f"{got:g}"}})]


def reports(outputs) -> list:
    """The answer reports a cell's outputs carry (each a dict, or None when unreadable)."""
    found = []
    for out in outputs:
        data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") \
            else {}
        if ANSWER_MIME in data:
            payload = data[ANSWER_MIME]
            try:
                if isinstance(payload, str):
                    payload = json.loads(payload[:MAX_EMISSION_CHARS + 1])
                found.append(payload if isinstance(payload, dict) else None)
            except (ValueError, RecursionError):
                found.append(None)
    return found


def judge(expectations: list[Expectation], outputs) -> Verdict:
    """Pass when every item reported exactly one plain value that earns credit against its key;
    the share is the mean of the items' shares (each by its kind's rule)."""
    from course.items import credit
    found = reports(outputs)
    if any(r is None for r in found):
        return Verdict(False, "an answer report could not be read")
    expected_ids = {e.item_id for e in expectations}
    strangers = [r.get("item") for r in found if not isinstance(r.get("item"), str)
                 or r.get("item") not in expected_ids]
    if strangers:
        return Verdict(False, "answer reports for other items appeared here (tampering)")
    shares, details = [], []
    for e in expectations:
        mine = [r for r in found if r.get("item") == e.item_id]
        if not mine:
            return Verdict(False, f"{e.item_id}: no answer could be read (not answered, or the "
                                  "cell was stopped before it reported)")
        if len(mine) > 1:
            return Verdict(False, f"{e.item_id}: more than one answer was reported (tampering)")
        report = mine[0]
        if "error" in report:
            return Verdict(False, f"{e.item_id}: {str(report['error'])[:200]}")
        try:
            if len(json.dumps(report.get("value"))) > MAX_EMISSION_CHARS:
                raise ValueError("too large")
            value = decode(report.get("value"))
        except (ValueError, TypeError, RecursionError):
            return Verdict(False, f"{e.item_id}: the answer is not a plain value")
        if value is None:
            return Verdict(False, f"{e.item_id}: not answered")
        got = credit(e.item_id, value, e.key)
        if got.share <= 0:
            return Verdict(False, f"{e.item_id}: not the expected answer")
        shares.append(got.share)
        details.append(got.detail)
    share = sum(shares) / len(shares)
    return Verdict(True, "; ".join(d for d in details if d) if share < 1 else "", share)
