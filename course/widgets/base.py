"""What every course widget shares: a composite box with a readable plain-text fallback."""

from __future__ import annotations

import html

import ipywidgets as widgets


class CourseWidget(widgets.VBox):
    """A composite widget. Subclasses build their children and say what to show as plain text."""

    def text_fallback(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        # Where widgets cannot render (a terminal, a static viewer) the learner still gets the
        # content and is told how to answer, instead of "VBox(children=...)".
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None:
            data["text/plain"] = self.text_fallback()
        return data


def feedback_html(text: str, tone: str = "info") -> str:
    """A short, accessible feedback block; the tone is carried by words and a symbol, not colour alone."""
    colours = {"good": "#1a7f37", "warn": "#9a6700", "bad": "#cf222e", "info": "#0969da"}
    return (f'<div role="status" style="border-left: 4px solid {colours[tone]}; padding: 4px 10px;">'
            f"{html.escape(text)}</div>")
