"""Colours as people with the common colour-vision deficiencies see them.

Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color
vision deficiency", IEEE TVCG 15(6): the matrices for protanopia, deuteranopia and tritanopia at
full severity, applied in linear RGB; distances are CIE76 colour differences in CIELAB (D65).
"""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.colors import rgb_to_hsv, to_rgb

SIMULATIONS = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
#: Two colours closer than this (CIE76) under any simulation are too alike to carry meaning.
MIN_DIFFERENCE = 15
_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


def _linear(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb) -> np.ndarray:
    t = (_XYZ @ linear_rgb) / _WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def difference(a, b, simulation: str | None = None) -> float:
    """CIE76 difference between colours ``a`` and ``b`` (as seen under ``simulation``)."""
    m = np.array(SIMULATIONS[simulation]) if simulation else np.eye(3)
    seen = [np.clip(m @ _linear(to_rgb(c)), 0, 1) for c in (a, b)]
    return float(np.linalg.norm(_lab(seen[0]) - _lab(seen[1])))


def chromatic(colour) -> bool:
    """A colour that could carry meaning by its hue (not white, black or a grey)."""
    _, saturation, value = rgb_to_hsv(to_rgb(colour))
    return saturation > 0.2 and 0.15 < value


def too_alike(colours) -> list[tuple[str, str, str, float]]:
    """Pairs of the chromatic ``colours`` that some deficiency makes hard to tell apart."""
    found = []
    distinct = sorted({tuple(round(x, 3) for x in to_rgb(c)) for c in colours if chromatic(c)})
    for a, b in itertools.combinations(distinct, 2):
        for name in SIMULATIONS:
            d = difference(a, b, name)
            if d < MIN_DIFFERENCE:
                found.append((str(a), str(b), name, round(d, 1)))
    return found


def figure_colours(fig) -> list:
    """Every line, marker, face and edge colour the figure draws."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    colours = []
    for artist in fig.findobj():
        if isinstance(artist, Line2D):
            colours += [artist.get_color(), artist.get_markerfacecolor()]
        elif isinstance(artist, Patch):
            colours += [artist.get_facecolor()[:3]]
        elif isinstance(artist, Collection):
            colours += [tuple(c[:3]) for c in artist.get_facecolors()]
    return [c for c in colours if c is not None and not (isinstance(c, str) and c == "none")]
