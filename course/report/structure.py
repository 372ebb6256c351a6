"""What the report needs to know about each module: its items, their keys, where they are taught.

Items are the specs of ``course.items`` (one model of an item, everywhere), with the instructor's
key from ``source/<folder>/keys.toml`` for the item analysis only; nothing written for learners
uses a key. From the source notebook the report reads the lesson sections (each lesson cell names
its section and the themes it teaches) and the reflections, so each item can point a learner who
missed it to the sections that teach its themes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from course import content, items, keys, notebooks


@dataclass(frozen=True, eq=False)
class Item:
    """An auto-graded item as the report sees it: its spec, its key, and the sections to revisit."""
    spec: items.Item
    key: object               # instructor only: never shown to learners
    sections: tuple

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def test_cell(self) -> str:
        return self.spec.test_id

    @property
    def module(self) -> str:
        return self.spec.module

    @property
    def var(self) -> str:
        return self.spec.var

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def points(self) -> float:
        return self.spec.points

    @property
    def themes(self) -> tuple:
        """The themes its points count towards (none for a skill check)."""
        return self.spec.mastery_themes


@dataclass(frozen=True)
class Reflection:
    id: str
    module: str
    label: str
    points: float
    themes: tuple
    sections: tuple


@dataclass(frozen=True)
class Theme:
    id: str
    module: str
    title: str
    outcome: str
    sections: tuple


@dataclass(frozen=True)
class Module:
    id: str
    folder: str          # also the nbgrader assignment name
    notebook: str
    title: str
    items: tuple
    reflections: tuple
    themes: tuple

    @property
    def label(self) -> str:
        return f"Module {self.id[1:]}" if re.fullmatch(r"m\d+", self.id) else self.id

    @property
    def graded_cells(self) -> dict:
        """grade_id of every graded cell -> its Item or Reflection."""
        cells = {item.test_cell: item for item in self.items}
        cells.update({r.id: r for r in self.reflections})
        return cells


def load(root: Path) -> list[Module]:
    """Every module whose source folder exists, in catalogue order."""
    return [module_from_source(root, m) for m in notebooks.modules_in(Path(root))]


def module_from_source(root: Path, mod: dict) -> Module:
    nb = notebooks.read(notebooks.source_notebook(Path(root), mod))
    theme_sections, order = _theme_sections(nb), _section_order(nb)
    key = keys.load(Path(root), mod)
    module_items = tuple(Item(spec, key[spec.id], _sections_for(spec.themes, theme_sections, order))
                         for spec in items.items(mod["id"]))
    reflections = []
    previous_markdown = ""
    for cell in nb.cells:
        meta, grading = notebooks.course_meta(cell), notebooks.nbgrader_meta(cell)
        role = meta.get("role")
        if role == "reflection":
            themes = tuple(meta.get("themes", ()))
            reflections.append(Reflection(
                id=grading["grade_id"], module=mod["id"], label=_heading(previous_markdown) or
                grading["grade_id"], points=float(grading.get("points", 0)), themes=themes,
                sections=_sections_for(themes, theme_sections, order)))
        if cell.cell_type == "markdown" and role not in ("reflection", "rubric"):
            previous_markdown = cell.source
    themes = tuple(Theme(t["id"], mod["id"], t["title"], t.get("outcome", ""),
                         tuple(theme_sections.get(t["id"], ())))
                   for t in content.themes(mod["id"]))
    return Module(mod["id"], mod["folder"], mod["notebook"], mod["title"], module_items,
                  tuple(reflections), themes)


def _theme_sections(nb) -> dict:
    """theme id -> the lesson sections that teach it, in notebook order."""
    out: dict[str, list[str]] = {}
    for cell in nb.cells:
        meta = notebooks.course_meta(cell)
        if meta.get("role") == "lesson" and meta.get("section"):
            for theme in meta.get("themes", ()):
                out.setdefault(theme, [])
                if meta["section"] not in out[theme]:
                    out[theme].append(meta["section"])
    return out


def _section_order(nb) -> dict:
    sections = [notebooks.course_meta(c).get("section") for c in nb.cells
                if notebooks.course_meta(c).get("role") == "lesson"]
    return {s: i for i, s in reversed(list(enumerate(s for s in sections if s)))}


def _sections_for(themes, theme_sections: dict, order: dict) -> tuple:
    """The sections teaching any of ``themes``, in the order the notebook teaches them."""
    found = {s for theme in themes for s in theme_sections.get(theme, ())}
    return tuple(sorted(found, key=lambda s: order[s]))


def _heading(markdown: str) -> str:
    """'## Reflection 1 (4 points): a first contact' -> 'Reflection 1: a first contact'."""
    for line in markdown.splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip()
            return re.sub(r"\s*\(\d+(\.\d+)? points?\)", "", text)
    return ""
