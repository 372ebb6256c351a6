"""The course's content as data: the themes catalogue and each module's items and scenarios.

Content lives in TOML files beside this module so that authors edit words, not code, and the
files ship in the wheel. Everything here is public: no answer keys. Items are read into their
typed specs by ``course.items``; scenarios by ``course.scenarios``.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources


class ContentError(ValueError):
    """A content file is missing, malformed, or names something that does not exist."""


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Parse ``course/content/<name>.toml`` (cached: content does not change while a kernel runs)."""
    path = resources.files(__name__).joinpath(f"{name}.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(f"No content file {name}.toml in course/content/.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ContentError(f"course/content/{name}.toml is not valid TOML: {err}") from None


def catalogue() -> dict:
    return load("themes")


def modules() -> list[dict]:
    return catalogue()["module"]


def module(module_id: str) -> dict:
    for mod in modules():
        if mod["id"] == module_id:
            return mod
    raise ContentError(f"No module {module_id!r} in the themes catalogue.")


def themes(module_id: str | None = None) -> list[dict]:
    return [t for t in catalogue()["theme"] if module_id is None or t["module"] == module_id]


def theme(theme_id: str) -> dict:
    for t in themes():
        if t["id"] == theme_id:
            return t
    raise ContentError(f"No theme {theme_id!r} in the themes catalogue.")


def module_id_of(item_id: str) -> str:
    """``m1_q3_reporting`` -> ``m1``: item ids start with their module id."""
    return item_id.split("_", 1)[0]


def module_content(module_id: str) -> dict:
    """The module's own content file, named after its folder (e.g. ``m1_first_contact.toml``)."""
    return load(module(module_id)["folder"])
