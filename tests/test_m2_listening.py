"""Module 2's package code, headless: the shift-log helpers, the figure, and both widgets."""

import html

import matplotlib
import pytest

from course import content
from course.plots import DETACHED, ENGAGED
from course.plots.listening import requests_figure, shift_log, tally
from course.widgets.listening_lab import PARTS, ListeningLab, _validated
from course.widgets.ripple_effect import RippleExplorer, heard_by_week

matplotlib.use("Agg")


# ---------------------------------------------------------------- the shift log and tally
def test_shift_log_entries_are_complete_and_use_known_values():
    log = shift_log()
    assert len(log) >= 20
    for entry in log:
        assert set(entry) == {"time", "kind", "how", "note"}
        assert entry["how"] in {"asked", "noticed"}
        assert entry["note"].strip()
    kinds = {e["kind"] for e in log}
    # The four needs the module names explicitly are all on the shift.
    assert {"lost item", "suspicious activity", "directions", "lost child"} <= kinds


def test_shift_log_is_a_fresh_copy_each_time():
    log = shift_log()
    log[0]["kind"] = "changed by the learner"
    log.pop()
    assert shift_log()[0]["kind"] != "changed by the learner"
    assert len(shift_log()) == len(log) + 1


def test_tally_counts_every_entry_most_frequent_first():
    log = shift_log()
    by_kind = tally(log, "kind")
    assert sum(by_kind.values()) == len(log)
    assert list(by_kind.values()) == sorted(by_kind.values(), reverse=True)
    assert all(type(n) is int for n in by_kind.values())  # answers compare as plain ints
    by_how = tally(log, "how")
    assert set(by_how) == {"asked", "noticed"} and sum(by_how.values()) == len(log)
    assert by_how["noticed"] == sum(1 for e in log if e["how"] == "noticed")
    assert tally(log) == by_kind  # "kind" is the default


def test_tally_counts_a_small_log_exactly_with_ties_in_log_order():
    log = [{"time": "", "kind": k, "how": "asked", "note": ""} for k in ["b", "a", "a", "c", "b"]]
    assert list(tally(log, "kind").items()) == [("b", 2), ("a", 2), ("c", 1)]


@pytest.mark.parametrize("column", ["kinds", "Kind", "", "who"])
def test_tally_explains_an_unknown_column(column):
    with pytest.raises(ValueError, match="no column .*Use one of: 'time', 'kind', 'how', 'note'"):
        tally(shift_log(), column)


@pytest.mark.parametrize("not_a_log", ["log", 42, None, {"kind": "x"}])
def test_tally_explains_when_it_is_not_given_the_log(not_a_log):
    with pytest.raises(ValueError, match=r"log = shift_log\(\)"):
        tally(not_a_log, "kind")


# ---------------------------------------------------------------- the figure
def test_requests_figure_shows_every_request_split_by_who_started_it():
    log = shift_log()
    fig = requests_figure(log)
    ax = fig.axes[0]
    asked, noticed = ax.containers
    assert sum(bar.get_width() for bar in asked) == tally(log, "how")["asked"]
    assert sum(bar.get_width() for bar in noticed) == tally(log, "how")["noticed"]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(tally(log, "kind"))[::-1]
    # Colour-blind-safe course colours, and a hatch so the split survives greyscale printing.
    assert matplotlib.colors.to_hex(asked[0].get_facecolor()) == ENGAGED.lower()
    assert matplotlib.colors.to_hex(noticed[0].get_facecolor()) == DETACHED.lower()
    assert noticed[0].get_hatch()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("asked" in t.lower() for t in legend) and any("noticed" in t.lower() for t in legend)
    assert "fictional" in ax.get_title() and ax.get_xlabel()
    matplotlib.pyplot.close(fig)


def test_requests_figure_follows_the_log_it_is_given():
    log = [{"time": "", "kind": "directions", "how": "noticed", "note": ""}] * 3
    fig = requests_figure(log)
    asked, noticed = fig.axes[0].containers
    assert [b.get_width() for b in asked] == [0] and [b.get_width() for b in noticed] == [3]
    assert "3 requests" in fig.axes[0].get_title()
    matplotlib.pyplot.close(fig)


# ---------------------------------------------------------------- listening lab
def test_every_lab_scenario_has_exactly_one_fitting_option_per_part():
    visitors = content.module_content("m2")["lab"]["visitor"]
    assert len(visitors) >= 5
    assert len({v["id"] for v in visitors}) == len(visitors)
    _validated(visitors)
    for v in visitors:
        for part in PARTS:
            assert len(v[part]) >= 3 and all(o["note"].strip() for o in v[part])
    # The fitting option is not always in the same place, so its position gives nothing away.
    positions = {[o["fits"] for o in v[part]].index(True) for v in visitors for part in PARTS}
    assert len(positions) >= 3


def test_a_scenario_with_two_fitting_options_is_refused_with_a_clear_message():
    broken = [{"id": "x", "stated": [{"fits": True}, {"fits": True}], "unspoken": [{"fits": True}],
               "reply": [{"fits": True}]}]
    with pytest.raises(content.ContentError, match="'x': stated needs exactly one option"):
        _validated(broken)


def test_lab_asks_for_every_answer_before_checking():
    lab = ListeningLab()
    assert all(radio.index is None for radio in lab.choices.values())
    assert lab.check() == {"stated": None, "unspoken": None, "reply": None}
    assert "still to do: stated need, unspoken need, your reply" in lab.feedback.value
    lab.answer(stated=0)
    lab.check()
    assert "still to do: unspoken need, your reply" in lab.feedback.value


def test_lab_praises_a_full_reading_and_shows_the_cue():
    lab = ListeningLab()
    for index in range(len(lab.visitors)):
        lab.show(index)
        lab.answer(**{part: lab.best(part) for part in PARTS})
        assert lab.check() == {part: True for part in PARTS}
        assert "All three fit" in lab.feedback.value
        assert "The cue to notice" in lab.feedback.value


def test_lab_explains_a_wrong_choice_and_invites_another_try():
    lab = ListeningLab(visitor="toy-shop")
    wrong = next(i for i, o in enumerate(lab.visitor["unspoken"]) if not o["fits"])
    lab.answer(stated=lab.best("stated"), unspoken=wrong, reply=lab.best("reply"))
    assert lab.check() == {"stated": True, "unspoken": False, "reply": True}
    assert "2 of 3 fit" in lab.feedback.value and "try another option" in lab.feedback.value
    assert "Unspoken need: ✗ not the best fit" in lab.feedback.value


def test_the_check_button_does_what_check_does():
    lab = ListeningLab()
    lab.answer(**{part: lab.best(part) for part in PARTS})
    lab.check_button.click()
    assert "All three fit" in lab.feedback.value


def test_changing_visitor_or_choice_clears_what_no_longer_applies():
    lab = ListeningLab()
    lab.answer(**{part: lab.best(part) for part in PARTS})
    lab.check()
    lab.answer(reply=(lab.best("reply") + 1) % 3)
    assert lab.feedback.value == ""  # stale feedback would describe the old choice
    lab.show("bench")
    assert lab.visitor["id"] == "bench"
    assert all(radio.index is None for radio in lab.choices.values())
    labels = [label for label, _ in lab.choices["reply"].options]
    assert labels == [o["text"] for o in lab.visitor["reply"]]
    assert "teenagers" in lab.scene.value


def test_lab_opens_on_a_chosen_visitor_and_refuses_unknown_names():
    assert ListeningLab(visitor="accessible-toilet").visitor["id"] == "accessible-toilet"
    with pytest.raises(ValueError, match="No visitor 'nobody'.*Choose one of: ward"):
        ListeningLab(visitor="nobody")
    with pytest.raises(ValueError, match="'feelings' is not a part"):
        ListeningLab().answer(feelings=1)


def test_lab_text_fallback_has_every_scene_and_cue():
    lab = ListeningLab()
    text = lab._repr_mimebundle_()["text/plain"]
    for v in lab.visitors:
        assert v["title"] in text and v["cue"] in text
    assert "Fictional" in text
    # Opened on one visitor for a lesson section, the fallback shows that visitor only.
    bench = ListeningLab(visitor="bench")._repr_mimebundle_()["text/plain"]
    assert bench.count("They say:") == 1 and bench.index("teenagers") > 0


# ---------------------------------------------------------------- ripple-effect model and explorer
def test_the_ripple_model_starts_with_one_person_grows_and_saturates():
    heard = heard_by_week(retold=0.5, tells=3, weeks=12, regulars=400)
    assert heard[0] == 1 and len(heard) == 13
    assert all(b >= a for a, b in zip(heard, heard[1:]))
    assert heard[-1] <= 400
    assert heard_by_week(0.5, 6, 12, 400)[-1] == pytest.approx(400, rel=0.02)  # almost everyone
    assert heard_by_week(0.0, 6, 12, 400) == [1.0] * 13                        # nobody retells it
    # Below one retelling per hearer the story fades out instead of spreading.
    assert heard_by_week(0.2, 3, 12, 400)[-1] < 3


@pytest.mark.parametrize("args", [(1.5, 3, 4, 400), (-0.1, 3, 4, 400), (0.5, -1, 4, 400),
                                  (0.5, 3, -1, 400), (0.5, 3, 4, 0)])
def test_the_ripple_model_refuses_impossible_settings(args):
    with pytest.raises(ValueError, match="needs 0 <= retold <= 1"):
        heard_by_week(*args)


def test_explorer_contrasts_the_three_ways_of_handling_a_concern():
    explorer = RippleExplorer()
    handled = len(explorer.model["handling"]) - 1
    assert explorer.handling.value == handled  # opens on the concern handled well
    reach = {}
    for index, option in enumerate(explorer.model["handling"]):
        explorer.set(handling=index)
        reach[option["tone"]] = explorer.reach
        assert option["story"] in html.unescape(explorer.summary.value)
    assert reach["good"] > 5 * reach["warn"]   # followed through, the story keeps going
    assert reach["bad"] > 5 * reach["warn"]    # brushed off, distrust spreads just as far
    explorer.set(handling=handled, tells=explorer.model["max_tells"],
                 weeks=explorer.model["max_weeks"])
    assert explorer.reach > explorer.model["regulars"] / 2


def test_explorer_chart_has_one_row_per_week_and_says_it_is_a_model():
    explorer = RippleExplorer()
    explorer.set(weeks=4)
    assert explorer.chart.value.count("<tr>") == 5  # week 0 (the person who raised it) to week 4
    assert "illustrative model" in explorer.chart.value
    assert "Illustrative model, not research data" in explorer.children[0].value
    text = explorer._repr_mimebundle_()["text/plain"]
    assert "Illustrative model, not research data" in text
    assert all(h["label"] in text for h in explorer.model["handling"])
