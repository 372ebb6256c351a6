"""Helpers the widget tests share: what a reader sees, and the controls a learner can operate."""

import ipywidgets as widgets


def named_controls(widget):
    """Every control a learner can operate inside a composite widget, however deeply nested."""
    for child in getattr(widget, "children", ()):
        if isinstance(child, (widgets.widget_description.DescriptionWidget, widgets.Button)) \
                and not isinstance(child, (widgets.HTML, widgets.Label)):
            yield child
        yield from named_controls(child)


def assert_every_control_named(widget, at_least: int) -> None:
    """Each control a learner operates has a description, which is its accessible name."""
    found = list(named_controls(widget))
    assert len(found) >= at_least, f"{type(widget).__name__}: only {len(found)} controls found"
    for control in found:
        assert control.description.strip(), f"{type(widget).__name__}: unnamed {type(control).__name__}"
