"""Module 4's figure and the helpers a learner uses on the two (fictional) contact logs.

The logs are data in ``course/content/m4_approachability.toml``: every contact with the public
logged at the two entrances of a fictional market on one Saturday, one officer at each. The
officers enforce the same rules; one engages and one keeps to himself. ``contact_log`` fetches a
log, ``tally`` counts it by kind, and ``two_doors`` draws both side by side.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from course import content
from course.plots import DETACHED, ENGAGED, with_alt

#: How the legend describes each officer; the engaged officer's bars are plain blue, the isolated
#: officer's hatched vermilion, so the two differ in form as well as colour.
LEGEND = {"engaged": "engages with people", "isolated": "keeps to himself"}


def _officers() -> dict:
    """Officer name (e.g. "Amadi") -> their record in the content file."""
    return {o["name"].split()[-1]: o for o in content.module_content("m4")["officer"]}


def kinds() -> list[str]:
    """The kinds of contact in the logs, in the order the figure shows them."""
    return list(content.module_content("m4")["figure"]["kinds"])


def contact_log(officer: str) -> list[dict]:
    """One officer's log, by surname ("Dale" or "Amadi"): a list of dicts with time, kind and note."""
    officers = _officers()
    if officer not in officers:
        raise ValueError(f"There is no log for {officer!r}. Use one of: "
                         f"{', '.join(repr(name) for name in officers)}, for example "
                         f"contact_log(\"{next(iter(officers))}\").")
    side = officers[officer]["id"]
    return [dict(entry) for entry in content.module_content("m4")["logs"][side]]


def tally(log: list[dict]) -> dict:
    """How many entries of ``log`` there are of each kind, every kind listed (0 where none)."""
    try:
        found = [entry["kind"] for entry in log]
    except (TypeError, KeyError):
        raise ValueError("tally() needs a contact log: run `dale = contact_log(\"Dale\")` first, "
                         "then tally(dale).") from None
    known = kinds()
    unknown = sorted(set(found) - set(known))
    if unknown:
        raise ValueError(f"The log has a kind the course does not know: {unknown[0]!r}.")
    return {kind: found.count(kind) for kind in known}


def two_doors():
    """Contacts at the two entrances on one fictional Saturday, by kind, one bar per officer."""
    officers = _officers()
    (isolated,) = [name for name, o in officers.items() if o["id"] == "isolated"]
    (engaged,) = [name for name, o in officers.items() if o["id"] == "engaged"]
    counts = {name: tally(contact_log(name)) for name in (isolated, engaged)}
    labels = kinds()[::-1]  # the first kind at the top of a horizontal chart
    rows = range(len(labels))
    height = 0.38

    fig, ax = plt.subplots(figsize=(9, 4.8))
    styles = {engaged: {"color": ENGAGED, "hatch": None, "offset": height / 2},
              isolated: {"color": DETACHED, "hatch": "//", "offset": -height / 2}}
    for name in (engaged, isolated):
        o, style = officers[name], styles[name]
        values = [counts[name][kind] for kind in labels]
        bars = ax.barh([y + style["offset"] for y in rows], values, height=height,
                       color=style["color"], hatch=style["hatch"], edgecolor="white",
                       label=f"{o['name']}, {o['door']} ({LEGEND[o['id']]})")
        ax.bar_label(bars, padding=3, fontsize=9)
    ax.set_yticks(list(rows), labels)
    top = max(max(c.values()) for c in counts.values())
    ax.set_xlim(0, top + 6)  # room on the right for the note, clear of every bar
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("Number of contacts logged during the shift")
    ax.set_title("Two doors, the same rules, one Saturday (fictional data)\n"
                 f"{content.module_content('m4')['logs']['site']}: every contact with the public "
                 "logged at each entrance", fontsize=12)
    ax.text(0.99, 0.5,
            f"Both officers enforced rules {counts[engaged]['rule enforced']} times.\n"
            f"Complaints about security: {counts[isolated]['complaint']} at the {officers[isolated]['door']},"
            f"\n{counts[engaged]['complaint']} at the {officers[engaged]['door']}.",
            transform=ax.transAxes, ha="right", va="center", multialignment="left",
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7"})
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    per_officer = " ".join(
        f"{officers[name]['name']} at the {officers[name]['door']}: " + ", ".join(
            f"{counts[name][kind]} {kind}" for kind in kinds()) + "."
        for name in (engaged, isolated))
    return with_alt(fig, (
        "Horizontal bar chart of every contact with the public logged at two entrances on one "
        f"fictional Saturday, by kind, one bar per officer. {per_officer}"))
