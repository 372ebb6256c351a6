"""The one check that a figure draws something, for every test that makes figures (the notebooks'
own, in test_shown.py, and the report's, in test_report.py)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib import image as mpimg


def png_of(fig) -> bytes:
    """A matplotlib figure as the PNG a learner or the report page would see."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def assert_not_blank(png: bytes, what: str = "the figure") -> None:
    """A real PNG of a sensible size, with ink on a fair share of it and more than a few colours
    (a blank or single-colour canvas fails)."""
    assert png.startswith(b"\x89PNG"), f"{what} is not a PNG"
    pixels = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100, f"{what} is too small: {pixels.shape}"
    ink = (pixels < 0.9).any(axis=-1).mean()   # share of pixels that are not (near) white
    colours = np.unique(pixels.reshape(-1, 3), axis=0).shape[0]
    assert ink > 0.02 and colours > 8, f"{what} rendered blank (ink {ink:.3f}, {colours} colours)"
