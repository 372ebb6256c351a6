"""Helpers the widget tests share: what a reader sees, and the controls a learner can operate."""

import ipywidgets as widgets


def named_controls(widget):
    """Every control a learner can operate inside a composite widget, however deeply nested."""
    for child in getattr(widget, "children", ()):
        if isinstance(child, (widgets.widget_description.DescriptionWidget, widgets.Button)) \
                and not isinstance(child, (widgets.HTML, widgets.Label)):
            yield child
        yield from named_controls(child)
