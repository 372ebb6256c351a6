"""``choice``: one option of several; right or wrong."""

from __future__ import annotations

from dataclasses import dataclass

from course.items.base import FULL, NONE
from course.items.lettered import WIDE, Lettered


@dataclass(frozen=True, kw_only=True)
class ChoiceItem(Lettered):
    KIND = "choice"
    MIN_OPTIONS = 3

    def shape_problem(self, value):
        return self.letter_problem(value)

    def example(self):
        return next(iter(self.options))

    def samples(self):
        return list(self.options)

    def malformed(self):
        return [2, "z", next(iter(self.options)).upper(), ["a"]]

    def score(self, value, key):
        return FULL if value == key else NONE

    def wrong(self, key, rng):
        return rng.choice([o for o in self.options if o != key])

    def mistaken(self, key, tempting, rng):
        return rng.choice(tempting) if tempting else None

    def controls(self, on_change, progress=None):
        return _Radio(self, on_change)

    def clicks(self, value):
        return [{"role": "radio", "index": list(self.options).index(value)}]

    def report_category(self, value):
        return [("", value)]

    def report_choices(self, part):
        return list(self.options)

    def report_is_key(self, key, part, option):
        return option == key

    def single_key(self, key):
        return key


class _Radio:
    def __init__(self, item: ChoiceItem, on_change):
        import ipywidgets as widgets
        self.radio = widgets.RadioButtons(options=item.option_labels(), index=None,
                                          layout=widgets.Layout(**WIDE), description=item.label,
                                          style={"description_width": "initial"})
        self.radio.observe(lambda change: on_change(), names="value")
        self.widgets = [self.radio]
        self.item = item

    @property
    def value(self):
        return self.radio.value

    def show(self, value) -> None:
        if value in self.item.options:
            self.radio.value = value
