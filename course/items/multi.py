"""``multi``: choose every option that applies; partial credit, with wrong picks costing."""

from __future__ import annotations

from dataclasses import dataclass

from course.items.base import Credit
from course.items.lettered import WIDE, Lettered

SEQUENCES = (set, frozenset, list, tuple)


@dataclass(frozen=True, kw_only=True)
class MultiItem(Lettered):
    KIND = "multi"
    MIN_OPTIONS = 4
    RULE = ("each right choice earns an equal share of the points, and each wrong choice takes one "
            "share away (never below zero)")

    def shape_problem(self, value):
        if type(value) not in SEQUENCES:
            return 'give a set of letters in curly brackets, such as {"a", "c"}'
        if not value:
            return "choose at least one option"
        wrong = [v for v in value if type(v) is not str or v not in self.options]
        if wrong:
            return f"every choice must be one of {self.letters}; not {wrong[0]!r}"
        if len(set(value)) != len(value):
            return "each letter should appear only once"
        return None

    def key_from_toml(self, raw):
        return set(raw) if isinstance(raw, list) else raw

    def key_problem(self, key):
        if type(key) is not set:
            return "a multi key is a list of letters"
        if len(key) == len(self.options):
            return "a key with every option asks nothing: leave some out"
        return self.form_problem(key)

    def example(self):
        return {next(iter(self.options))}

    def samples(self):
        letters = list(self.options)
        return [{letters[0]}, {letters[0], letters[1]}, {letters[-1]}]

    def malformed(self):
        return ["a", set(), {"a", "z"}, ["a", "a"]]

    def score(self, value, key):
        chosen = set(value)
        right, wrong = len(chosen & key), len(chosen - key)
        share = max(0, right - wrong) / len(key)
        return Credit(share, f"{right} of {len(key)} right choice{'s' * (len(key) != 1)}, "
                             f"{wrong} wrong")

    def partial_examples(self, key):
        out = []
        if len(key) > 1:
            out.append((key - {sorted(key)[0]}, (len(key) - 1) / len(key)))
        others = [o for o in self.options if o not in key]
        if others:
            out.append((key | {others[0]}, (len(key) - 1) / len(key)))
        return out

    def wrong(self, key, rng):
        changed = set(key) ^ {rng.choice(list(self.options))}   # one option added or dropped
        return changed or {o for o in self.options if o not in key}

    def mistaken(self, key, tempting, rng):
        if not tempting:
            return None
        return (set(key) - {rng.choice(sorted(key))}) | set(tempting)

    def to_json(self, value):
        return sorted(value)

    def from_json(self, raw):
        """JSON has no sets. A list a set cannot hold (lists inside it) is returned as it is:
        the form check then says what is wrong, and nothing raises."""
        if isinstance(raw, list):
            try:
                return set(raw)
            except TypeError:
                return raw
        return raw

    def controls(self, on_change, progress=None):
        return _Boxes(self, on_change)

    def clicks(self, value):
        return [{"role": "checkbox", "index": i, "checked": letter in value}
                for i, letter in enumerate(self.options)]

    def report_category(self, value):
        return [("", v) for v in sorted(set(value))]

    def report_choices(self, part):
        return list(self.options)

    def report_is_key(self, key, part, option):
        return option in key

    def multi_key(self, key):
        return frozenset(key)


class _Boxes:
    def __init__(self, item: MultiItem, on_change):
        import ipywidgets as widgets
        self.boxes = {k: widgets.Checkbox(description=f"{k}) {text}", indent=False,
                                          layout=widgets.Layout(**WIDE))
                      for k, text in item.options.items()}
        for box in self.boxes.values():
            box.observe(lambda change: on_change(), names="value")
        self.widgets = list(self.boxes.values())

    @property
    def value(self):
        return {k for k, box in self.boxes.items() if box.value} or None

    def show(self, value) -> None:
        if isinstance(value, (set, list)):
            for k, box in self.boxes.items():
                box.value = k in value
