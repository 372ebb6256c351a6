"""The instructor's keys: ``source/<folder>/keys.toml``, one line per auto-graded item.

This is the one place an item's key is written. ``course build`` writes it into the item's
solution region and hidden test in the source notebook (``course.cells``); nbgrader never copies
the file into release/ (``CourseDirectory.ignore`` in ``course.nbgrader_ext``), and nothing in the
``course`` package holds a key: this module only reads the file.

TOML has no sets, so a ``multi`` key is a list of letters; each kind turns the file's value into the
plain value grading compares (``Item.key_from_toml``) and says what is wrong with a key that does
not fit its item.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from course import content, items

FILE = "keys.toml"


def path(root: Path, module: dict) -> Path:
    return Path(root) / "source" / module["folder"] / FILE


def load(root: Path, module: dict) -> dict:
    """item id -> key, for every item of the module; ContentError naming the file and the item."""
    where = path(root, module)
    shown = f"source/{module['folder']}/{FILE}"
    if not where.is_file():
        raise content.ContentError(f"{shown} is missing: every module needs the keys of its items "
                                   "there, one line each (see CONTRIBUTING.md).")
    try:
        raw = tomllib.loads(where.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise content.ContentError(f"{shown} is not valid TOML: {err}") from None
    specs = {it.id: it for it in items.items(module["id"])}
    unknown = sorted(set(raw) - set(specs))
    if unknown:
        raise content.ContentError(f"{shown}, item {unknown[0]}: no such item in "
                                   f"course/content/{module['folder']}.toml.")
    keys = {}
    for item_id, spec in specs.items():
        if item_id not in raw:
            raise content.ContentError(f"{shown}, item {item_id}: the key is missing.")
        key = spec.key_from_toml(raw[item_id])
        problem = spec.key_problem(key)
        if problem:
            raise content.ContentError(f"{shown}, item {item_id}: the key does not fit the "
                                       f"{spec.kind} item: {problem}.")
        keys[item_id] = key
    return keys
