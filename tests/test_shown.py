"""Every widget and figure a notebook shows, made as its cells make them, headless.

The notebooks are the registry of what learners see: each module's setup, try-it and question
cells are run here in order (no kernel, no browser), and every widget that comes out must name
each of its controls (the accessible name) and have a plain-text fallback, and every figure must
draw something. A new module is covered as soon as its notebook exists.
"""

from __future__ import annotations

import ast
import re

import matplotlib
import pytest
from matplotlib.figure import Figure

from course import notebooks
from course.widgets.base import CourseWidget

from conftest import MODULES, ROOT
from figure_kit import assert_not_blank, png_of
from widget_kit import assert_every_control_named

matplotlib.use("Agg")

SHOWN_ROLES = ("setup", "try", "ask")


def run_cell(source: str, namespace: dict):
    """Run a cell's code; the value of its last expression, as the notebook would show it."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None


def shown(module) -> list[tuple[str, object]]:
    nb = notebooks.read(notebooks.source_notebook(ROOT, module))
    namespace, out = {}, []
    for cell in nb.cells:
        if cell.cell_type == "code" and notebooks.course_meta(cell).get("role") in SHOWN_ROLES:
            value = run_cell(cell.source, namespace)
            if isinstance(value, (CourseWidget, Figure)):
                out.append((cell.get("id", "?"), value))
    return out


@pytest.fixture(params=MODULES, ids=[m["id"] for m in MODULES])
def things(request, in_tmp):
    found = shown(request.param)
    yield found
    import matplotlib.pyplot as plt
    plt.close("all")


def test_every_widget_names_its_controls_and_has_a_text_fallback(things):
    widgets = [(cell, w) for cell, w in things if isinstance(w, CourseWidget)]
    assert widgets, "a module shows at least one widget"
    for cell, widget in widgets:
        assert_every_control_named(widget)
        assert len(widget.text_fallback()) > 40, cell


def test_every_figure_draws_something(things):
    figures = [(cell, f) for cell, f in things if isinstance(f, Figure)]
    assert figures, "a module shows at least one figure"
    for cell, fig in figures:
        assert_not_blank(png_of(fig), f"the figure of cell {cell}")
        ax = fig.axes[0]
        assert ax.get_title() or fig.texts, f"{cell}: the figure says what it shows"


def test_every_figure_has_a_text_alternative(things):
    """A screen reader says what each figure shows: its alt text (course.plots.with_alt) names
    the kind of chart and its numbers, and says when the data is fictional or illustrative."""
    from course.plots import alt_text
    for cell, fig in ((c, f) for c, f in things if isinstance(f, Figure)):
        alt = alt_text(fig)
        assert alt and len(alt.split()) >= 20, f"{cell}: the figure has no useful alt text"
        assert re.search(r"fictional|illustrative", alt, re.I), f"{cell}: say the data is invented"


def test_every_figure_keeps_its_colours_apart_for_colour_vision_deficiencies(things):
    """No two colours of a figure become alike under protanopia, deuteranopia or tritanopia."""
    from colour_vision import figure_colours, too_alike
    for cell, fig in ((c, f) for c, f in things if isinstance(f, Figure)):
        assert not too_alike(figure_colours(fig)), f"{cell}: {too_alike(figure_colours(fig))}"


def test_the_colour_check_can_fail():
    """Control: red and green, the classic confusion, are caught."""
    from colour_vision import too_alike
    assert any(name == "deuteranopia" for *_, name, _ in too_alike(["#d62728", "#2ca02c"]))
