"""A graded question answered by clicking; the answer is saved beside the notebook.

``ask("m1_q1_...")`` shows the item's options from ``course/content``. Every change is written to the
module's answers file at once, so the answer cell's ``saved_answer(...)`` finds it again after a
restart, on submission, and when the autograder runs the notebook with no browser at all.
"""

from __future__ import annotations

import ipywidgets as widgets

from course import content
from course.answers import AnswerStore, from_json, to_json
from course.checks import describe, example, form_problem
from course.widgets.base import WRAPPING_OPTIONS_CSS, CourseWidget, feedback_html
from course.widgets.scenario import ScenarioPlayer

WIDE = widgets.Layout(width="auto")


def parse_number(text: str):
    """What a learner typed in a number box: an int, a float, None when empty, else the text."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text  # the form check then says "give a number"


class Question(CourseWidget):
    """One graded item (choice, multi, match, number or path) with persisted answers."""

    def __init__(self, item_id: str, directory=None):
        super().__init__()
        self.item = content.item(item_id)
        self.item_id = item_id
        self.store = AnswerStore(content.module_id_of(item_id), directory)
        self.feedback = widgets.HTML()
        self._controls = self._build_controls()
        stem = widgets.HTML(f"{WRAPPING_OPTIONS_CSS}<b>{self.label}.</b> "
                            f"{self.item.get('question', '')}")
        self.children = [stem, *self._controls, self.feedback]
        saved = self.store.get(item_id)
        if saved is not None:
            self._show(from_json(self.item, saved))
        self._refresh()

    @property
    def label(self) -> str:
        return f"Question {self.item['var'][1:]}"

    # -- building --------------------------------------------------------------------------
    def _build_controls(self) -> list:
        kind, options = self.item["kind"], self.item.get("options", {})
        if kind == "choice":
            self.radio = widgets.RadioButtons(
                options=[(f"{k}) {text}", k) for k, text in options.items()], index=None,
                layout=WIDE, description=self.label, style={"description_width": "initial"})
            self.radio.observe(self._on_change, names="value")
            return [self.radio]
        if kind == "multi":
            self.boxes = {k: widgets.Checkbox(description=f"{k}) {text}", indent=False, layout=WIDE)
                          for k, text in options.items()}
            for box in self.boxes.values():
                box.observe(self._on_change, names="value")
            return list(self.boxes.values())
        if kind == "match":
            choices = [("— choose —", None)] + [(f"{k}) {text}", k) for k, text in options.items()]
            self.dropdowns = {key: widgets.Dropdown(options=choices, value=None, description=label,
                                                    style={"description_width": "initial"},
                                                    layout=WIDE)
                              for key, label in self.item["keys"].items()}
            for dd in self.dropdowns.values():
                dd.observe(self._on_change, names="value")
            return list(self.dropdowns.values())
        if kind == "number":
            # A text box, not FloatText: that starts at 0.0 and would look answered.
            self.number = widgets.Text(value="", placeholder="type a number",
                                       description="Your answer",
                                       style={"description_width": "initial"})
            self.number.observe(self._on_change, names="value")
            return [self.number]
        if kind == "path":
            # The scenario, without coaching; each finished run is saved as the answer.
            self.player = ScenarioPlayer(self.item["scenario"], content.module_id_of(self.item_id),
                                         coaching=False, on_complete=lambda path: self._on_change())
            return [self.player]
        raise content.ContentError(f"Item {self.item_id} has an unknown kind {kind!r}.")

    # -- reading and writing the controls -------------------------------------------------------
    @property
    def value(self):
        """The answer the controls show now, as the plain value an answer cell would hold."""
        kind = self.item["kind"]
        if kind == "choice":
            return self.radio.value
        if kind == "multi":
            chosen = {k for k, box in self.boxes.items() if box.value}
            return chosen or None
        if kind == "match":
            chosen = {key: dd.value for key, dd in self.dropdowns.items() if dd.value is not None}
            return chosen or None
        if kind == "path":
            return self.player.path if self.player.finished else None
        return parse_number(self.number.value)

    def _show(self, value) -> None:
        """Put a saved answer back into the controls (ignoring anything that does not fit)."""
        kind = self.item["kind"]
        self._restoring = True
        try:
            if kind == "choice" and value in self.item["options"]:
                self.radio.value = value
            elif kind == "multi" and isinstance(value, (set, list)):
                for k, box in self.boxes.items():
                    box.value = k in value
            elif kind == "match" and isinstance(value, dict):
                for key, dd in self.dropdowns.items():
                    if value.get(key) in self.item["options"]:
                        dd.value = value[key]
            elif kind == "number" and type(value) in (int, float):
                self.number.value = str(value)
            elif kind == "path" and form_problem(self.item, value) is None:
                self.player.play(value, notify=False)
        finally:
            self._restoring = False

    def choose(self, value) -> None:
        """Answer from Python exactly as a click would (used by tests and the demo class)."""
        self._show(value)
        self._on_change()

    # -- callbacks ----------------------------------------------------------------------------
    _restoring = False

    def _on_change(self, change=None) -> None:
        if self._restoring:
            return
        if self.item["kind"] == "path" and self.value is None:
            return  # an unfinished run never replaces a saved path
        self.store.save(self.item_id, to_json(self.item, self.value))
        self._refresh()

    def _refresh(self) -> None:
        value = self.value
        problem = form_problem(self.item, value)
        var = self.item["var"]
        if value is None:
            text, tone = (f"Not answered yet. Choose above; your choice is saved as you click and "
                          f"becomes {var} in the answer cell below."), "info"
            if self.item["kind"] == "path":
                text = (f"Not answered yet. Play the scenario above to its end; your path is saved "
                        f"there (a new run replaces it only when it ends) and becomes {var} below.")
        elif problem:
            text, tone = f"Saved, but not complete yet: {problem}.", "warn"
        else:
            text, tone = (f"Saved: {describe(value)}. Run the answer cell below to use it as {var}; "
                          f"it is kept even if you close the notebook."), "good"
        self.feedback.value = feedback_html(text, tone)

    def text_fallback(self) -> str:
        lines = [f"{self.label}. {self.item.get('question', '')}"]
        for k, text in self.item.get("options", {}).items():
            lines.append(f"  {k}) {text}")
        for key, label in self.item.get("keys", {}).items():
            lines.append(f"  - {key}: {label}")
        if self.item["kind"] == "path":
            lines.append(self.player.text_fallback())
        lines.append(f"(The buttons cannot display here. Type your answer in the answer cell, "
                     f"for example {example(self.item)}.)")
        return "\n".join(lines)


def ask(item_id: str) -> Question:
    """Show the clickable version of a graded question."""
    return Question(item_id)
