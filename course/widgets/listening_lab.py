"""Listening lab: a visitor's words ask for one thing, their manner suggests another.

For each fictional visitor the learner names the stated need (what the words ask), the unspoken
need (what the manner suggests) and a reply, then checks. Feedback explains every choice and points
to the cue that gives the unspoken need away. Ungraded practice: the scenarios are data in
``course/content/m2_listening.toml`` and no graded item uses them.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import content
from course.widgets.base import WRAPPING_OPTIONS_CSS, CourseWidget, feedback_html

PARTS = ("stated", "unspoken", "reply")
#: Short names double as each control's accessible name; headings give the full question.
NAMES = {"stated": "Stated need", "unspoken": "Unspoken need", "reply": "Your reply"}
QUESTIONS = {
    "stated": "1. What do their words ask for?",
    "unspoken": "2. What do they need that they have not said?",
    "reply": "3. What do you say or do?",
}
WIDE = widgets.Layout(width="auto")


def _validated(visitors: list[dict]) -> list[dict]:
    """Every part of every scenario needs exactly one option that fits: say which one does not."""
    for visitor in visitors:
        for part in PARTS:
            fitting = [o for o in visitor.get(part, []) if o.get("fits")]
            if len(fitting) != 1:
                raise content.ContentError(
                    f"Listening lab visitor {visitor.get('id')!r}: {part} needs exactly one option "
                    f"with fits = true, not {len(fitting)} (course/content/m2_listening.toml).")
    return visitors


class ListeningLab(CourseWidget):
    """Choose a visitor, name what they ask and what they need, choose a reply, and check."""

    def __init__(self, visitor: str | None = None):
        super().__init__()
        self.visitors = _validated(content.module_content("m2")["lab"]["visitor"])
        self.picker = widgets.Dropdown(
            options=[(v["title"], i) for i, v in enumerate(self.visitors)], value=0,
            description="Visitor", style={"description_width": "initial"}, layout=WIDE)
        self.scene = widgets.HTML()
        self.headings = {part: widgets.HTML(f"<b>{QUESTIONS[part]}</b>") for part in PARTS}
        self.choices = {
            part: widgets.RadioButtons(options=[], description=NAMES[part], layout=WIDE,
                                       style={"description_width": "initial"})
            for part in PARTS
        }
        self.check_button = widgets.Button(
            description="Check my answers", icon="check",
            tooltip="Check the three answers for this visitor and see why each fits or not")
        self.feedback = widgets.HTML()
        intro = widgets.HTML(
            WRAPPING_OPTIONS_CSS +
            "<b>Listening lab.</b> Each visitor's words ask for one thing; how they say it often "
            "tells you more. Read the scene, answer the three questions, then check. "
            "<i>(Fictional people and situations, for practice; not graded.)</i>")
        self.picker.observe(self._on_visitor, names="value")
        for radio in self.choices.values():
            radio.observe(self._on_choice, names="value")
        self.check_button.on_click(self._on_check)
        rows = [w for part in PARTS for w in (self.headings[part], self.choices[part])]
        self.children = [intro, self.picker, self.scene, *rows, self.check_button, self.feedback]
        self.preset = visitor
        if visitor is not None:
            self.show(visitor)
        self._on_visitor()

    # -- the Python API (what a click does, for tests and scripts) ----------------------------
    @property
    def visitor(self) -> dict:
        return self.visitors[self.picker.value]

    def show(self, visitor: str | int) -> None:
        """Switch to a visitor by id (e.g. ``"bench"``) or by position."""
        if isinstance(visitor, str):
            ids = [v["id"] for v in self.visitors]
            if visitor not in ids:
                raise ValueError(f"No visitor {visitor!r} in the listening lab. "
                                 f"Choose one of: {', '.join(ids)}.")
            visitor = ids.index(visitor)
        self.picker.value = visitor

    def answer(self, **chosen: int | None) -> None:
        """Choose options by position, e.g. ``answer(stated=1, unspoken=0, reply=2)``."""
        for part, index in chosen.items():
            if part not in PARTS:
                raise ValueError(f"{part!r} is not a part of the lab; use {', '.join(PARTS)}.")
            self.choices[part].index = index

    def best(self, part: str) -> int:
        """The position of the option that fits best (practice data, not a graded key)."""
        return next(i for i, o in enumerate(self.visitor[part]) if o["fits"])

    def check(self) -> dict:
        """Show feedback and return, per part, True (fits), False (does not) or None (no choice)."""
        result = {part: None if self.choices[part].index is None
                  else bool(self.visitor[part][self.choices[part].index]["fits"]) for part in PARTS}
        missing = [NAMES[p].lower() for p, ok in result.items() if ok is None]
        if missing:
            self.feedback.value = feedback_html(
                f"Choose an answer for each question first (still to do: {', '.join(missing)}).",
                "info")
            return result
        items = "".join(self._verdict(part) for part in PARTS)
        right = sum(result.values())
        if right == len(PARTS):
            summary = feedback_html("All three fit. You heard the words and read the manner.", "good")
        else:
            summary = feedback_html(f"{right} of {len(PARTS)} fit. Read the notes, look at the "
                                    "scene again and try another option.", "warn")
        self.feedback.value = (f"{summary}<ul>{items}</ul>"
                               f"<p><b>The cue to notice:</b> {html.escape(self.visitor['cue'])}</p>")
        return result

    # -- callbacks ---------------------------------------------------------------------------
    def _verdict(self, part: str) -> str:
        option = self.visitor[part][self.choices[part].index]
        mark = "✓ fits" if option["fits"] else "✗ not the best fit"
        return f"<li><b>{NAMES[part]}: {mark}.</b> {html.escape(option['note'])}</li>"

    def _on_visitor(self, change=None) -> None:
        v = self.visitor
        self.scene.value = (f"<p><b>{html.escape(v['title'])}</b></p>"
                            f"<p><b>They say:</b> {html.escape(v['says'])}</p>"
                            f"<p><b>What you notice:</b> {html.escape(v['manner'])}</p>")
        for part, radio in self.choices.items():
            radio.options = [(o["text"], i) for i, o in enumerate(v[part])]
            radio.index = None
        self.feedback.value = ""

    def _on_choice(self, change=None) -> None:
        self.feedback.value = ""  # old feedback would describe a choice that is no longer made

    def _on_check(self, button=None) -> None:
        self.check()

    def text_fallback(self) -> str:
        # A lab opened on one visitor (a lesson's "try it") shows only that visitor.
        shown = [self.visitor] if self.preset is not None else self.visitors
        lines = ["Listening lab (needs widgets). Fictional visitors; for each, what do their words "
                 "ask, what do they need that they have not said, and what would you do?"]
        for v in shown:
            lines += ["", f"{v['title']}", f"  They say: {v['says']}", f"  You notice: {v['manner']}"]
            for part in PARTS:
                lines.append(f"  {QUESTIONS[part]}")
                lines += [f"    - {o['text']}" for o in v[part]]
            lines.append(f"  The cue to notice: {v['cue']}")
        return "\n".join(lines)
