"""Module 1's figure: trust builds slowly, and then it works for you (fictional data)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from course import content
from course.plots import DETACHED, ENGAGED, with_alt


def trust_over_time():
    """Weekly reports of hazards and concerns at two fictional sites over twelve weeks."""
    data = content.module_content("m1")["figure"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.plot(data["weeks"], data["engaged"], marker="o", color=ENGAGED, label=data["engaged_label"])
    ax.plot(data["weeks"], data["detached"], marker="s", linestyle="--", color=DETACHED,
            label=data["detached_label"])
    ax.set_xlabel("Week since the officers started")
    ax.set_ylabel("Concerns reported to officers that week")
    ax.set_title("Trust takes weeks to build, then brings in reports (fictional data)")
    ax.set_xticks(data["weeks"])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False)
    ax.annotate("little change at first", xy=(3, 2), xytext=(3.5, 5.2),
                arrowprops={"arrowstyle": "->"})
    fig.tight_layout()
    weeks = data["weeks"]
    return with_alt(fig, (
        f"Line chart over {len(weeks)} weeks of concerns reported to officers at two fictional "
        f"sites. {data['engaged_label']}: from {data['engaged'][0]} in week {weeks[0]} to "
        f"{data['engaged'][-1]} in week {weeks[-1]}. {data['detached_label']}: from "
        f"{data['detached'][0]} to {data['detached'][-1]}. The two lines stay close for the first "
        "weeks, then the first climbs away."))
