"""Figures exist, say what they show, label fictional data, and are not blank."""

import io

import matplotlib
import numpy as np
from PIL import Image

from course.plots.first_contact import trust_over_time

matplotlib.use("Agg")


def rendered(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return np.asarray(Image.open(buf).convert("L"))


def test_trust_figure_has_both_sites_labelled_fictional():
    fig = trust_over_time()
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    labels = [line.get_label() for line in ax.lines]
    assert all("fictional" in label for label in labels)
    assert "fictional" in ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()
    pixels = rendered(fig)
    assert pixels.std() > 10, "the figure rendered blank"
