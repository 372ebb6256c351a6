"""Module 5's figure: the escalation curve, and what service does in each of its phases.

The five phases and the shape of the curve follow Kaplan and Wheeler's (1983) "assault cycle", a
model widely used in conflict-management training; the curve is illustrative, not measured data.
Each phase is labelled with what an officer does there and where the course taught it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course import content
from course.plots import DETACHED, ENGAGED, with_alt

#: Alternating light neutral shades, so the phases read apart without relying on colour.
SHADES = ("#f2f2f2", "#e0e0e0")


def curve(data: dict, points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A smooth line through the illustrative control points (linear, then a moving average)."""
    x = np.linspace(data["curve_x"][0], data["curve_x"][-1], points)
    y = np.interp(x, data["curve_x"], data["curve_y"])
    width = points // 25
    padded = np.pad(y, width, mode="edge")
    return x, np.convolve(padded, np.ones(2 * width + 1) / (2 * width + 1), mode="valid")


def escalation_curve():
    """The escalation curve with its five phases, and what service does in each."""
    data = content.module_content("m5")["figure"]
    x, y = curve(data)
    fig, ax = plt.subplots(figsize=(10, 5.6))
    top = max(y) * 1.9
    for n, phase in enumerate(data["phase"]):
        ax.axvspan(phase["start"], phase["end"], color=SHADES[n % 2], zorder=0)
        middle = (phase["start"] + phase["end"]) / 2
        ax.text(middle, top * 0.97, phase["name"], ha="center", va="top", fontsize=10,
                fontweight="bold")
        ax.text(middle, top * 0.89, phase["service"], ha="center", va="top", fontsize=8.5)
        ax.text(middle, top * 0.70, phase["course"], ha="center", va="top", fontsize=8,
                style="italic", color="#333333")
    ax.plot(x, y, color=DETACHED, linewidth=2.5, zorder=3, label="Arousal (illustrative)")
    baseline = data["curve_y"][0]
    ax.axhline(baseline, color=ENGAGED, linestyle="--", linewidth=1.5, zorder=2,
               label="The person's usual level")
    ax.set_ylim(0, top)
    ax.set_xlim(data["curve_x"][0], data["curve_x"][-1])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("Time")
    ax.set_ylabel("How worked up the person is (arousal)")
    ax.set_title("The escalation curve: what service does in each phase (illustrative)",
                 fontsize=12)
    ax.legend(loc="lower left", frameon=False, fontsize=9)
    fig.text(0.01, 0.01, f"Phases after {data['source']}. The curve is illustrative, not data.",
             fontsize=7.5, color="#333333")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    phases = "; ".join(" ".join(f"{p['name']}: {p['service']}".split()) for p in data["phase"])
    return with_alt(fig, (
        "Illustrative curve, not data, of how worked up a person becomes over time: it rises "
        "from their usual level to a peak, then falls back below it before returning. Shaded "
        f"phases after {data['source']}, each with what service does in it. {phases}."))
