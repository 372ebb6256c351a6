"""Module 1's figure says what it shows and labels its fictional data (every figure of every
module is checked for drawing something in test_shown.py)."""

import matplotlib

from course.plots.first_contact import trust_over_time

matplotlib.use("Agg")


def test_trust_figure_has_both_sites_labelled_fictional():
    fig = trust_over_time()
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    labels = [line.get_label() for line in ax.lines]
    assert all("fictional" in label for label in labels)
    assert "fictional" in ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()
