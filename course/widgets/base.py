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


#: ipywidgets gives each radio option a fixed one-line height, so a long option that wraps runs
#: over the next one (and a click on its second line picks the wrong option). Let options grow.
WRAPPING_OPTIONS_CSS = ("<style>.widget-radio-box label { height: auto; min-height: "
                        "var(--jp-widgets-radio-item-height); line-height: 1.4; padding: 2px 0; }"
                        "</style>")


def number_setting(description: str, value: int, low: int, high: int,
                   width: str = "min(100%, 420px)") -> widgets.BoundedIntText:
    """A whole number from ``low`` to ``high`` that every learner can set, by mouse or keyboard.

    Not an ``IntSlider``: in ipywidgets 8 a slider's handle has no accessible name (a screen reader
    hears only "slider") and its readout is an unlabelled editable box. This box is named by its
    description, steps with the arrow keys, and takes a typed number.
    """
    return widgets.BoundedIntText(value=value, min=low, max=high, step=1, description=description,
                                  continuous_update=True, style={"description_width": "initial"},
                                  layout=widgets.Layout(width=width))


def feedback_html(text: str, tone: str = "info") -> str:
    """A short, accessible feedback block; the tone is carried by words and a symbol, not colour alone."""
    colours = {"good": "#1a7f37", "warn": "#9a6700", "bad": "#cf222e", "info": "#0969da"}
    return (f'<div role="status" style="border-left: 4px solid {colours[tone]}; padding: 4px 10px;">'
            f"{html.escape(text)}</div>")
