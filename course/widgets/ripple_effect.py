"""Ripple-effect explorer: how the story of one handled concern spreads, for better or worse.

An illustrative model, not research data. One regular raises a concern. Each week, everyone who
heard the story the week before mentions it to a few people, and a share of those (set by how the
concern was handled) think it worth passing on at all. Only people who have not heard it yet are
new, so the story slows as it reaches most of the site's regulars. The point is the shape: a
handled concern keeps spreading, a half-handled one fades, and a brushed-off one spreads distrust.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import content
from course.widgets.base import CourseWidget, feedback_html, number_setting

TONE_COLOURS = {"good": "#0072B2", "warn": "#E69F00", "bad": "#D55E00"}  # Okabe & Ito
WHAT_COMES_NEXT = {
    "good": "These are the people most likely to bring you their next concern, and each one you "
            "handle well starts another ripple: trust comes round again.",
    "warn": "Most regulars never hear anything, and the person who raised it is less likely to "
            "bother next time: the cycle stalls.",
    "bad": "Many of these people will now keep what they notice to themselves, and the next time "
           "you need their cooperation you start from distrust.",
}


def heard_by_week(retold: float, tells: int, weeks: int, regulars: int) -> list[float]:
    """People who have heard the story by the end of each week (week 0: only the person who raised it).

    Each week, last week's new hearers each mention it to ``tells`` people and a share ``retold``
    of those bother to pass it on; only the share who have not heard it yet are new.
    """
    if not 0 <= retold <= 1 or tells < 0 or weeks < 0 or regulars < 1:
        raise ValueError("heard_by_week() needs 0 <= retold <= 1, tells >= 0, weeks >= 0 and "
                         "regulars >= 1.")
    heard, new = [1.0], 1.0
    for _ in range(weeks):
        new = new * tells * retold * (1 - heard[-1] / regulars)
        heard.append(min(float(regulars), heard[-1] + new))
    return heard


class RippleExplorer(CourseWidget):
    """Choose how a concern is handled and how much people talk; watch the story spread."""

    def __init__(self, handling: int | None = None):
        super().__init__()
        self.model = content.module_content("m2")["ripple"]
        options = self.model["handling"]
        self.handling = widgets.RadioButtons(
            options=[(h["label"], i) for i, h in enumerate(options)],
            value=len(options) - 1 if handling is None else handling,
            description="Handling", style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"))
        self.tells = number_setting("People each person tells per week", self.model["tells"], 1,
                                    self.model["max_tells"], width="32em")
        self.weeks = number_setting("Weeks", self.model["weeks"], 1, self.model["max_weeks"],
                                    width="32em")
        self.chart = widgets.HTML()
        self.summary = widgets.HTML()
        intro = widgets.HTML(
            f"<b>Ripple-effect explorer.</b> {html.escape(self.model['person'])}, tells you that "
            f"{html.escape(self.model['concern'])}. Choose how it is handled, and see how far the "
            f"story travels among the site's {self.model['regulars']} regulars. "
            "<i>Illustrative model, not research data: the numbers are invented to show the "
            "shape of the idea.</i>")
        for control in (self.handling, self.tells, self.weeks):
            control.observe(self._on_change, names="value")
        self.children = [intro, self.handling, self.tells, self.weeks, self.chart, self.summary]
        self._on_change()

    # -- the Python API ------------------------------------------------------------------------
    def set(self, handling: int | None = None, tells: int | None = None,
            weeks: int | None = None) -> None:
        """Move the controls from Python, e.g. ``set(handling=0, tells=4, weeks=8)``."""
        if handling is not None:
            self.handling.value = handling
        if tells is not None:
            self.tells.value = tells
        if weeks is not None:
            self.weeks.value = weeks

    @property
    def chosen(self) -> dict:
        return self.model["handling"][self.handling.value]

    @property
    def spread(self) -> list[float]:
        return heard_by_week(self.chosen["retold"], self.tells.value, self.weeks.value,
                      self.model["regulars"])

    @property
    def reach(self) -> int:
        """About how many regulars have heard the story by the last week shown."""
        return round(self.spread[-1])

    # -- callbacks ---------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        regulars, colour = self.model["regulars"], TONE_COLOURS[self.chosen["tone"]]
        rows = "".join(
            f"<tr><th scope='row' style='text-align:left; padding-right:8px'>Week {week}</th>"
            f"<td style='width:60%'><div aria-hidden='true' style='background:{colour}; height:0.9em; "
            f"width:{100 * heard / regulars:.1f}%; min-width:2px'></div></td>"
            f"<td style='padding-left:8px'>about {round(heard)}</td></tr>"
            for week, heard in enumerate(self.spread))
        self.chart.value = (f"<table role='table' style='width:100%'><caption style='text-align:left'>"
                            f"People who have heard that \"{html.escape(self.chosen['story'])}\" "
                            f"(of {regulars} regulars; illustrative model)</caption>{rows}</table>")
        text = (f"After {self.weeks.value} weeks, about {self.reach} of the {regulars} regulars "
                f"have heard that \"{self.chosen['story']}\". {self.chosen['note']} "
                f"{WHAT_COMES_NEXT[self.chosen['tone']]}")
        self.summary.value = feedback_html(text, self.chosen["tone"])

    def text_fallback(self) -> str:
        m = self.model
        lines = [f"Ripple-effect explorer (needs widgets). Illustrative model, not research data. "
                 f"{m['person']}, tells you that {m['concern']}. With each person mentioning it to "
                 f"{m['tells']} people a week, after {m['weeks']} weeks, of {m['regulars']} regulars:"]
        for h in m["handling"]:
            heard = heard_by_week(h["retold"], m["tells"], m["weeks"], m["regulars"])[-1]
            lines.append(f"  - {h['label']}: about {round(heard)} have heard that \"{h['story']}\".")
        return "\n".join(lines)
