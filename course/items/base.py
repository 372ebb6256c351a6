"""What every item kind shares: the common fields, the names derived from the id, validation.

An item is a frozen dataclass read once from its module's content file. Its fields are checked
against their annotations when it is built, and then by the kind's own ``problems()``, so a typo in
the content fails at load time with the file, the item and the field named, never later in a
learner's kernel. A kind (``course/items/<kind>.py``) subclasses ``Item`` and fills in everything
that differs between kinds; nothing outside the kinds asks which kind an item is.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from dataclasses import dataclass
from typing import ClassVar

from course.content import ContentError

#: ``m1_q3_reporting``: the module, the question's number, a slug.
ITEM_ID = re.compile(r"^(m\d+)_q(\d+)_[a-z0-9_]+$")


@dataclass(frozen=True)
class Credit:
    """The share of an item's points an answer earns, and why, in words a learner may read."""
    share: float
    detail: str = ""


FULL, NONE = Credit(1.0), Credit(0.0)
NOT_ANSWERED = "not answered yet"


def earned(points: float, share: float) -> float:
    """Points for a share of an item, as the grader records them (to the hundredth)."""
    return round(points * share, 2)


def letters_list(letters) -> str:
    letters = list(letters)
    return ", ".join(letters[:-1]) + " or " + letters[-1] if len(letters) > 1 else letters[0]


def literal(value) -> str:
    """Python source for a plain value, the same on every run (sets sorted, strings in double
    quotes as learners are shown them), so generated cells never drift."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(literal(v) for v in sorted(value, key=repr)) + "}" if value else "set()"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    raise TypeError(f"not a plain value: {type(value).__name__}")


def describe(value) -> str:
    """A value as a learner would type it."""
    try:
        return literal(value)
    except TypeError:
        return repr(value)


@dataclass(frozen=True)
class ChoiceSet:
    """One set of options a learner picks among, as the item-quality audit (``course.audit``)
    reads it: the whole item for a choice or multi item, each step of a graded scenario."""
    where: str                  # "" for the item itself, else the step ("step 'start'")
    options: dict[str, str]     # letter -> what the learner reads
    keyed: frozenset[str]       # the letters the key picks (at a step: the best moves there)


@dataclass(frozen=True, kw_only=True)
class Item:
    """The fields every item has. Subclasses add their own and set ``KIND``."""

    id: str
    kind: str
    question: str
    points: float
    themes: tuple[str, ...]
    #: Markdown shown above the question in the notebook: the situation the question is about.
    context: str = ""
    #: A skill check (reading a figure, counting a log) counts towards the score, never towards
    #: theme mastery: a slip of arithmetic says nothing about a theme.
    skill_check: bool = False
    #: False: answered only by typing (no question widget).
    widget: bool = True

    KIND: ClassVar[str] = ""
    #: How partial credit works, in words written under the question; None: all or nothing.
    RULE: ClassVar[str | None] = None
    #: True: the question widget takes one complete answer and then locks.
    LOCKS: ClassVar[bool] = False

    # ------------------------------------------------------------------ names
    @property
    def module(self) -> str:
        return ITEM_ID.match(self.id).group(1)

    @property
    def number(self) -> int:
        return int(ITEM_ID.match(self.id).group(2))

    @property
    def var(self) -> str:
        """The answer variable: ``q3`` for ``m1_q3_reporting``."""
        return f"q{self.number}"

    @property
    def label(self) -> str:
        """How the learner, the report and the feedback name the item: ``Question 3``."""
        return f"Question {self.number}"

    @property
    def test_id(self) -> str:
        """The grade_id of the item's test cell: ``m1_test_q3_reporting``."""
        return self.id.replace("_q", "_test_q", 1)

    @property
    def graded_scenario(self) -> str | None:
        """The id of the scenario this item grades a run of (None: it grades none)."""
        return None

    @property
    def mastery_themes(self) -> tuple[str, ...]:
        """The themes the item's points count towards (none for a skill check)."""
        return () if self.skill_check else self.themes

    # ------------------------------------------------------------------ checked at load
    def problems(self) -> list[tuple[str, str]]:
        """(field, what is wrong) for content that cannot work; subclasses add their own."""
        found = []
        if not ITEM_ID.match(self.id):
            found.append(("id", "must look like m1_q3_short_slug (module, question number, slug)"))
        if not self.question.strip():
            found.append(("question", "must not be empty"))
        if not self.points > 0:
            found.append(("points", "must be more than 0"))
        if not self.themes:
            found.append(("themes", "name at least one theme the item assesses"))
        return found

    # ------------------------------------------------------------------ what each kind supplies
    def form_problem(self, value) -> str | None:
        """What is wrong with the *form* of ``value`` in plain words; None when well-formed."""
        return NOT_ANSWERED if value is None else self.shape_problem(value)

    def shape_problem(self, value) -> str | None:
        """``form_problem`` for an answer that is there."""
        raise NotImplementedError

    def example(self):
        """A well-formed answer that shows the form to type (never a hint: the first option)."""
        raise NotImplementedError

    def samples(self) -> list:
        """A few different well-formed answers (for the widget and browser tests)."""
        raise NotImplementedError

    def malformed(self) -> list:
        """Answers that are not well-formed, each for a different reason (for the tests)."""
        raise NotImplementedError

    def key_from_toml(self, raw):
        """The key as the instructor's keys file writes it, as the plain value grading uses."""
        return raw

    def key_problem(self, key) -> str | None:
        """What is wrong with a key for this item; None when it fits."""
        return self.form_problem(key)

    def solution(self, key):
        """The answer that earns every point (what the source notebook's solution types)."""
        return key

    def credit(self, value, key) -> Credit:
        """The share of the points ``value`` earns against ``key``, compared strictly: only exact
        built-in types count, and an answer that is not well-formed earns nothing."""
        if self.form_problem(value) is not None:
            return NONE
        return self.score(value, key)

    def score(self, value, key) -> Credit:
        """``credit`` for a well-formed answer: the kind's strict comparison and partial rule."""
        raise NotImplementedError

    def partial_examples(self, key) -> list[tuple[object, float]]:
        """Well-formed answers that earn part of the points, with the share each earns."""
        return []

    def wrong(self, key, rng):
        """A well-formed answer that misses the key, as a learner who misunderstood might give."""
        raise NotImplementedError

    def mistaken(self, key, tempting: list, rng):
        """An answer that falls for the ``tempting`` options (letters); None for a kind without
        options to fall for."""
        return None

    # ------------------------------------------------------------------ saved answers
    def to_json(self, value):
        """How a widget answer is saved in the module's answers file (JSON has no sets)."""
        return value

    def from_json(self, raw):
        return raw

    # ------------------------------------------------------------------ the question widget
    def controls(self, on_change, progress=None):
        """The widget controls that answer this item: ``widgets``, ``value`` and ``show(value)``.
        ``progress`` (``get()``, ``save(value)``) keeps what is not an answer yet, for a kind
        whose answer takes several steps (a graded scenario's responses so far)."""
        raise NotImplementedError

    def clicks(self, value) -> list[dict]:
        """What a learner does in the widget to give ``value``: steps by ARIA role, the same
        script for the headless widget tests and the browser tests."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the report
    def report_parts(self) -> list[str]:
        """The parts an answer is counted in ("" for a one-part item)."""
        return [""]

    def report_category(self, value) -> list[tuple[str, str]]:
        """(part, option) pairs a well-formed answer counts towards in the option shares."""
        raise NotImplementedError

    def report_choices(self, part: str) -> list[str] | None:
        """Every option of a part, in order; None: show the most common values given instead."""
        return None

    def report_text(self, option: str) -> str:
        return ""

    def report_is_key(self, key, part: str, option: str) -> bool:
        raise NotImplementedError

    @property
    def lettered(self) -> bool:
        """Options with letters: the report counts the share choosing each."""
        return False

    @property
    def judges_distractors(self) -> bool:
        """One question with lettered options: a distractor few learners choose is doing no work.
        (A match item's options are shared by its parts: an option unused for one part is no weak
        distractor.)"""
        return self.lettered and self.report_parts() == [""]


    # ------------------------------------------------------------------ the item-quality audit
    # What ``course.audit`` reads, so that the audit never asks which kind an item is.
    def reading(self) -> list[str]:
        """Everything a learner reads for this item."""
        return [self.context, self.question]

    def listed_options(self) -> dict[str, str]:
        """The lettered options as the learner sees them listed (none for a kind without)."""
        return {}

    def choice_sets(self, key) -> list[ChoiceSet]:
        """Each set of options a learner picks among, with the letters the key picks there."""
        return []

    def single_key(self, key) -> str | None:
        """The one letter the key picks, for an item answered by one option; else None."""
        return None

    def multi_key(self, key) -> frozenset[str] | None:
        """The letters the key picks, for an item answered by any number of options; else None."""
        return None

    def play_blind(self, choose):
        """The answer a learner gives who picks at every step by form alone: ``choose`` takes the
        options in view (letter -> text) and returns a letter. None for a kind answered in one
        pick (its options are audited one set at a time)."""
        return None

    def key_sequence(self, key) -> list[str] | None:
        """The option letters the key gives in the order the learner answers them (per step,
        per part); None for a kind whose key is not such a sequence."""
        return None

    def matched_parts(self, key) -> list[tuple[str, str]]:
        """(what a part says, the option letter the key matches to it), for a match item."""
        return []

    # ------------------------------------------------------------------ text without widgets
    def text_lines(self, controls) -> list[str]:
        """What the question widget's plain-text fallback lists under the question."""
        return []


# ---------------------------------------------------------------------- building from TOML
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _coerce(value, hint, field: str):
    """``value`` as the annotation ``hint`` asks, or ValueError saying why not."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(value, inner, field)
    if hint is float:
        if type(value) not in (int, float):
            raise ValueError(f"must be a number, not {type(value).__name__}")
        return float(value)
    if hint in (str, int, bool):
        if type(value) is not hint:
            raise ValueError(f"must be {'text' if hint is str else hint.__name__}, "
                             f"not {type(value).__name__}")
        return value
    if origin is tuple:
        if type(value) is not list:
            raise ValueError(f"must be a list, not {type(value).__name__}")
        return tuple(_coerce(v, args[0], f"{field}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if type(value) is not dict:
            raise ValueError(f"must be a table, not {type(value).__name__}")
        out = {}
        for k, v in value.items():
            try:
                out[_coerce(k, args[0], field)] = _coerce(v, args[1], f"{field}.{k}")
            except ValueError as err:
                raise ValueError(f"{k!r} {err}") from None
        return out
    raise TypeError(f"unsupported field type {hint!r}")


def build(cls: type[Item], data: dict, where: str) -> Item:
    """An item of kind ``cls`` from its TOML table; ContentError naming file, item and field."""
    item_id = data.get("id", "(no id)")

    def fail(field: str, problem: str):
        return ContentError(f"{where}, item {item_id}, field {field!r}: {problem}.")

    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise fail(unknown[0], f"no such field for a {cls.KIND} item (fields: "
                               f"{', '.join(sorted(fields))})")
    hints, values = _hints(cls), {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise fail(name, "is missing")
            continue
        try:
            values[name] = _coerce(data[name], hints[name], name)
        except ValueError as err:
            raise fail(name, str(err)) from None
    item = cls(**values)
    for field, problem in item.problems():
        raise fail(field, problem)
    return item
