"""Module 2's figure and the small helpers a learner uses on the (fictional) shift log.

The log is data in ``course/content/m2_listening.toml``: one Saturday shift at a fictional shopping
centre, one entry per request an officer dealt with. ``tally`` counts it by any column, and
``requests_figure`` shows what people needed and who started each contact.
"""

from __future__ import annotations

from collections import Counter

import matplotlib.pyplot as plt

from course import content
from course.plots import DETACHED, ENGAGED, with_alt

#: The course's colour-blind-safe pair (Okabe & Ito); here blue is "the visitor asked" and
#: vermilion "the officer noticed first". The second bars are also hatched, so print and
#: greyscale readers can tell them apart.
ASKED_COLOUR, NOTICED_COLOUR = ENGAGED, DETACHED
COLUMNS = ("time", "kind", "how", "note")
HOW = {"asked": "the visitor came to the officer",
       "noticed": "the officer noticed first and offered help"}


def shift_log() -> list[dict]:
    """The fictional shift log: a list of requests, each a dict with time, kind, how and note."""
    return [dict(entry) for entry in content.module_content("m2")["shift"]["log"]]


def tally(log: list[dict], column: str = "kind") -> dict:
    """How many entries of ``log`` have each value of ``column``, most frequent first.

    ``tally(log, "kind")`` counts requests by kind; ``tally(log, "how")`` counts who started them.
    """
    if column not in COLUMNS:
        raise ValueError(f"The shift log has no column {column!r}. Use one of: "
                         f"{', '.join(repr(c) for c in COLUMNS)}, for example tally(log, \"kind\").")
    try:
        values = [entry[column] for entry in log]
    except (TypeError, KeyError):
        raise ValueError("tally() needs the shift log itself: run `log = shift_log()` first, "
                         "then tally(log, \"kind\").") from None
    counts = Counter(values)
    # Most frequent first; ties keep the order in which they first appear in the log.
    return dict(sorted(counts.items(), key=lambda pair: -pair[1]))


def requests_figure(log: list[dict] | None = None):
    """Requests on the fictional shift by kind, split by who started the contact."""
    log = shift_log() if log is None else log
    shift = content.module_content("m2")["shift"]
    kinds = list(tally(log, "kind"))[::-1]  # most frequent at the top of a horizontal chart
    asked = [sum(1 for e in log if e["kind"] == k and e["how"] == "asked") for k in kinds]
    noticed = [sum(1 for e in log if e["kind"] == k and e["how"] == "noticed") for k in kinds]

    fig, ax = plt.subplots(figsize=(8, 4.4))
    ax.barh(kinds, asked, color=ASKED_COLOUR, label=f"Asked: {HOW['asked']}")
    ax.barh(kinds, noticed, left=asked, color=NOTICED_COLOUR, hatch="//", edgecolor="white",
            label=f"Noticed: {HOW['noticed']}")
    for y, (a, n) in enumerate(zip(asked, noticed)):
        ax.text(a + n + 0.15, y, str(a + n), va="center")
    ax.set_xlabel("Number of requests on the shift")
    ax.set_title(f"What people needed from security on one shift (fictional data)\n"
                 f"{shift['site']}, {shift['day']}: {len(log)} requests")
    suspicious = sum(1 for e in log if e["kind"] == "suspicious activity")
    ax.text(0.98, 0.45, f"Only {suspicious} of {len(log)} requests were about\nsuspicious "
            "activity: most needs are everyday ones.", transform=ax.transAxes, ha="right",
            multialignment="left", va="center",
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7"})
    ax.set_xlim(0, max(a + n for a, n in zip(asked, noticed)) + 1.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    parts = "; ".join(f"{k}: {a + n} ({a} asked, {n} noticed)"
                      for k, a, n in zip(kinds[::-1], asked[::-1], noticed[::-1]))
    return with_alt(fig, (
        f"Horizontal bar chart of the {len(log)} requests on one fictional shift at "
        f"{shift['site']}, by kind, each bar split into requests the visitor asked for and needs "
        f"the officer noticed first. {parts}. Only {suspicious} were about suspicious activity."))
