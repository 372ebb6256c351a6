"""Module 3's figure: when officers are stretched, the public stops telling them things (fictional data)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from course import content
from course.plots import DETACHED, ENGAGED, with_alt

#: Shading for the months after the cut: a light neutral grey that reads the same to everyone.
AFTER_CUT = "#e8e8e8"


def stretched_thin():
    """Monthly reports from the public and late-found problems at a fictional site, before and after a staffing cut."""
    data = content.module_content("m3")["figure"]
    months, cut = data["months"], data["cut_after_month"]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    ax.axvspan(cut + 0.5, months[-1] + 0.5, color=AFTER_CUT, zorder=0)
    bars = ax.bar(months, data["reports"], color=ENGAGED, width=0.7, zorder=2,
                  label=data["reports_label"])
    ax.bar_label(bars, padding=2, fontsize=9)
    ax.plot(months, data["late_incidents"], color=DETACHED, marker="s", markersize=7,
            markeredgecolor="white", linestyle="--", linewidth=2, zorder=3,
            label=data["late_label"])
    top = max(data["reports"]) * 1.45
    ax.set_ylim(0, top)
    ax.text(1 - 0.3, top * 0.93, f"{data['officers_before']} officers per shift",
            fontsize=10, va="top")
    ax.text(cut + 0.7, top * 0.93,
            f"After the cut: {data['officers_after']} officers per shift,\n"
            "covering the same site", fontsize=10, va="top")
    ax.set_xticks(months)
    ax.set_xlim(months[0] - 0.5, months[-1] + 0.5)
    ax.set_xlabel("Month")
    ax.set_ylabel("Number in the month")
    ax.set_title(f"Stretched thin: fewer officers, fewer reports, more late surprises\n"
                 f"{data['site']} (fictional data)", fontsize=12)
    ax.yaxis.grid(alpha=0.3, zorder=1)
    handles, labels = ax.get_legend_handles_labels()
    order = [labels.index(data["reports_label"]), labels.index(data["late_label"])]
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper center",
              bbox_to_anchor=(0.5, -0.14), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    before, after = months[:cut], months[cut:]
    def mean(values, span):
        return sum(values[m - months[0]] for m in span) / len(span)
    return with_alt(fig, (
        f"Bar and line chart over {len(months)} months at {data['site']} (fictional data). Bars: "
        f"{data['reports_label'].lower()}, about {mean(data['reports'], before):.0f} a month with "
        f"{data['officers_before']} officers per shift, falling to about "
        f"{mean(data['reports'], after):.0f} a month after the cut to {data['officers_after']}. "
        f"Line: {data['late_label'].lower()}, rising from about "
        f"{mean(data['late_incidents'], before):.0f} to {mean(data['late_incidents'], after):.0f} "
        "a month."))
