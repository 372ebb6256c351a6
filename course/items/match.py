"""``match``: match each part to an option; partial credit per pair."""

from __future__ import annotations

from dataclasses import dataclass

from course.items.base import Credit, literal
from course.items.lettered import WIDE, Lettered


@dataclass(frozen=True, kw_only=True)
class MatchItem(Lettered):
    #: The things to match: part id (as the answer's dict keys) -> what the learner reads.
    parts: dict[str, str]

    KIND = "match"
    RULE = "each pair matched correctly earns an equal share of the points"

    def problems(self):
        found = super().problems()
        if len(self.parts) < 2:
            found.append(("parts", "a match item needs at least two things to match"))
        found += [(f"parts.{k}", "is empty") for k, text in self.parts.items() if not text.strip()]
        return found

    def shape_problem(self, value):
        if type(value) is not dict:
            return "give a dictionary such as " + literal(self.example())
        missing = [k for k in self.parts if k not in value]
        extra = [k for k in value if k not in self.parts]
        if missing:
            return f"add a choice for {missing[0]!r}"
        if extra:
            return f"{extra[0]!r} is not one of the things to match"
        wrong = [v for v in value.values() if type(v) is not str or v not in self.options]
        if wrong:
            return f"each value must be one of {self.letters}; not {wrong[0]!r}"
        return None

    def example(self):
        first = next(iter(self.options))
        return {k: first for k in self.parts}

    def samples(self):
        letters = list(self.options)
        return [{k: letters[(shift + n) % len(letters)] for n, k in enumerate(self.parts)}
                for shift in range(3)]

    def malformed(self):
        first_part, first = next(iter(self.parts)), next(iter(self.options))
        return [[first], {first_part: first}, {**self.example(), "zzz_not_a_part": first},
                {**self.example(), first_part: "zz"}]

    def score(self, value, key):
        right = sum(value[k] == key[k] for k in self.parts)
        return Credit(right / len(self.parts), f"{right} of {len(self.parts)} pairs right")

    def partial_examples(self, key):
        first = next(iter(self.parts))
        other = next(o for o in self.options if o != key[first])
        return [({**key, first: other}, (len(self.parts) - 1) / len(self.parts))]

    def wrong(self, key, rng):
        values = list(key.values())
        rotated = dict(zip(key, values[1:] + values[:1]))
        if rotated == key:   # every part has the same option: change one
            first = next(iter(key))
            rotated[first] = next(o for o in self.options if o != key[first])
        return rotated

    def controls(self, on_change, progress=None):
        return _Menus(self, on_change)

    def clicks(self, value):
        letters = list(self.options)
        return [{"role": "combobox", "index": n, "option": 1 + letters.index(value[k])}
                for n, k in enumerate(self.parts)]

    def report_parts(self):
        return list(self.parts)

    def report_category(self, value):
        return [(k, value[k]) for k in self.parts]

    def report_choices(self, part):
        return list(self.options)

    def report_is_key(self, key, part, option):
        return isinstance(key, dict) and key.get(part) == option

    def reading(self):
        return [*super().reading(), *self.parts.values()]

    def key_sequence(self, key):
        return [key[k] for k in self.parts]

    def matched_parts(self, key):
        return [(label, key[k]) for k, label in self.parts.items()]

    def text_lines(self, controls):
        return [*super().text_lines(controls),
                *(f"  - {k}: {label}" for k, label in self.parts.items())]


class _Menus:
    def __init__(self, item: MatchItem, on_change):
        import ipywidgets as widgets
        choices = [("— choose —", None), *item.option_labels()]
        self.menus = {k: widgets.Dropdown(options=choices, value=None, description=label,
                                          style={"description_width": "initial"},
                                          layout=widgets.Layout(**WIDE))
                      for k, label in item.parts.items()}
        for menu in self.menus.values():
            menu.observe(lambda change: on_change(), names="value")
        self.widgets = list(self.menus.values())
        self.item = item

    @property
    def value(self):
        return {k: m.value for k, m in self.menus.items() if m.value is not None} or None

    def show(self, value) -> None:
        if isinstance(value, dict):
            for k, menu in self.menus.items():
                if value.get(k) in self.item.options:
                    menu.value = value[k]
