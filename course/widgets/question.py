"""A graded question answered by clicking; the answer is saved beside the notebook.

``ask("m1_q1_...")`` shows the item's stem and the controls its kind supplies (``course.items``).
Every change is written to the module's answers file at once, so the answer cell's
``saved_answer(...)`` finds it again after a restart, on submission, and when the autograder runs
the notebook with no browser at all.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import items
from course.answers import AnswerStore, progress_key
from course.items import describe, literal
from course.widgets.base import WRAPPING_OPTIONS_CSS, CourseWidget, feedback_html


class Question(CourseWidget):
    """One graded item with persisted answers; its controls come from the item's kind."""

    def __init__(self, item_id: str, directory=None):
        super().__init__()
        self.item = items.item(item_id)
        self.item_id = item_id
        self.store = AnswerStore(self.item.module, directory)
        self.feedback = widgets.HTML()
        self.controls = self.item.controls(self._on_change, _Progress(self.store, item_id))
        stem = widgets.HTML(f"{WRAPPING_OPTIONS_CSS}<b>{html.escape(self.label)}.</b> "
                            f"{html.escape(self.item.question)}")
        self.children = [stem, *self.controls.widgets, self.feedback]
        saved = self.store.get(item_id)
        if saved is not None:
            self._restoring = True
            try:
                self.controls.show(self.item.from_json(saved))
            finally:
                self._restoring = False
        self._refresh()

    @property
    def label(self) -> str:
        return self.item.label

    @property
    def value(self):
        """The answer the controls show now, as the plain value an answer cell would hold."""
        return self.controls.value

    def choose(self, value) -> None:
        """Answer from Python exactly as clicks would (used by tests and the demo class)."""
        self.controls.show(value)
        self._on_change()

    # -- callbacks ----------------------------------------------------------------------------
    _restoring = False

    def _on_change(self) -> None:
        if self._restoring:
            return
        value = self.value   # None once every choice is taken back: nothing is answered
        self.store.save(self.item_id, None if value is None else self.item.to_json(value))
        self._refresh()

    def _refresh(self) -> None:
        value = self.value
        problem = self.item.form_problem(value)
        var = self.item.var
        if value is None:
            text, tone = (f"Not answered yet. Choose above; your choice is saved as you click and "
                          f"becomes {var} in the answer cell below."), "info"
            if self.item.LOCKS:
                text = (f"Not answered yet. Play it through to its end, once: the path you play "
                        f"is saved as your answer and becomes {var} in the answer cell below.")
        elif problem:
            text, tone = f"Saved, but not complete yet: {problem}.", "warn"
        else:
            text, tone = (f"Saved: {describe(value)}. Run the answer cell below to use it as {var}; "
                          f"it is kept even if you close the notebook."), "good"
        self.feedback.value = feedback_html(text, tone)

    def text_fallback(self) -> str:
        lines = [f"{self.label}. {self.item.question}", *self.item.text_lines(self.controls)]
        lines.append(f"(The buttons cannot display here. Type your answer in the answer cell, "
                     f"for example {self.item.var} = {literal(self.item.example())}.)")
        return "\n".join(lines)


class _Progress:
    """An answer still in the making (a graded scenario's responses so far), kept in the answers
    file beside the answers under a key of its own (``progress_key``), so it is never graded."""

    def __init__(self, store: AnswerStore, item_id: str):
        self.store, self.item_id, self.key = store, item_id, progress_key(item_id)

    def get(self):
        saved = self.store.load()
        return None if saved.get(self.item_id) is not None else saved.get(self.key)

    def save(self, value) -> None:
        self.store.save(self.key, value)


def ask(item_id: str) -> Question:
    """Show the clickable version of a graded question."""
    return Question(item_id)
