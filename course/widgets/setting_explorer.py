"""Setting explorer: the same service skill at a shopping centre, a campus, an office, a park, an event."""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import content
from course.widgets.base import CourseWidget


class SettingExplorer(CourseWidget):
    """Choose a skill and a setting; ``skill`` and ``compare`` preset the view for a lesson section."""

    def __init__(self, skill: str | None = None, compare: bool = False):
        super().__init__()
        data = content.module_content("m1")["settings"]
        self.skills = data["skills"]
        self.places = data["place"]
        self.skill = widgets.ToggleButtons(options=[(s, i) for i, s in enumerate(self.skills)],
                                           value=0, description="Skill",
                                           style={"description_width": "initial",
                                                  "button_width": "auto"})
        self.place = widgets.ToggleButtons(options=[(p["name"], i) for i, p in enumerate(self.places)],
                                           value=0, description="Setting",
                                           style={"description_width": "initial",
                                                  "button_width": "auto"})
        self.example = widgets.HTML()
        self.compare = widgets.Checkbox(description="Show this skill in every setting at once",
                                        indent=False, value=compare)
        if skill is not None:
            self.skill.value = self.skills.index(skill)
        for control in (self.skill, self.place, self.compare):
            control.observe(self._on_change, names="value")
        self.children = [self.skill, self.place, self.compare, self.example]
        self._on_change()

    def example_for(self, place: int, skill: int) -> str:
        return self.places[place]["examples"][skill]

    def _on_change(self, change=None) -> None:
        skill = self.skill.value
        places = range(len(self.places)) if self.compare.value else [self.place.value]
        rows = "".join(f"<li><b>{html.escape(self.places[p]['name'])}:</b> "
                       f"{html.escape(self.example_for(p, skill))}</li>" for p in places)
        self.example.value = (f"<p><b>{html.escape(self.skills[skill])}</b> (fictional examples)</p>"
                              f"<ul role='list'>{rows}</ul>")

    def text_fallback(self) -> str:
        lines = ["Setting explorer (needs widgets). The same skills in each setting (fictional examples):"]
        for p, place in enumerate(self.places):
            lines.append(f"{place['name']}:")
            lines += [f"  - {self.skills[s]}: {place['examples'][s]}" for s in range(len(self.skills))]
        return "\n".join(lines)
