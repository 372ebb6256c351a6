"""The report's item statistics against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from course.report import stats


def test_pearson_by_hand():
    # x mean 0.6, y mean 2.4; sum dxdy = 1.8, sum dx^2 = 1.2, sum dy^2 = 5.2
    r = stats.pearson([1, 1, 0, 0, 1], [4, 3, 1, 2, 2])
    assert r == pytest.approx(1.8 / math.sqrt(1.2 * 5.2))
    assert r == pytest.approx(0.72058, abs=1e-5)


def test_pearson_is_undefined_when_nothing_varies():
    assert stats.pearson([1, 1, 1], [0, 1, 2]) is None
    assert stats.pearson([0, 1, 1], [2, 2, 2]) is None
    assert stats.pearson([1], [1]) is None
    with pytest.raises(ValueError):
        stats.pearson([1, 0], [1])


@pytest.mark.parametrize("n, size", [(4, 1), (6, 2), (10, 3), (11, 3), (30, 8), (100, 27)])
def test_upper_and_lower_groups_are_27_percent_rounded(n, size):
    assert stats.group_size(n) == size


def test_upper_lower_without_ties():
    # top 3 by rest score (9, 8, 7) score 1, 1, 0; bottom 3 (0, 1, 2) score 0, 1, 0: D = 2/3 - 1/3
    item = [1, 1, 0, 1, 0, 1, 0, 0, 1, 0]
    rest = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert stats.upper_lower(item, rest) == pytest.approx(1 / 3)


def test_upper_lower_counts_ties_at_the_boundary_in_proportion():
    # groups of 2; top: three tied at 5 with items 1, 0, 1 -> 2/3. bottom: the one at 1 (item 0)
    # plus half of the two tied at 2 (items 0, 1 -> 0.5): (0 + 0.5) / 2 = 0.25
    item = [1, 0, 1, 0, 1, 0]
    rest = [5, 5, 5, 2, 2, 1]
    assert stats.upper_lower(item, rest) == pytest.approx(2 / 3 - 0.25)
    # the order of the learners never matters
    assert stats.upper_lower(item[::-1], rest[::-1]) == pytest.approx(2 / 3 - 0.25)


def test_difficulty_and_describe():
    assert stats.difficulty([1, 0, 1, 1]) == 0.75
    assert stats.difficulty([]) is None
    d = stats.describe([2, 4, 4, 4, 5, 5, 7, 9])
    assert (d["n"], d["mean"], d["median"], d["sd"], d["min"], d["max"]) == (8, 5, 4.5, 2.0, 2, 9)
    assert stats.describe([])["mean"] is None


def test_flags_against_the_usual_ranges():
    assert stats.item_flags(0.5, 0.45, 0.5) == []
    assert stats.item_flags(0.1, 0.45, 0.5)[0].startswith("hard")
    assert stats.item_flags(0.9, 0.45, 0.5)[0].startswith("easy")
    assert stats.item_flags(0.2, 0.2, 0.2) == []       # the range's edges are inside it
    assert stats.item_flags(0.5, 0.1, 0.5)[0].startswith("weak discrimination")
    assert stats.item_flags(0.5, 0.3, 0.1)[0].startswith("weak discrimination")
    assert "check the key" in stats.item_flags(0.5, -0.3, -0.2)[0]
    assert "check the key" in stats.item_flags(0.5, 0.05, -0.1)[0]
    assert stats.item_flags(1.0, None, 0.0)[-1].startswith("discrimination undefined")
    assert stats.item_flags(None, None, None) == ["no submissions"]


def test_rare_distractors_and_mastery():
    assert stats.rare(1, 40) and not stats.rare(2, 40)    # 2.5% is rare, 5% is not
    assert not stats.rare(0, 0)
    assert stats.mastery(3, 4) == 0.75 and stats.mastery(0, 0) is None


def test_partial_scores_work_unchanged():
    """Item scores are shares of the points, so partial credit enters p, r and D as it is."""
    item = [1, 2 / 3, 1 / 3, 0, 1, 0.5]     # a multi-select item scored by its rule
    rest = [8, 6, 4, 2, 7, 5]
    assert stats.difficulty(item) == pytest.approx(3.5 / 6)
    # by hand: item mean 7/12, rest mean 32/6; sums of products of deviations over squares
    mx, my = sum(item) / 6, sum(rest) / 6
    sxy = sum((x - mx) * (y - my) for x, y in zip(item, rest))
    sxx, syy = sum((x - mx) ** 2 for x in item), sum((y - my) ** 2 for y in rest)
    assert stats.point_biserial(item, rest) == pytest.approx(sxy / math.sqrt(sxx * syy))
    # groups of 2: top by rest (8, 7) score 1 and 1; bottom (2, 4) score 0 and 1/3
    assert stats.upper_lower(item, rest) == pytest.approx(1 - 1 / 6)
