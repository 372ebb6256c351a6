"""One model of an auto-graded item: a typed, validated spec per kind, in a registry keyed by kind.

Every item of a module is read once from its content file (``course/content/<folder>.toml``,
``[[item]]`` tables), built as the dataclass its ``kind`` names and checked; bad content stops with
the file, the item and the field named. Each kind (one module each, beside this one) supplies its
form check, its widget controls, its strict comparison and partial-credit rule, example right and
wrong answers, and how the report shows it. Every consumer (visible checks, the question widget,
grading, ``course check``, the demo, the report, the tests) reads these objects; none of them asks
which kind an item is.

Adding a kind is one module with one ``Item`` subclass, listed in ``KINDS`` below. No key is ever
here: keys live in the instructor's ``source/<folder>/keys.toml`` (``course.keys``).
"""

from __future__ import annotations

from functools import lru_cache

from course import content
from course.content import ContentError
from course.items.base import (FULL, NONE, NOT_ANSWERED, ChoiceSet, Credit, Item, describe, earned,
                               literal)
from course.items.choice import ChoiceItem
from course.items.match import MatchItem
from course.items.multi import MultiItem
from course.items.number import NumberItem
from course.items.order import OrderItem
from course.items.path import PathItem
from course.items import base as _base

__all__ = ["KINDS", "Item", "ChoiceSet", "Credit", "ContentError", "NOT_ANSWERED", "build", "item",
           "items", "graded_scenarios", "credit", "earned", "describe", "literal"]

#: The registry: kind name -> the class that knows everything about that kind.
KINDS: dict[str, type[Item]] = {cls.KIND: cls for cls in (
    ChoiceItem, MultiItem, MatchItem, OrderItem, NumberItem, PathItem)}


def build(data: dict, where: str) -> Item:
    """One item from its table (``where`` names the file in error messages)."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise ContentError(f"{where}, item {data.get('id', '(no id)')}, field 'kind': "
                           f"{kind!r} is not a kind of item (kinds: {', '.join(KINDS)}).")
    return _base.build(KINDS[kind], data, where)


def build_all(tables: list, where: str, module_id: str | None = None,
              theme_ids: set | None = None) -> tuple[Item, ...]:
    """Every item of one content file, checked together: unique ids and numbers, own module."""
    built, seen = [], {}
    for data in tables:
        it = build(data, where)
        if module_id is not None and it.module != module_id:
            raise ContentError(f"{where}, item {it.id}, field 'id': an item of module {module_id} "
                               f"must start with {module_id}_q.")
        if theme_ids is not None:
            unknown = [t for t in it.themes if t not in theme_ids]
            if unknown:
                raise ContentError(f"{where}, item {it.id}, field 'themes': {unknown[0]!r} is not a "
                                   "theme of this module in course/content/themes.toml.")
        if it.number in seen:
            raise ContentError(f"{where}, item {it.id}, field 'id': question {it.number} is also "
                               f"{seen[it.number]}.")
        seen[it.number] = it.id
        built.append(it)
    return tuple(built)


@lru_cache(maxsize=None)
def items(module_id: str) -> tuple[Item, ...]:
    """The module's items, in the order of its content file (read and checked once)."""
    folder = content.module(module_id)["folder"]
    return build_all(content.module_content(module_id).get("item", []),
                     f"course/content/{folder}.toml", module_id,
                     {t["id"] for t in content.themes(module_id)})


def item(item_id: str) -> Item:
    module_id = content.module_id_of(item_id)
    for it in items(module_id):
        if it.id == item_id:
            return it
    raise ContentError(f"No item {item_id!r} in "
                       f"course/content/{content.module(module_id)['folder']}.toml.")


def graded_scenarios(module_id: str) -> set[str]:
    """The module's scenarios that an item grades (not to be played for practice)."""
    return {it.graded_scenario for it in items(module_id)} - {None}


def credit(item_id: str, value, key) -> Credit:
    """What grading gives ``value`` for the item, by its kind's rule. An id the course does not
    know is compared all-or-nothing (``course.hidden_tests.same_plain``)."""
    try:
        spec = item(item_id)
    except ContentError:
        from course.hidden_tests import same_plain
        return FULL if same_plain(value, key) else NONE
    return spec.credit(value, key)
