"""The report's figures: matplotlib, a colour-blind-safe palette, and alt text for every one.

Figures are drawn on ``matplotlib.figure.Figure`` objects directly (no pyplot), so building a report
never touches a global backend or an open notebook's figures. Meaning never rests on colour alone:
the key is hatched as well as blue, waiting reflections are hatched as well as orange.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from course.report import stats
from course.report.analysis import NO_ANSWER, OTHER, Analysis

#: Okabe & Ito's palette, safe for the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION = OKABE_ITO[:6]
GREY = "#999999"
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
#: Sequential and perceptually uniform, readable with colour-vision deficiencies and in greyscale.
#: Cells of a module not submitted are see-through, showing the hatched background: cividis has
#: greys of its own, so a grey "missing" would read as middling mastery.
HEATMAP = colormaps["cividis"].with_extremes(bad=(0, 0, 0, 0))
DPI = 100
#: Above this many learners the heatmap drops the names (the CSV keeps them).
NAMED_ROWS = 60
#: The item map's marker size (matplotlib's ``s``: an area in points squared).
MARKER_AREA = 46
#: Up to this many items, the item map labels every point (beyond it only the flagged ones).
LABEL_ALL_ITEMS = 50


@dataclass
class Rendered:
    name: str        # file stem, e.g. "theme_heatmap"
    title: str
    alt: str
    png: bytes


def render(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def _percent(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


def module_colour(index: int) -> str:
    return OKABE_ITO[index % len(OKABE_ITO)]


def theme_heatmap(a: Analysis) -> Rendered:
    themes = [t for m in a.modules for t in m.themes]
    learners = a.learners
    grid = np.array([[np.nan if (v := a.theme_mastery(s, t.id)) is None else v for t in themes]
                     for s in learners], dtype=float).reshape(len(learners), len(themes))
    named = len(learners) <= NAMED_ROWS
    height = min(14.0, 2.2 + 0.22 * len(learners)) if named else 10.0
    fig = Figure(figsize=(max(6.5, 2.8 + 0.3 * len(themes)), height), layout="constrained")
    ax = fig.add_subplot()
    ax.set_facecolor("white")
    ax.patch.set_hatch("////")
    ax.patch.set_edgecolor("#b0b0b0")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=HEATMAP, vmin=0, vmax=1, aspect="auto",
                      interpolation="nearest")
    ax.set_xticks(range(len(themes)), [t.id for t in themes], rotation=90, fontsize=8)
    if named:
        ax.set_yticks(range(len(learners)), learners, fontsize=8)
        ax.set_ylabel("learner (best overall first)")
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(learners)} learners (best overall at the top)")
    start = 0
    for module in a.modules[:-1]:
        start += len(module.themes)
        ax.axvline(start - 0.5, color="black", linewidth=1.2)
    ax.set_title("Theme mastery by learner (hatched white: module not submitted)")
    bar = fig.colorbar(image, ax=ax, shrink=0.6)
    bar.set_label("share of the theme's points")
    weakest = sorted((t for t in a.themes if t.mean is not None), key=lambda t: t.mean)[:3]
    alt = (f"Heatmap of theme mastery for {len(learners)} learners (rows, best overall first) and "
           f"{len(themes)} themes (columns, grouped by module). Yellow cells mean most of a theme's "
           "points were earned, dark blue cells few; hatched white cells are modules not submitted. ")
    if weakest:
        alt += "The class's weakest themes are " + ", ".join(
            f"{t.theme.title} ({_percent(t.mean)})" for t in weakest) + "."
    return Rendered("theme_heatmap", "Theme mastery by learner", alt, render(fig))


def theme_bars(a: Analysis) -> Rendered:
    rows = [t for t in a.themes]
    fig = Figure(figsize=(9, 1.6 + 0.32 * max(1, len(rows))), layout="constrained")
    ax = fig.add_subplot()
    ys = np.arange(len(rows))[::-1]
    index = {m.id: i for i, m in enumerate(a.modules)}
    for y, t in zip(ys, rows):
        value = t.mean if t.mean is not None else 0.0
        below = t.mean is not None and t.mean < stats.MASTERY
        ax.barh(y, value, color=module_colour(index[t.module.id]), edgecolor="black",
                linewidth=0.6, hatch="//" if below else None)
        ax.text(min(value, 1.0) + 0.01, y, _percent(t.mean), va="center", fontsize=8)
    ax.set_yticks(ys, [_short(f"{t.theme.id}: {t.theme.title}", 60) for t in rows], fontsize=8)
    ax.axvline(stats.MASTERY, color="black", linestyle="--", linewidth=1,
               label=f"mastery line ({stats.MASTERY:.0%})")
    ax.set_xlim(0, 1.12)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("class mean mastery (hatched: below the mastery line)")
    ax.set_title("Which themes has the class grasped?")
    handles = [Patch(facecolor=module_colour(i), edgecolor="black", label=m.label)
               for i, m in enumerate(a.modules)]
    handles.append(ax.get_lines()[-1])
    fig.legend(handles=handles, loc="outside lower center", ncol=min(6, len(handles)), fontsize=8)
    below = [t for t in rows if t.mean is not None and t.mean < stats.MASTERY]
    alt = (f"Horizontal bar chart of the class's mean mastery for each of {len(rows)} themes, "
           f"coloured by module, with a dashed line at {stats.MASTERY:.0%}. ")
    alt += (f"{len(below)} theme{'s' * (len(below) != 1)} fall below it: " + ", ".join(
        f"{t.theme.title} ({_percent(t.mean)})" for t in sorted(below, key=lambda t: t.mean))
        + ".") if below else "Every theme is at or above it."
    return Rendered("theme_class", "Class mastery per theme", alt, render(fig))


def item_map(a: Analysis) -> Rendered:
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.add_subplot()
    ax.add_patch(_box(stats.P_LOW, stats.DISCRIMINATION_LOW, stats.P_HIGH - stats.P_LOW,
                      1 - stats.DISCRIMINATION_LOW))
    index = {m.id: i for i, m in enumerate(a.modules)}
    plotted, undefined = [], []
    for s in a.items:
        if s.p is None or s.r_pb is None:
            undefined.append(s)
            continue
        i = index[s.module.id]
        ax.scatter(s.p, s.r_pb, color=module_colour(i), marker=MARKERS[i % len(MARKERS)],
                   s=MARKER_AREA, edgecolor="black", linewidth=0.5, zorder=3)
        plotted.append(s)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(min(-0.4, *(s.r_pb - 0.05 for s in plotted)) if plotted else -0.4, 1.0)
    _place_labels(ax, [(s.p, s.r_pb, f"{s.module.id} {s.item.label.replace('Question ', 'Q')}",
                        bool(s.flags))
                       for s in plotted if s.flags or len(a.items) <= LABEL_ALL_ITEMS],
                  points=[(s.p, s.r_pb) for s in plotted])
    ax.set_xlabel("difficulty p (share correct)")
    ax.set_ylabel("point-biserial discrimination (item vs rest of module)")
    ax.set_title("Item map: the shaded box is the usual range (flagged items in bold)"
                 if len(a.items) <= LABEL_ALL_ITEMS else
                 "Item map: the shaded box is the usual range; labelled items are flagged")
    ax.legend(handles=[ax.scatter([], [], color=module_colour(i), marker=MARKERS[i % len(MARKERS)],
                                  edgecolor="black", linewidth=0.5, label=m.label)
                       for i, m in enumerate(a.modules)], loc="lower left", fontsize=8)
    flagged = [s for s in a.items if s.flags]
    alt = (f"Scatter plot of {len(plotted)} auto-graded items: difficulty p on the horizontal axis, "
           "point-biserial discrimination on the vertical axis. A shaded box marks the usual range "
           f"(p from {stats.P_LOW:.2f} to {stats.P_HIGH:.2f}, discrimination at least "
           f"{stats.DISCRIMINATION_LOW:.2f}). ")
    alt += (f"{len(flagged)} flagged: " + "; ".join(
        f"{s.module.id} {s.item.label} ({s.flags[0]})" for s in flagged[:12])
        + ("; and more in the table." if len(flagged) > 12 else ".")) if flagged else \
        "No item is flagged."
    if undefined:
        alt += f" {len(undefined)} item(s) with undefined discrimination are not plotted."
    return Rendered("item_map", "Item difficulty and discrimination", alt, render(fig))


#: Where a point's label may go, in points from the point, tried in turn: beside it, right then
#: left, and then a row further up or down each time.
LABEL_SPOTS = [(dx, dy) for dy in (3, -10, 12, -19, 21, -28, 30, -37, 39, -46) for dx in (4, -4)]


def _place_labels(ax, labels: list[tuple[float, float, str, bool]],
                  points: list[tuple[float, float]] = ()) -> None:
    """Label points without covering another label or a marker: each label takes the first spot
    around its point that overlaps no label placed before it, no marker of ``points``, and stays
    inside the axes (in a cluster too dense for any, the first spot). Measured on the laid-out
    figure, so in real display units."""
    from matplotlib.transforms import Bbox
    fig = ax.figure
    FigureCanvasAgg(fig)
    fig.canvas.draw()            # the constrained layout settles the axes before measuring
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    half = math.sqrt(MARKER_AREA) / 2 * fig.dpi / 72     # a marker's half-width, in pixels
    taken = [Bbox.from_extents(px - half, py - half, px + half, py + half)
             for px, py in (ax.transData.transform(point) for point in points)]

    def free(box) -> bool:
        return (inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
                and box.y1 <= inside.y1 and not any(box.overlaps(t) for t in taken))

    for x, y, text, bold in sorted(labels, key=lambda label: (-label[3], label[0], label[1])):
        def label_at(spot):
            return ax.annotate(text, (x, y), xytext=spot, textcoords="offset points", fontsize=7,
                               fontweight="bold" if bold else "normal",
                               ha="left" if spot[0] > 0 else "right")
        for spot in LABEL_SPOTS:
            label = label_at(spot)
            if free(label.get_window_extent(renderer)):
                break
            label.remove()
        else:                    # nowhere free: the first spot
            label = label_at(LABEL_SPOTS[0])
        taken.append(label.get_window_extent(renderer))


def _box(x, y, w, h):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), w, h, facecolor="#e8f1f8", edgecolor=BLUE, linestyle=":", zorder=0)


def option_shares(a: Analysis, module) -> Rendered | None:
    items = [s.item for s in a.items if s.module is module and s.item.spec.judges_distractors]
    if not items:
        return None
    cols = min(3, len(items))
    nrows = math.ceil(len(items) / cols)
    fig = Figure(figsize=(4.2 * cols, 2.9 * nrows), layout="constrained")
    rare_notes = []
    for k, item in enumerate(items):
        ax = fig.add_subplot(nrows, cols, k + 1)
        shares = [o for o in a.options if o.item is item and o.part == ""]
        letters = [o.option for o in shares]
        xs = np.arange(len(shares))
        for x, o in zip(xs, shares):
            colour = BLUE if o.is_key else (GREY if o.option in (NO_ANSWER, OTHER) else ORANGE)
            ax.bar(x, o.share, color=colour, edgecolor="black", linewidth=0.6,
                   hatch="//" if o.is_key else None)
            if o.rare:
                ax.text(x, o.share + 0.02, "<5%", ha="center", fontsize=7)
                rare_notes.append(f"{item.label} option {o.option}")
        ax.set_xticks(xs, [{"(no answer)": "none", "(other)": "other"}.get(x, x) for x in letters],
                      fontsize=8)
        ax.set_ylim(0, 1.1)
        ax.set_title(f"{item.label} ({item.kind})", fontsize=9)
        ax.set_ylabel("share of learners", fontsize=8)
    fig.legend(handles=[Patch(facecolor=BLUE, hatch="//", edgecolor="black", label="key"),
                        Patch(facecolor=ORANGE, edgecolor="black", label="distractor"),
                        Patch(facecolor=GREY, edgecolor="black", label="no answer / other")],
               loc="outside lower center", ncol=3, fontsize=8)
    fig.suptitle(f"{module.label}: share of learners choosing each option "
                 "(choice questions; every item is in the table)")
    alt = (f"Bar charts, one per choice question of {module.label} ({len(items)} in all), of the "
           "share of learners choosing each option; the key is blue and hatched, distractors "
           "orange, no answer grey. ")
    alt += ("Distractors chosen by fewer than 5%: " + ", ".join(rare_notes) + ".") if rare_notes \
        else "Every distractor drew at least 5% of learners."
    return Rendered(f"options_{module.id}", f"{module.label}: option shares", alt, render(fig))


def score_distributions(a: Analysis) -> Rendered:
    n = max(1, len(a.scores))
    cols = min(3, n)
    nrows = math.ceil(n / cols)
    fig = Figure(figsize=(4.3 * cols, 3.0 * nrows), layout="constrained")
    parts = []
    for k, s in enumerate(a.scores):
        ax = fig.add_subplot(nrows, cols, k + 1)
        top = max(1.0, s.max_auto)
        bins = np.arange(-0.5, math.ceil(top) + 1.0, 1.0)
        ax.hist(s.auto, bins=bins, color=SKY, edgecolor="black", linewidth=0.6)
        if s.summary["mean"] is not None:
            ax.axvline(s.summary["mean"], color=VERMILLION, linestyle="--", linewidth=1.5,
                       label=f"mean {s.summary['mean']:.1f}")
            ax.legend(fontsize=8, loc="upper left")
            parts.append(f"{s.module.label}: {s.submitted} submissions, mean "
                         f"{s.summary['mean']:.1f} and median {s.summary['median']:g} of "
                         f"{s.max_auto:g} points")
        ax.set_title(f"{s.module.label} (n = {s.submitted})", fontsize=9)
        ax.set_xlabel(f"auto-graded points (of {s.max_auto:g})", fontsize=8)
        ax.set_ylabel("learners", fontsize=8)
    fig.suptitle("Score distribution per module (auto-graded items)")
    alt = ("Histograms of the auto-graded score of each submission, one per module, with the mean "
           "as a dashed line. " + ("; ".join(parts) + "." if parts else "No submissions yet."))
    return Rendered("score_distributions", "Score distribution per module", alt, render(fig))


def grading_progress(a: Analysis) -> Rendered:
    rows = a.reflections
    fig = Figure(figsize=(9, 1.6 + 0.42 * max(1, len(rows))), layout="constrained")
    ax = fig.add_subplot()
    ys = np.arange(len(rows))[::-1]
    segments = [("graded", GREEN, None), ("waiting", ORANGE, "//"), ("blank", GREY, "..")]
    for y, r in zip(ys, rows):
        left = 0
        for name, colour, hatch in segments:
            value = getattr(r, name)
            if value:
                ax.barh(y, value, left=left, color=colour, hatch=hatch, edgecolor="black",
                        linewidth=0.6)
                ax.text(left + value / 2, y, str(value), ha="center", va="center", fontsize=8,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
            left += value
    ax.set_yticks(ys, [f"{r.module.id} {_short(r.reflection.label, 48)}" for r in rows], fontsize=8)
    ax.set_xlabel("submissions")
    ax.set_title("Manual grading of reflections")
    fig.legend(handles=[Patch(facecolor=c, hatch=h, edgecolor="black",
                              label={"blank": "blank (scored 0 automatically)"}.get(n, n))
                        for n, c, h in segments], loc="outside lower center", ncol=3, fontsize=8)
    waiting = sum(r.waiting for r in rows)
    graded = sum(r.graded for r in rows)
    alt = (f"Stacked bar chart for {len(rows)} reflections: {graded} answers graded, {waiting} "
           "waiting for the instructor, and blank ones that scored 0 automatically. ")
    alt += "; ".join(f"{r.module.id} {r.reflection.label}: {r.graded} graded, {r.waiting} waiting"
                     for r in rows[:10]) + "." if rows else "There are no reflections."
    return Rendered("grading_progress", "Manual grading progress", alt, render(fig))


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def all_figures(a: Analysis) -> list[Rendered]:
    figures = [theme_heatmap(a), theme_bars(a), item_map(a)]
    figures += [f for f in (option_shares(a, m) for m in a.modules) if f is not None]
    figures += [score_distributions(a), grading_progress(a)]
    return figures
