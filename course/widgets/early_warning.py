"""Early warnings: how an officer's greeting and patrol decide what they hear in time.

An illustrative model with a fictional shift (the numbers are ours, not research data). The greeting
and the patrol style each add to how open the officer is, from 0 to 4; each warning the public could
give reaches the officer only when they are open enough for that person to speak up. A warning that
reaches the officer is dealt with early, in minutes; one that does not arrives later as an incident.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import content
from course.widgets.base import CourseWidget, feedback_html

ASPECTS = ("greeting", "patrol")


class EarlyWarnings(CourseWidget):
    """Choose a greeting and a patrol style (``greeting``/``patrol`` preset them, by index)."""

    def __init__(self, greeting: int = 0, patrol: int = 0, module: str = "m5"):
        super().__init__()
        self.model = content.module_content(module)["early_warning"]
        self.signals = self.model["signal"]
        self.pickers = {
            aspect: widgets.Dropdown(
                options=[(opt["label"], i) for i, opt in enumerate(self.model[aspect])],
                value=self._index(aspect, value), description=aspect.capitalize(),
                style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))
            for aspect, value in zip(ASPECTS, (greeting, patrol))
        }
        self.pickers["patrol"].description = "On patrol"
        for picker in self.pickers.values():
            picker.observe(self._on_change, names="value")
        intro = widgets.HTML(
            f"<b>Early warnings.</b> {html.escape(self.model['site'])}. Choose how you greet people "
            "and how you patrol, then read the shift: which warnings reach you while they are still "
            "small, and what the others turn into. <i>(An illustrative model with fictional people "
            "and events.)</i>")
        self.summary = widgets.HTML()
        self.timeline = widgets.HTML()
        self.coaching = widgets.HTML()
        self.children = [intro, *self.pickers.values(), self.summary, self.timeline, self.coaching]
        self._on_change()

    def _index(self, aspect: str, value) -> int:
        count = len(self.model[aspect])
        if type(value) is not int or not 0 <= value < count:
            raise ValueError(f"{aspect.capitalize()} must be a whole number from 0 to {count - 1}; "
                             f"{value!r} is not.")
        return value

    # -- the Python API ----------------------------------------------------------------------------
    def choose(self, greeting: int | None = None, patrol: int | None = None) -> None:
        """Move the controls as a click would; a refused setting changes nothing."""
        values = {a: self._index(a, v) for a, v in zip(ASPECTS, (greeting, patrol)) if v is not None}
        for aspect, value in values.items():
            self.pickers[aspect].value = value

    @property
    def openness(self) -> int:
        return sum(self.model[a][self.pickers[a].value]["reach"] for a in ASPECTS)

    @property
    def heard(self) -> list[dict]:
        """The warnings that reach the officer in time."""
        return [s for s in self.signals if self.openness >= s["needs"]]

    # -- drawing -----------------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        heard, total = len(self.heard), len(self.signals)
        tone = "good" if heard == total else ("bad" if heard <= total // 3 else "warn")
        self.summary.value = feedback_html(
            f"You heard {heard} of {total} early warnings in time (fictional shift).", tone)
        rows = []
        for s in self.signals:
            if s in self.heard:
                rows.append(f"<li>✓ <b>{s['time']} heard:</b> {html.escape(s['who'])} "
                            f"{html.escape(s['what'])} <i>Then:</i> {html.escape(s['early'])}</li>")
            else:
                rows.append(f"<li>✗ <b>Not heard.</b> {html.escape(s['who'])} noticed something "
                            f"but did not tell you. <i>Later:</i> {html.escape(s['late'])}</li>")
        self.timeline.value = f"<ul style='list-style: none; padding-left: 0;'>{''.join(rows)}</ul>"
        advice = next(c["text"] for c in self.model["coaching"] if heard <= c["up_to"])
        self.coaching.value = f"<p><b>Coaching:</b> {html.escape(advice)}</p>"

    def text_fallback(self) -> str:
        lines = [f"Early warnings (needs widgets). {self.model['site']}. An illustrative model with "
                 "fictional people and events. Openness = greeting + patrol:"]
        for aspect in ASPECTS:
            lines += [f"  {aspect}: {o['label']} (+{o['reach']})" for o in self.model[aspect]]
        for s in self.signals:
            lines.append(f"{s['time']} {s['who']} {s['what']} (needs openness {s['needs']}) "
                         f"Heard: {s['early']} Not heard: {s['late']}")
        return "\n".join(lines)
