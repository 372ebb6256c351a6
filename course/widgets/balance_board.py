"""Balance board: set assertiveness and approachability for a situation and see what follows.

Two dials, not one: an officer can be clear and firm *and* warm. The dials place the officer in one
of four quadrants (firm and friendly, heavy-handed, soft touch, hands-off); for each situation the
content file says what the officer does there, how the public is likely to respond, and whether
the safety need is met. The scenes
are fictional; the pattern is the lesson.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import content
from course.widgets.base import CourseWidget, feedback_html, number_setting

QUADRANTS = ("firm_friendly", "heavy_handed", "soft_touch", "hands_off")
DIALS = ("assertiveness", "approachability")


class BalanceBoard(CourseWidget):
    """Choose a situation and two dial settings; ``situation`` (index or name) presets the view."""

    def __init__(self, situation: int | str = 0, assertiveness: int = 3, approachability: int = 3):
        super().__init__()
        model = content.module_content("m3")["balance"]
        self.high_from = model["high_from"]
        self.scale_max = model["scale_max"]
        self.quadrants = {q["id"]: q for q in model["quadrant"]}
        self.situations = model["situation"]
        self.situation = widgets.Dropdown(
            options=[(s["name"], i) for i, s in enumerate(self.situations)],
            value=self._situation_index(situation), description="Situation",
            style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))
        self.dials = {
            dial: number_setting(dial.capitalize(), self._dial_value(dial, value), 1, self.scale_max)
            for dial, value in zip(DIALS, (assertiveness, approachability))
        }
        intro = widgets.HTML(
            "<b>Balance board.</b> Pick a situation, then set your two dials from 1 to "
            f"{self.scale_max}. <b>Assertiveness</b>: how clearly you take charge and make sure "
            "what must happen does happen. <b>Approachability</b>: how warm, respectful and easy "
            f"to talk to you are. {self.high_from} or more counts as high. "
            "<i>(Fictional scenes; the pattern is the lesson.)</i>")
        self.scene = widgets.HTML()
        self.grid = widgets.HTML()
        self.outcome = widgets.HTML()
        self.coaching = widgets.HTML()
        for control in (self.situation, *self.dials.values()):
            control.observe(self._on_change, names="value")
        self.children = [intro, self.situation, self.scene, *self.dials.values(), self.grid,
                         self.outcome, self.coaching]
        self._on_change()

    # -- checking input ----------------------------------------------------------------------------
    def _situation_index(self, situation: int | str) -> int:
        names = [s["name"] for s in self.situations]
        if isinstance(situation, str):
            if situation not in names:
                raise content.ContentError(
                    f"No situation called {situation!r} on the balance board. Choose one of: "
                    f"{', '.join(names)}.")
            return names.index(situation)
        if type(situation) is not int or not 0 <= situation < len(names):
            raise content.ContentError(
                f"Situation {situation!r} does not exist: give a name or a number from 0 to "
                f"{len(names) - 1}.")
        return situation

    def _dial_value(self, dial: str, value: int) -> int:
        if type(value) is not int or not 1 <= value <= self.scale_max:
            raise ValueError(f"{dial.capitalize()} must be a whole number from 1 to "
                             f"{self.scale_max}; {value!r} is not.")
        return value

    # -- the Python API (what the controls do, for tests and demonstrations) -----------------------
    def set(self, situation: int | str | None = None, assertiveness: int | None = None,
            approachability: int | None = None) -> None:
        """Move the controls, e.g. ``set(situation="Bag search refused", assertiveness=8)``.

        Everything is checked before anything moves, so a refused setting changes nothing.
        """
        index = None if situation is None else self._situation_index(situation)
        values = {dial: self._dial_value(dial, value)
                  for dial, value in zip(DIALS, (assertiveness, approachability)) if value is not None}
        if index is not None:
            self.situation.value = index
        for dial, value in values.items():
            self.dials[dial].value = value

    @property
    def quadrant(self) -> str:
        """The quadrant id the two dials point to."""
        assertive = self.dials["assertiveness"].value >= self.high_from
        approachable = self.dials["approachability"].value >= self.high_from
        return next(q for q, data in self.quadrants.items()
                    if data["assertive"] == assertive and data["approachable"] == approachable)

    @property
    def current(self) -> dict:
        return self.situations[self.situation.value]

    @property
    def behaviour(self) -> str:
        return self.current[self.quadrant]["behaviour"]

    @property
    def response(self) -> str:
        return self.current[self.quadrant]["response"]

    @property
    def safety(self) -> str:
        """Whether the safety need of the situation is met, in this quadrant."""
        return self.current[self.quadrant]["safety"]

    # -- drawing -----------------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        quadrant = self.quadrants[self.quadrant]
        self.scene.value = f"<p><b>The situation:</b> {html.escape(self.current['scene'])}</p>"
        self.grid.value = self._grid_html()
        tone = {"firm_friendly": "good", "hands_off": "bad"}.get(quadrant["id"], "warn")
        self.outcome.value = (
            f"<p><b>{html.escape(quadrant['name'])}.</b> <b>What you do:</b> "
            f"{html.escape(self.behaviour)}</p>"
            f"<p><b>How the public responds:</b> {html.escape(self.response)}</p>"
            + feedback_html(f"{self.safety} {quadrant['goodwill']}", tone))
        self.coaching.value = f"<p><b>Coaching:</b> {html.escape(quadrant['coaching'])}</p>"

    def _grid_html(self) -> str:
        """The four quadrants as a table; the current one is marked in words, not colour alone."""
        def cell(q_id: str) -> str:
            name = html.escape(self.quadrants[q_id]["name"])
            if q_id == self.quadrant:
                return (f'<td style="border: 3px solid #0072B2; padding: 6px; font-weight: bold;">'
                        f"▶ {name} (you are here)</td>")
            return f'<td style="border: 1px solid #888; padding: 6px;">{name}</td>'
        return ("<table style='border-collapse: collapse; margin: 6px 0;'>"
                "<caption style='text-align: left;'>Where your dials put you</caption>"
                "<tr><td></td><th scope='col'>less approachable</th>"
                "<th scope='col'>more approachable</th></tr>"
                f"<tr><th scope='row'>more assertive</th>{cell('heavy_handed')}"
                f"{cell('firm_friendly')}</tr>"
                f"<tr><th scope='row'>less assertive</th>{cell('hands_off')}"
                f"{cell('soft_touch')}</tr></table>")

    def text_fallback(self) -> str:
        lines = [f"Balance board (needs widgets). Two dials from 1 to {self.scale_max}, assertiveness "
                 f"and approachability; {self.high_from} or more counts as high. What happens in "
                 "each quadrant (fictional scenes):"]
        for s in self.situations:
            lines.append(f"{s['name']}: {s['scene']}")
            for q in QUADRANTS:
                lines.append(f"  {self.quadrants[q]['name']}: {s[q]['behaviour']} "
                             f"Then: {s[q]['response']} {s[q]['safety']}")
        return "\n".join(lines)
