"""``order``: put every option in order (steps, priorities); partial credit per place."""

from __future__ import annotations

from dataclasses import dataclass

from course.items.base import Credit, literal
from course.items.lettered import WIDE, Lettered


@dataclass(frozen=True, kw_only=True)
class OrderItem(Lettered):
    KIND = "order"
    MIN_OPTIONS = 3
    RULE = "each option in its right place earns an equal share of the points"

    def steps(self) -> list[str]:
        return [f"Step {n}" for n in range(1, len(self.options) + 1)]

    def shape_problem(self, value):
        example = literal(list(self.options))
        if type(value) is not list:
            return f"give the letters in order as a list in square brackets, such as {example}"
        for n, letter in enumerate(value, start=1):
            if letter is None:
                return f"choose an option for step {n}"
            if type(letter) is not str or letter not in self.options:
                return f"step {n} must be one of {self.letters}; not {letter!r}"
        if len(set(value)) != len(value):
            return "use each letter once"
        if len(value) != len(self.options):
            return f"put all {len(self.options)} options in order ({self.letters})"
        return None

    def example(self):
        return list(self.options)

    def samples(self):
        letters = list(self.options)
        return [letters, letters[::-1], letters[1:] + letters[:1]]

    def malformed(self):
        letters = list(self.options)
        return ["".join(letters), letters[:1], [letters[0]] * len(letters),
                letters[:-1] + ["zz"], tuple(letters)]

    def score(self, value, key):
        right = sum(v == k for v, k in zip(value, key))
        return Credit(right / len(key), f"{right} of {len(key)} in the right place")

    def partial_examples(self, key):
        swapped = [key[1], key[0], *key[2:]]
        return [(swapped, (len(key) - 2) / len(key))]

    def wrong(self, key, rng):
        while True:
            shuffled = rng.sample(list(key), len(key))
            if shuffled != list(key):
                return shuffled

    def controls(self, on_change, progress=None):
        return _Steps(self, on_change)

    def clicks(self, value):
        letters = list(self.options)
        return [{"role": "combobox", "index": n, "option": 1 + letters.index(v)}
                for n, v in enumerate(value)]

    def report_parts(self):
        return self.steps()

    def report_category(self, value):
        return list(zip(self.steps(), value))

    def report_choices(self, part):
        return list(self.options)

    def report_is_key(self, key, part, option):
        steps = self.steps()
        return isinstance(key, list) and part in steps and key[steps.index(part)] == option

    def key_sequence(self, key):
        return list(key)


class _Steps:
    def __init__(self, item: OrderItem, on_change):
        import ipywidgets as widgets
        choices = [("— choose —", None), *item.option_labels()]
        self.menus = [widgets.Dropdown(options=choices, value=None, description=step,
                                       style={"description_width": "initial"},
                                       layout=widgets.Layout(**WIDE))
                      for step in item.steps()]
        for menu in self.menus:
            menu.observe(lambda change: on_change(), names="value")
        self.widgets = list(self.menus)
        self.item = item

    @property
    def value(self):
        chosen = [m.value for m in self.menus]
        return None if all(v is None for v in chosen) else chosen

    def show(self, value) -> None:
        if isinstance(value, list):
            for menu, letter in zip(self.menus, value):
                if letter in self.item.options:
                    menu.value = letter
