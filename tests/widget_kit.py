"""Helpers the widget tests share: the controls a learner can operate, their names, and playing an
item kind's clicks (``Item.clicks``) on a widget headless, as the browser tests play them."""

import re

import ipywidgets as widgets


def shown_children(widget):
    """Every widget drawn inside a composite widget, however deeply nested (hidden ones left out)."""
    for child in getattr(widget, "children", ()):
        if getattr(child.layout, "display", None) == "none":
            continue
        yield child
        yield from shown_children(child)


def shown_text(widget) -> str:
    """The HTML a reader sees inside a composite widget, in one string."""
    return " ".join(w.value for w in shown_children(widget) if isinstance(w, widgets.HTML))


def named_controls(widget):
    """Every control a learner can operate inside a composite widget."""
    for child in shown_children(widget):
        if isinstance(child, (widgets.widget_description.DescriptionWidget, widgets.Button)) \
                and not isinstance(child, (widgets.HTML, widgets.Label, widgets.IntProgress)):
            yield child


def assert_every_control_named(widget, at_least: int = 1) -> None:
    """Each control a learner operates has a description, which is its accessible name."""
    found = list(named_controls(widget))
    assert len(found) >= at_least, f"{type(widget).__name__}: only {len(found)} controls found"
    for control in found:
        assert control.description.strip(), f"{type(widget).__name__}: unnamed {type(control).__name__}"


def perform(widget, steps) -> None:
    """Do what ``steps`` (an item kind's ``clicks``) say, on the widget's controls by their ARIA
    role and position, as a learner's clicks would; a disabled control does nothing."""
    for step in steps:
        shown = list(shown_children(widget))
        role, index = step["role"], step.get("index", 0)
        if role == "radio":
            options = [(group, value) for group in shown if isinstance(group, widgets.RadioButtons)
                       for value in group._options_values]
            group, value = options[index]
            if not group.disabled:
                group.value = value
        elif role == "checkbox":
            box = [w for w in shown if isinstance(w, widgets.Checkbox)][index]
            if not box.disabled:
                box.value = step["checked"]
        elif role == "combobox":
            menu = [w for w in shown if isinstance(w, widgets.Dropdown)][index]
            if not menu.disabled:
                menu.index = step["option"]
        elif role == "textbox":
            box = [w for w in shown if isinstance(w, widgets.Text)][index]
            if not box.disabled:
                box.value = step["text"]
        elif role == "button":
            button = next(w for w in shown if isinstance(w, widgets.Button)
                          and re.search(step["name"], w.description))
            if not button.disabled:
                button.click()
        else:
            raise ValueError(f"no such role in a click script: {role!r}")
