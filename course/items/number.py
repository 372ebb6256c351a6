"""``number``: a number typed in; right or wrong. Usually a skill check (reading a figure,
counting a log), which counts towards the score but not towards theme mastery."""

from __future__ import annotations

from dataclasses import dataclass

from course.items.base import FULL, NONE, Item


def parse_number(text: str):
    """What a learner typed in a number box: an int, a float, None when empty, else the text."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text  # the form check then says "give a number"


@dataclass(frozen=True, kw_only=True)
class NumberItem(Item):
    min: float | None = None
    max: float | None = None
    integer: bool = False

    KIND = "number"

    def problems(self):
        found = super().problems()
        if self.min is not None and self.max is not None and self.min > self.max:
            found.append(("max", "must not be below min"))
        return found

    def _lowest(self):
        low = self.min if self.min is not None else 0
        return int(low) if self.integer or float(low).is_integer() else low

    def shape_problem(self, value):
        if type(value) not in (int, float):
            return f"give a number, such as {self._lowest()} (without quotes)"
        if self.integer and type(value) is not int:
            return "give a whole number, without a decimal point (3, not 3.0)"
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            return f"give a number from {self.min:g} to {self.max:g}"
        return None

    def example(self):
        return self._lowest()

    def samples(self):
        low = self._lowest()
        return [low, low + 1, low + 2]

    def malformed(self):
        out = [str(self._lowest()), True]
        if self.integer:
            out.append(float(self._lowest()) + 0.5)
        if self.max is not None:
            out.append(self.max + 1)
        return out

    def score(self, value, key):
        return FULL if value == key else NONE

    def wrong(self, key, rng):
        return key + 1 if self.max is None or key + 1 <= self.max else key - 1

    def controls(self, on_change, progress=None):
        return _NumberBox(on_change)

    def clicks(self, value):
        return [{"role": "textbox", "index": 0, "text": str(value)}]

    def report_category(self, value):
        return [("", repr(value))]

    def report_is_key(self, key, part, option):
        return key is not None and option == repr(key)


class _NumberBox:
    def __init__(self, on_change):
        import ipywidgets as widgets
        # A text box, not FloatText: that starts at 0.0 and would look answered.
        self.box = widgets.Text(value="", placeholder="type a number", description="Your answer",
                                style={"description_width": "initial"})
        self.box.observe(lambda change: on_change(), names="value")
        self.widgets = [self.box]

    @property
    def value(self):
        return parse_number(self.box.value)

    def show(self, value) -> None:
        if type(value) in (int, float):
            self.box.value = str(value)
