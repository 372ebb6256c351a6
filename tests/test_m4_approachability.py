"""Module 4's widgets, figure, log helpers and content data, driven headless through their Python API."""

import html

import matplotlib
import pytest
from matplotlib.colors import to_hex

from course import content, items
from course.plots import DETACHED, ENGAGED
from course.plots.approachability import contact_log, kinds, tally, two_doors
from course.widgets.behaviour_map import BehaviourMap
from course.widgets.patrol_day import SIDES, PatrolDay

matplotlib.use("Agg")

DATA = content.module_content("m4")
MOMENTS = DATA["patrol"]["moment"]
BEHAVIOURS = DATA["map"]["behaviour"]
REGIONS = [r["id"] for r in DATA["map"]["region"]]


def shown(html_text: str) -> str:
    """What a reader sees in an HTML value: entities decoded (apostrophes, quotes)."""
    return html.unescape(html_text)


# ------------------------------------------------------------------ content data


def test_the_two_officers_and_every_moment_of_the_shift_are_complete():
    assert sorted(o["id"] for o in DATA["officer"]) == sorted(SIDES)
    assert len(MOMENTS) >= 6
    times = [m["time"] for m in MOMENTS]
    assert times == sorted(times) and len(set(times)) == len(times), "moments in time order"
    for moment in MOMENTS:
        for side in SIDES:
            part = moment[side]
            assert len(part["does"]) > 30 and len(part["then"]) > 30, (moment["time"], side)
            assert type(part["connection"]) is bool and type(part["heard"]) is str
    # The lesson: the isolated officer makes no connection and hears nothing all shift.
    assert not any(m["isolated"]["connection"] or m["isolated"]["heard"] for m in MOMENTS)
    assert all(m["engaged"]["connection"] for m in MOMENTS)


def test_the_logs_use_known_kinds_and_enforce_the_same_rules():
    for officer in ("Dale", "Amadi"):
        log = contact_log(officer)
        assert len(log) >= 8
        for entry in log:
            assert set(entry) == {"time", "kind", "note"} and entry["note"].strip()
            assert entry["kind"] in kinds()
        assert [e["time"] for e in log] == sorted(e["time"] for e in log)
    # The figure's point: same rules enforced, very different everything else.
    assert tally(contact_log("Dale"))["rule enforced"] == tally(contact_log("Amadi"))["rule enforced"]
    assert tally(contact_log("Amadi"))["complaint"] < tally(contact_log("Dale"))["complaint"]


def test_every_concern_amadi_hears_on_the_patrol_day_is_in_her_log():
    logged = {e["time"] for e in contact_log("Amadi") if e["kind"] == "concern reported"}
    heard = {m["time"] for m in MOMENTS if m["engaged"]["heard"]}
    assert heard <= logged


def test_the_logs_agree_with_the_patrol_day():
    """A moment of the patrol day in which an officer made no connection is not logged as a chat,
    help given or a concern heard (Dale refusing help with the lift is not "help given")."""
    for officer, side in (("Dale", "isolated"), ("Amadi", "engaged")):
        logged = {e["time"]: e["kind"] for e in contact_log(officer)}
        for moment in MOMENTS:
            if not moment[side]["connection"] and moment["time"] in logged:
                assert logged[moment["time"]] in ("rule enforced", "complaint"), \
                    (officer, moment["time"], logged[moment["time"]])


def test_the_log_item_is_typed_and_takes_a_whole_number():
    item = items.item("m4_q7_two_logs")
    assert not item.widget and item.kind == "number" and item.skill_check
    assert item.form_problem(4) is None
    assert item.form_problem(4.0) is not None and item.form_problem("4") is not None
    # The learner's intended one-liner gives a plain int, which the grader compares strictly.
    amadi, dale = tally(contact_log("Amadi")), tally(contact_log("Dale"))
    assert type(amadi["concern reported"] - dale["concern reported"]) is int


# ------------------------------------------------------------------ the log helpers


def test_contact_log_is_a_fresh_copy_each_time():
    log = contact_log("Amadi")
    log[0]["kind"] = "changed by the learner"
    log.pop()
    again = contact_log("Amadi")
    assert again[0]["kind"] != "changed by the learner" and len(again) == len(log) + 1


def test_tally_lists_every_kind_in_order_and_counts_every_entry():
    for officer in ("Dale", "Amadi"):
        log = contact_log(officer)
        counts = tally(log)
        assert list(counts) == kinds()
        assert sum(counts.values()) == len(log)
        assert all(type(n) is int for n in counts.values())
    assert tally([]) == {kind: 0 for kind in kinds()}
    small = [{"time": "", "kind": k, "note": ""} for k in ("chat", "complaint", "chat")]
    assert tally(small)["chat"] == 2 and tally(small)["complaint"] == 1


@pytest.mark.parametrize("name", ["dale", "Officer Dale", "", "Smith"])
def test_contact_log_explains_an_unknown_officer(name):
    with pytest.raises(ValueError, match=r"Use one of: 'Dale', 'Amadi'"):
        contact_log(name)


@pytest.mark.parametrize("not_a_log", ["dale", 42, None, {"kind": "chat"}, [{"time": "09:00"}]])
def test_tally_explains_when_it_is_not_given_a_log(not_a_log):
    with pytest.raises(ValueError, match=r'contact_log\("Dale"\)'):
        tally(not_a_log)


def test_tally_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="does not know: 'parade'"):
        tally([{"time": "", "kind": "parade", "note": ""}])


# ------------------------------------------------------------------ patrol day


@pytest.mark.parametrize("index", range(len(MOMENTS)))
def test_patrol_day_shows_both_officers_at_each_moment(index):
    day = PatrolDay(moment=index)
    moment = MOMENTS[index]
    assert moment["scene"] in shown(day.scene.value)
    for side in SIDES:
        text = shown(day.cards[side].value)
        assert moment[side]["does"] in text and moment[side]["then"] in text
        assert (moment[side]["heard"] in text) if moment[side]["heard"] else "Told by" not in text


def test_patrol_day_running_counts_follow_the_shift():
    day = PatrolDay()
    assert day.position == 0 and day.back.disabled and not day.forward.disabled
    seen = 0
    for step in range(len(MOMENTS)):
        seen += MOMENTS[step]["engaged"]["connection"]
        assert day.totals("engaged")["connections"] == seen
        assert f"up to {MOMENTS[step]['time']}" in day.totals_view.value
        day.forward.click()                       # exactly what pressing the button does
    assert day.position == len(MOMENTS) - 1 and day.forward.disabled
    assert "End of the shift" in day.totals_view.value
    heard = [m["engaged"]["heard"] for m in MOMENTS if m["engaged"]["heard"]]
    assert day.totals("engaged")["heard"] == heard
    assert day.totals("isolated") == {"connections": 0, "heard": []}
    day.next()                                    # past the end: stays at the end
    assert day.position == len(MOMENTS) - 1
    day.back.click()
    assert day.position == len(MOMENTS) - 2 and "End of the shift" not in day.totals_view.value


def test_patrol_day_moment_box_and_python_api_agree():
    day = PatrolDay()
    day.moment_box.value = 4                          # setting the moment box to the fourth moment
    assert day.current is MOMENTS[3]
    day.go_to(MOMENTS[5]["time"])
    assert day.position == 5 and day.moment_box.value == 6
    assert day.totals("engaged", upto=0)["connections"] == int(MOMENTS[0]["engaged"]["connection"])
    day.previous()
    assert day.position == 4


@pytest.mark.parametrize("moment, message", [
    ("25:00", "Choose one of"),
    (99, "number from 0 to"),
    (-1, "number from 0 to"),
    (1.5, "number from 0 to"),
])
def test_patrol_day_refuses_a_moment_that_does_not_exist(moment, message):
    with pytest.raises(ValueError, match=message):
        PatrolDay(moment=moment)
    day = PatrolDay(moment=2)
    with pytest.raises(ValueError, match=message):
        day.go_to(moment)
    assert day.position == 2, "a refused moment must leave the view as it was"


def test_patrol_day_refuses_an_unknown_officer():
    with pytest.raises(ValueError, match="use one of isolated, engaged"):
        PatrolDay().totals("Dale")


def test_patrol_day_text_fallback_holds_the_whole_shift():
    text = PatrolDay()._repr_mimebundle_()["text/plain"]
    assert "Fictional" in text
    for moment in MOMENTS:
        assert moment["title"] in text
        assert all(moment[side]["does"] in text for side in SIDES)


# ------------------------------------------------------------------ behaviour map


def test_behaviour_map_covers_every_region():
    assert {b["fits"] for b in BEHAVIOURS} == set(REGIONS)
    assert len({b["id"] for b in BEHAVIOURS}) == len(BEHAVIOURS)


def test_behaviour_map_gives_feedback_on_every_placement():
    board = BehaviourMap()
    assert board.check() == {b["id"]: None for b in BEHAVIOURS}
    assert "Place at least one" in board.feedback.value
    first, second = BEHAVIOURS[0], BEHAVIOURS[1]
    board.place(first["id"], first["fits"])
    wrong = next(r for r in REGIONS if r != second["fits"])
    board.pickers[second["id"]].value = wrong     # exactly what choosing from the dropdown does
    result = board.check()
    assert result[first["id"]] is True and result[second["id"]] is False
    text = shown(board.feedback.value)
    assert first["note"] in text and second["note"] in text
    assert "✓ fits" in text and "✗ fits better under" in text
    assert f"{len(BEHAVIOURS) - 2} still to place" in text


def test_behaviour_map_all_right_and_the_map_fills_in():
    board = BehaviourMap()
    for n, behaviour in enumerate(BEHAVIOURS):
        board.place(n, board.best(n))
    assert all(board.check().values())
    assert "Every behaviour is where it belongs" in board.feedback.value
    for region in DATA["map"]["region"]:
        numbers = [str(n) for n, b in enumerate(BEHAVIOURS, start=1) if b["fits"] == region["id"]]
        assert f"{region['name']}</b><br>Behaviours: {', '.join(numbers)}" in board.map_view.value


def test_behaviour_map_clears_stale_feedback_and_resets():
    board = BehaviourMap()
    board.place(0, "enforcing")
    board.check_button.click()
    assert board.feedback.value
    board.place(0, "approachable")
    assert board.feedback.value == "", "feedback about an old placement must not linger"
    board.reset_button.click()
    assert board.placed == {} and "(empty)" in board.map_view.value


@pytest.mark.parametrize("behaviour, region, message", [
    ("juggling", "approachable", "Choose one of"),
    (99, "approachable", "number from 0 to"),
    (0, "friendly", "is not a region"),
])
def test_behaviour_map_refuses_bad_placements_clearly(behaviour, region, message):
    board = BehaviourMap()
    board.place(1, "disconnected")
    with pytest.raises(ValueError, match=message):
        board.place(behaviour, region)
    assert board.placed == {BEHAVIOURS[1]["id"]: "disconnected"}, "a refused placement changes nothing"


def test_behaviour_map_text_fallback_lists_every_behaviour_and_region():
    text = BehaviourMap()._repr_mimebundle_()["text/plain"]
    for behaviour in BEHAVIOURS:
        assert behaviour["text"] in text and behaviour["note"] in text
    for region in DATA["map"]["region"]:
        assert region["name"] in text


# ------------------------------------------------------------------ figure


def test_figure_shows_both_logs_labelled_fictional_in_colour_blind_safe_colours():
    fig = two_doors()
    ax = fig.axes[0]
    assert "fictional" in ax.get_title()
    assert ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == kinds()[::-1]
    engaged_bars, isolated_bars = ax.containers
    for bars, officer, colour in ((engaged_bars, "Amadi", ENGAGED), (isolated_bars, "Dale", DETACHED)):
        counts = tally(contact_log(officer))
        assert [b.get_width() for b in bars] == [counts[k] for k in kinds()[::-1]]
        assert to_hex(bars[0].get_facecolor()) == colour.lower()
    # The two officers differ in form as well as colour: only one set of bars is hatched.
    assert not engaged_bars[0].get_hatch() and isolated_bars[0].get_hatch()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("Amadi" in label for label in legend) and any("Dale" in label for label in legend)
    assert any("Both officers enforced rules" in t.get_text() for t in ax.texts)
