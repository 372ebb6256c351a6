"""Options named by letters (a, b, c, ...), shared by the kinds that offer them."""

from __future__ import annotations

import string
from dataclasses import dataclass

from course.items.base import ChoiceSet, Item, letters_list

WIDE = {"width": "auto"}


@dataclass(frozen=True, kw_only=True)
class Lettered(Item):
    options: dict[str, str]

    MIN_OPTIONS = 2

    def problems(self):
        found = super().problems()
        letters = list(self.options)
        if letters != list(string.ascii_lowercase[:len(letters)]):
            found.append(("options", "options must be lettered a, b, c ... in order, without gaps"))
        if len(letters) < self.MIN_OPTIONS:
            found.append(("options", f"a {self.KIND} item needs at least {self.MIN_OPTIONS} options"))
        found += [(f"options.{k}", "is empty") for k, text in self.options.items() if not text.strip()]
        return found

    @property
    def letters(self) -> str:
        return letters_list(self.options)

    def letter_problem(self, value) -> str | None:
        if type(value) is not str:
            return f"write one letter in quotes, such as \"a\" (you gave {type(value).__name__})"
        if value not in self.options:
            hint = " (use a lower-case letter)" if value.lower() in self.options else ""
            return f"choose one of {self.letters}{hint}; {value!r} is not an option"
        return None

    def option_labels(self) -> list[tuple[str, str]]:
        return [(f"{k}) {text}", k) for k, text in self.options.items()]

    @property
    def lettered(self) -> bool:
        return True

    def report_text(self, option: str) -> str:
        return self.options.get(option, "")

    def reading(self) -> list[str]:
        return [*super().reading(), *self.options.values()]

    def listed_options(self) -> dict[str, str]:
        return dict(self.options)

    def choice_sets(self, key) -> list[ChoiceSet]:
        if not self.judges_distractors:   # options shared by parts or places: no one key
            return []
        return [ChoiceSet("", dict(self.options),
                          frozenset(o for o in self.options if self.report_is_key(key, "", o)))]

    def text_lines(self, controls) -> list[str]:
        return [f"  {k}) {text}" for k, text in self.options.items()]
