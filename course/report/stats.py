"""Classical item statistics and theme mastery, as small pure functions.

Conventions (the HTML page states them too):

- An item's score for a learner is the fraction of its points they earned (0 or 1 for the course's
  all-or-nothing items), so difficulty ``p`` is the share who answered it correctly.
- Discrimination compares an item with the *rest* of its module: the learner's auto-graded points
  in the module without this item. An item is not correlated with itself, which with six to ten
  items per module would inflate every value.
- Point-biserial: the Pearson correlation of item score and rest score.
- Upper-lower index: the item's mean score in the top 27% of learners by rest score minus the mean
  in the bottom 27%. Learners tied at a group's boundary count in proportion (the tied learners'
  mean, weighted by the places left), so the result never depends on names or input order.
"""

from __future__ import annotations

import math
from statistics import mean, median, pstdev

#: The usual ranges for classical item analysis.
P_LOW, P_HIGH = 0.20, 0.80
DISCRIMINATION_LOW = 0.20
#: Share of the upper and lower groups in the upper-lower index.
GROUP_SHARE = 0.27
#: A distractor chosen by fewer than this share of learners is doing no work.
RARE_DISTRACTOR = 0.05
#: Below this many learners per module the statistics are too unstable to trust.
MIN_COHORT = 30
#: A learner has mastered a theme at this share of its points.
MASTERY = 0.70


def difficulty(scores: list[float]) -> float | None:
    """Mean item score (share correct for right-or-wrong items)."""
    return mean(scores) if scores else None


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r; None when either variable does not vary (the correlation is undefined)."""
    if len(xs) != len(ys):
        raise ValueError("pearson() needs two lists of the same length")
    if len(xs) < 2:
        return None
    mx, my = mean(xs), mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def point_biserial(item: list[float], rest: list[float]) -> float | None:
    return pearson(item, rest)


def group_size(n: int, share: float = GROUP_SHARE) -> int:
    """Learners in each of the upper and lower groups (27% of n, rounded half up, at least 1)."""
    return max(1, int(share * n + 0.5))


def _group_mean(pairs: list[tuple[float, float]], size: int, top: bool) -> float:
    """Mean item score of the ``size`` learners with the highest (or lowest) rest score."""
    by_score: dict[float, list[float]] = {}
    for item, rest in pairs:
        by_score.setdefault(rest, []).append(item)
    total, taken = 0.0, 0
    for rest in sorted(by_score, reverse=top):
        tied = by_score[rest]
        take = min(len(tied), size - taken)
        total += take * mean(tied)
        taken += take
        if taken == size:
            break
    return total / size


def upper_lower(item: list[float], rest: list[float], share: float = GROUP_SHARE) -> float | None:
    """Upper-lower discrimination index D (see the module docstring for ties)."""
    if len(item) != len(rest):
        raise ValueError("upper_lower() needs two lists of the same length")
    if len(item) < 2:
        return None
    pairs = list(zip(item, rest))
    size = group_size(len(pairs), share)
    return _group_mean(pairs, size, top=True) - _group_mean(pairs, size, top=False)


def item_flags(p: float | None, r_pb: float | None, d: float | None) -> list[str]:
    """Plain-words warnings for an item, against the usual ranges."""
    flags = []
    if p is None:
        return ["no submissions"]
    if p < P_LOW:
        flags.append(f"hard: p {p:.2f} is below {P_LOW:.2f}")
    elif p > P_HIGH:
        flags.append(f"easy: p {p:.2f} is above {P_HIGH:.2f}")
    if r_pb is None:
        flags.append("discrimination undefined: every learner scored the same on it or on the rest")
        return flags
    if r_pb < 0 or (d is not None and d < 0):
        flags.append("negative discrimination: stronger learners do worse on it; check the key")
    elif r_pb < DISCRIMINATION_LOW or (d is not None and d < DISCRIMINATION_LOW):
        flags.append(f"weak discrimination: below {DISCRIMINATION_LOW:.2f}")
    return flags


def describe(values: list[float]) -> dict:
    """n, mean, median, population standard deviation, min and max (None when empty)."""
    if not values:
        return {"n": 0, "mean": None, "median": None, "sd": None, "min": None, "max": None}
    return {"n": len(values), "mean": mean(values), "median": median(values),
            "sd": pstdev(values), "min": min(values), "max": max(values)}


def mastery(earned: float, possible: float) -> float | None:
    return earned / possible if possible > 0 else None


def rare(count: int, n: int, threshold: float = RARE_DISTRACTOR) -> bool:
    return n > 0 and count / n < threshold
