"""What the report needs to know about each module, read from the instructor's source notebooks.

Every graded cell of a source notebook carries the theme ids it assesses (``metadata.course.themes``
on test cells with role ``item`` and on reflection cells), and every lesson cell names its section
and the themes it teaches. From these the report maps each item to its themes and to the lesson
sections a learner who missed it should revisit. Keys are read too, for the instructor's item
analysis only; nothing written for learners uses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from course import content, notebooks


@dataclass(frozen=True)
class Item:
    """An auto-graded item: its answer cell ``id`` and the graded test cell ``test_cell``."""
    id: str
    test_cell: str
    module: str
    var: str
    kind: str
    question: str
    options: dict
    points: float
    themes: tuple
    sections: tuple
    keys: dict = field(default_factory=dict)   # the things to match, for match items
    key: object = None                         # instructor only: never shown to learners

    @property
    def label(self) -> str:
        return f"Question {self.var[1:]}" if re.fullmatch(r"q\d+", self.var) else self.var


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
    answers = notebooks.answer_cells(nb)
    items, reflections = [], []
    previous_markdown = ""
    for cell in nb.cells:
        meta, grading = notebooks.course_meta(cell), notebooks.nbgrader_meta(cell)
        role = meta.get("role")
        themes = tuple(meta.get("themes", ()))
        sections = _sections_for(themes, theme_sections, order)
        if role == "item":
            spec = content.item(meta["item"])
            answer = answers.get(meta["item"])
            items.append(Item(
                id=meta["item"], test_cell=grading["grade_id"], module=mod["id"], var=spec["var"],
                kind=spec["kind"], question=spec.get("question", ""),
                options=dict(spec.get("options", {})), keys=dict(spec.get("keys", {})),
                points=float(grading.get("points", 0)), themes=themes, sections=sections,
                key=notebooks.solution_value(answer) if answer is not None else None))
        elif role == "reflection":
            reflections.append(Reflection(
                id=grading["grade_id"], module=mod["id"], label=_heading(previous_markdown) or
                grading["grade_id"], points=float(grading.get("points", 0)), themes=themes,
                sections=sections))
        if cell.cell_type == "markdown" and role not in ("reflection", "rubric"):
            previous_markdown = cell.source
    themes = tuple(Theme(t["id"], mod["id"], t["title"], t.get("outcome", ""),
                         tuple(theme_sections.get(t["id"], ())))
                   for t in content.themes(mod["id"]))
    return Module(mod["id"], mod["folder"], mod["notebook"], mod["title"], tuple(items),
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
