"""First-contact simulator: greeting, posture and tone change how a visitor responds.

An illustrative model with a fictional visitor, not research data. Each choice sends a signal
that is open, closed or partly open (a nod), and the visitor reads the three together, as
Module 1's lesson says people do:

- all three open: she mentions the concern she is carrying;
- two or three closed: she walks on without a word;
- anything else (one closed signal, or a nod with the rest open): she asks her quick question
  and keeps the concern to herself.

``tests/test_m1_first_contact.py`` pins this rule to the combinations the lesson names.
"""

from __future__ import annotations

import ipywidgets as widgets

from course import content
from course.content import ContentError
from course.widgets.base import CourseWidget, feedback_html

ASPECTS = ("greeting", "posture", "tone")
OPEN, PARTLY_OPEN, CLOSED = "open", "partly open", "closed"
SIGNALS = (OPEN, PARTLY_OPEN, CLOSED)
#: Outcome ids, from the best to the worst; each has a summary and a text in the content file.
SHARES, UNSURE, WALKS_ON = "shares", "unsure", "walks_on"
OUTCOMES = (SHARES, UNSURE, WALKS_ON)


def outcome_for(signals) -> str:
    """The visitor's response to three signals: the whole picture counts, not any one part."""
    signals = list(signals)
    if all(s == OPEN for s in signals):
        return SHARES
    if signals.count(CLOSED) >= 2:
        return WALKS_ON
    return UNSURE


def simulator_model() -> dict:
    """Module 1's simulator data, checked: every choice sends a known signal, every outcome has
    its words. A mistake in the content file names the file and the entry."""
    model = content.module_content("m1")["simulator"]
    for aspect in ASPECTS:
        for i, choice in enumerate(model.get(aspect, [])):
            if choice.get("signal") not in SIGNALS:
                raise ContentError(
                    f"m1_first_contact.toml: simulator.{aspect}[{i}] ({choice.get('label')!r}) "
                    f"has signal {choice.get('signal')!r}; use one of {', '.join(SIGNALS)}.")
        if not model.get(aspect):
            raise ContentError(f"m1_first_contact.toml: the simulator has no {aspect} choices.")
    for outcome in OUTCOMES:
        words = model.get("outcome", {}).get(outcome, {})
        if not (words.get("summary") and words.get("text")):
            raise ContentError(f"m1_first_contact.toml: simulator.outcome.{outcome} needs a "
                               "summary and a text.")
    return model


class FirstContactSimulator(CourseWidget):
    def __init__(self):
        super().__init__()
        self.model = simulator_model()
        self.pickers = {
            aspect: widgets.Dropdown(
                options=[(opt["label"], i) for i, opt in enumerate(self.model[aspect])],
                value=0, description=aspect.capitalize(),
                style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))
            for aspect in ASPECTS
        }
        for picker in self.pickers.values():
            picker.observe(self._on_change, names="value")
        self.meter = widgets.IntProgress(min=0, max=len(ASPECTS), description="Open signals",
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

    def chosen(self, aspect: str) -> dict:
        return self.model[aspect][self.pickers[aspect].value]

    @property
    def signals(self) -> tuple:
        return tuple(self.chosen(a)["signal"] for a in ASPECTS)

    @property
    def result(self) -> str:
        """The outcome id: ``shares``, ``unsure`` or ``walks_on``."""
        return outcome_for(self.signals)

    @property
    def shares_concern(self) -> bool:
        return self.result == SHARES

    @property
    def response(self) -> str:
        return self.model["outcome"][self.result]["text"]

    def _on_change(self, change=None) -> None:
        self.meter.value = self.signals.count(OPEN)
        tone = "good" if self.shares_concern else "warn"
        verdict = "She tells you about the hazard." if self.shares_concern else \
            "The hazard stays unreported."
        self.outcome.value = feedback_html(
            f"{self.response} ({verdict} Open signals: {self.meter.value} of {len(ASPECTS)}.)", tone)
        notes = "".join(f"<li>{self.chosen(a)['note']}</li>" for a in ASPECTS)
        self.coaching.value = f"<b>Coaching</b><ul>{notes}</ul>"

    def text_fallback(self) -> str:
        lines = ["First-contact simulator (needs widgets). The choices, and the signal each sends "
                 "in this illustrative model:"]
        for aspect in ASPECTS:
            for opt in self.model[aspect]:
                lines.append(f"  {aspect}: {opt['label']} ({opt['signal']}) - {opt['note']}")
        words = self.model["outcome"]
        lines += [f"All three signals open: she {words[SHARES]['summary']}.",
                  f"Two or three closed: she {words[WALKS_ON]['summary']}.",
                  f"Anything else: she {words[UNSURE]['summary']}."]
        return "\n".join(lines)
