"""First-contact simulator: greeting, posture and tone change how a visitor responds.

An illustrative model (the numbers are ours, not research data): each choice adds to the visitor's
comfort, and above a threshold she mentions the concern she is carrying. The point is the pattern:
small signals decide whether people tell you what you need to know.
"""

from __future__ import annotations

import ipywidgets as widgets

from course import content
from course.widgets.base import CourseWidget, feedback_html

ASPECTS = ("greeting", "posture", "tone")


class FirstContactSimulator(CourseWidget):
    def __init__(self):
        super().__init__()
        self.model = content.module_content("m1")["simulator"]
        self.pickers = {
            aspect: widgets.Dropdown(
                options=[(opt["label"], i) for i, opt in enumerate(self.model[aspect])],
                value=0, description=aspect.capitalize(),
                style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))
            for aspect in ASPECTS
        }
        for picker in self.pickers.values():
            picker.observe(self._on_change, names="value")
        self.meter = widgets.IntProgress(min=-2, max=7, description="Comfort",
                                         style={"description_width": "initial"})
        self.outcome = widgets.HTML()
        self.coaching = widgets.HTML()
        intro = widgets.HTML(
            f"<b>You are on duty at a shopping-centre entrance.</b> {self.model['visitor']} walks in. "
            "Choose how you greet her, how you stand and how you sound, and see what happens. "
            "<i>(An illustrative model with fictional people.)</i>")
        self.children = [intro, *self.pickers.values(), self.meter, self.outcome, self.coaching]
        self._on_change()

    def choose(self, **choices: int) -> None:
        """Set choices by index, e.g. ``choose(greeting=2, tone=1)``, as the dropdowns would."""
        for aspect, index in choices.items():
            self.pickers[aspect].value = index

    @property
    def comfort(self) -> int:
        return sum(self.model[a][self.pickers[a].value]["comfort"] for a in ASPECTS)

    @property
    def shares_concern(self) -> bool:
        return self.comfort >= self.model["threshold_share"]

    @property
    def response(self) -> str:
        fitting = [r for r in self.model["response"] if self.comfort >= r["min_comfort"]]
        return max(fitting, key=lambda r: r["min_comfort"])["text"]

    def _on_change(self, change=None) -> None:
        self.meter.value = max(self.meter.min, min(self.meter.max, self.comfort))
        tone = "good" if self.shares_concern else "warn"
        verdict = "She tells you about the hazard." if self.shares_concern else \
            "The hazard stays unreported."
        self.outcome.value = feedback_html(f"{self.response} ({verdict})", tone)
        notes = "".join(f"<li>{self.model[a][self.pickers[a].value]['note']}</li>" for a in ASPECTS)
        self.coaching.value = f"<b>Coaching</b><ul>{notes}</ul>"

    def text_fallback(self) -> str:
        lines = ["First-contact simulator (needs widgets). The choices, and what each adds to the "
                 "visitor's comfort in this illustrative model:"]
        for aspect in ASPECTS:
            for opt in self.model[aspect]:
                lines.append(f"  {aspect}: {opt['label']} ({opt['comfort']:+d}) - {opt['note']}")
        lines.append(f"She mentions her concern when comfort reaches {self.model['threshold_share']}.")
        return "\n".join(lines)
