"""Figures that teach, one module per course module. Each returns a matplotlib Figure.

Every figure carries a text alternative (``with_alt``): in a notebook it is shown as an image
with that alt text, so a screen reader says what the figure shows, and the plain PNG stays in the
output for everything else (nbconvert, grading, feedback).
"""

from __future__ import annotations

import base64
import html
import io

#: A colour-blind-safe pair (Okabe & Ito), used across the course.
ENGAGED, DETACHED = "#0072B2", "#D55E00"
#: Where a figure keeps its text alternative.
ALT_ATTRIBUTE = "_course_alt"


def with_alt(fig, alt: str):
    """Give ``fig`` its text alternative: what it shows, in a sentence or two; returns ``fig``."""
    if not alt.strip():
        raise ValueError("A figure's text alternative says what it shows; it cannot be empty.")
    setattr(fig, ALT_ATTRIBUTE, alt.strip())
    _register_in_ipython()
    return fig


def alt_text(fig) -> str | None:
    return getattr(fig, ALT_ATTRIBUTE, None)


def figure_html(fig) -> str | None:
    """The figure as an ``<img>`` with its alt text (None for a figure without one).

    JupyterLab draws a PNG output with no alt attribute; an HTML output of the same picture keeps
    it, and JupyterLab's sanitiser lets a data: image through.
    """
    alt = alt_text(fig)
    if alt is None:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight", facecolor="white")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            'style="max-width: 100%; height: auto;">')


def _register_in_ipython() -> None:
    """Show figures with alt text as HTML in a running kernel (matplotlib's inline backend
    displays each figure at the end of its cell; the PNG is kept beside the HTML).

    Done each time a figure gets its alt text, not once at import: the inline backend, set up
    when pyplot is first imported, removes every formatter registered for Figure before."""
    try:
        from IPython import get_ipython
    except ImportError:   # pragma: no cover (IPython comes with the kernel)
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure
    shell.display_formatter.formatters["text/html"].for_type(Figure, figure_html)

