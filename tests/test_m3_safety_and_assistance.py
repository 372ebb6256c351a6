"""Module 3's widgets, figure and content data, driven headless through their Python API."""

import html
import re

import matplotlib
import pytest
from matplotlib.colors import to_hex

from course import content, items, notebooks
from course.plots import DETACHED, ENGAGED
from course.plots.safety_and_assistance import stretched_thin
from course.widgets.balance_board import QUADRANTS, BalanceBoard
from course.widgets.three_officers import ThreeOfficers

from conftest import MODULES, ROOT

matplotlib.use("Agg")

DATA = content.module_content("m3")
SITUATIONS = [s["name"] for s in DATA["balance"]["situation"]]
REQUESTS = [r["title"] for r in DATA["officers"]["request"]]


def shown(html_text: str) -> str:
    """What a reader sees in an HTML value: entities decoded (apostrophes, quotes)."""
    return html.unescape(html_text)


# ------------------------------------------------------------------ content data


def test_every_situation_has_all_four_quadrants_written_out():
    flags = {(q["assertive"], q["approachable"]) for q in DATA["balance"]["quadrant"]}
    assert len(flags) == 4, "each quadrant needs its own combination of the two dials"
    assert {q["id"] for q in DATA["balance"]["quadrant"]} == set(QUADRANTS)
    for situation in DATA["balance"]["situation"]:
        for q in QUADRANTS:
            assert len(situation[q]["behaviour"]) > 40 and len(situation[q]["response"]) > 40, \
                (situation["name"], q)
            assert situation[q]["safety"].startswith("Safety: "), (situation["name"], q)
        # Only the firm-and-friendly officer fully meets the safety need in every situation.
        assert situation["firm_friendly"]["safety"].startswith("Safety: met.")
        assert all("not met" in situation[q]["safety"] for q in ("soft_touch", "hands_off"))


def test_every_request_has_one_response_per_officer():
    officers = DATA["officers"]["officer"]
    assert len(officers) == 3
    for request in DATA["officers"]["request"]:
        assert len(request["response"]) == len(officers), request["title"]
        assert all(r["says"] and r["then"] for r in request["response"])


def test_the_lesson_never_teaches_predictable_patrols():
    """Security practice varies patrol times and routes so that nobody can predict them: the
    lesson may put officers where people need them at set moments, but never patrols at set times."""
    nb = notebooks.read(notebooks.source_notebook(ROOT, next(m for m in MODULES if m["id"] == "m3")))
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    predictable = re.compile(r"\b(patrol\w*|rounds|routes?)\b[^.]{0,30}\b(regular|set|fixed|same)\b"
                             r"[^.]{0,12}\b(times?|hours?|routes?)\b|\bregular (routes|rounds)\b", re.I)
    assert not predictable.search(text), predictable.search(text).group(0)
    assert re.search(r"\bvary\b[^.]{0,30}\bpatrols\b", text), "say that other patrols are varied"


def test_the_figure_item_is_typed_and_takes_a_whole_number():
    item = items.item("m3_q8_reading_the_figure")
    assert not item.widget and item.kind == "number" and item.skill_check
    assert item.form_problem(3) is None
    assert item.form_problem("3") is not None
    assert item.form_problem(-1) is not None


# ------------------------------------------------------------------ balance board

CORNERS = {"firm_friendly": (9, 9), "heavy_handed": (9, 2), "soft_touch": (2, 9), "hands_off": (2, 2)}


@pytest.mark.parametrize("situation", SITUATIONS)
def test_balance_board_shows_each_quadrant_of_each_situation(situation):
    board = BalanceBoard(situation=situation)
    scene = next(s for s in DATA["balance"]["situation"] if s["name"] == situation)
    assert shown(board.scene.value).count(scene["scene"]) == 1
    for quadrant, (assertive, approachable) in CORNERS.items():
        board.set(assertiveness=assertive, approachability=approachable)
        assert board.quadrant == quadrant
        text = shown(board.outcome.value)
        assert scene[quadrant]["behaviour"] in text and scene[quadrant]["response"] in text
        assert scene[quadrant]["safety"] in text
        # The quadrant is named in words in the grid, not shown by colour alone.
        assert shown(board.grid.value).count("you are here") == 1
        name = next(q["name"] for q in DATA["balance"]["quadrant"] if q["id"] == quadrant)
        assert f"▶ {name} (you are here)" in shown(board.grid.value)


def test_balance_board_threshold_and_controls_agree():
    board = BalanceBoard()
    high = DATA["balance"]["high_from"]
    board.set(assertiveness=high - 1, approachability=high)
    assert board.quadrant == "soft_touch"
    board.dials["assertiveness"].value = high   # exactly what typing or stepping the dial does
    assert board.quadrant == "firm_friendly"
    assert "Safety: met." in board.outcome.value
    board.situation.value = 3                   # choosing from the dropdown
    assert board.current["name"] == SITUATIONS[3]
    assert "Coaching" in board.coaching.value


@pytest.mark.parametrize("kwargs, message", [
    ({"situation": "A riot"}, "Choose one of"),
    ({"situation": 99}, "number from 0 to"),
    ({"assertiveness": 0}, "from 1 to 10"),
    ({"approachability": 11}, "from 1 to 10"),
    ({"approachability": 5.5}, "whole number"),
])
def test_balance_board_refuses_bad_settings_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BalanceBoard(**kwargs)
    board = BalanceBoard()
    before = (board.situation.value, board.dials["assertiveness"].value,
              board.dials["approachability"].value)
    with pytest.raises(ValueError, match=message):
        board.set(**kwargs)
    after = (board.situation.value, board.dials["assertiveness"].value,
             board.dials["approachability"].value)
    assert after == before, "a refused setting must leave the board as it was"


def test_balance_board_text_fallback_holds_every_situation_and_quadrant():
    text = BalanceBoard()._repr_mimebundle_()["text/plain"]
    for name in SITUATIONS:
        assert name in text
    for q in DATA["balance"]["quadrant"]:
        assert q["name"] in text
    assert "fictional" in text


# ------------------------------------------------------------------ three officers


@pytest.mark.parametrize("title", REQUESTS)
def test_three_officers_hide_consequences_until_asked(title):
    panel = ThreeOfficers(request=title)
    request = next(r for r in DATA["officers"]["request"] if r["title"] == title)
    for officer, card, said in zip(DATA["officers"]["officer"], panel.cards, request["response"]):
        text = shown(card.value)
        assert officer["name"] in text and said["says"] in text
        assert said["then"] not in text and "What happens next" not in text
    assert panel.lesson.value == ""
    panel.reveal.value = True                   # ticking the box
    for card, said in zip(panel.cards, request["response"]):
        assert said["then"] in shown(card.value)
    assert request["lesson"] in shown(panel.lesson.value)


def test_three_officers_follow_the_dropdown_and_the_python_api():
    panel = ThreeOfficers()
    panel.request.value = 2
    assert DATA["officers"]["request"][2]["scene"] in shown(panel.scene.value)
    panel.choose(request=REQUESTS[1], reveal=True)
    assert panel.reveal.value and panel.request.value == 1
    assert panel.response(2) == DATA["officers"]["request"][1]["response"][2]
    assert panel.response(0, request=3) == DATA["officers"]["request"][3]["response"][0]


def test_three_officers_refuse_an_unknown_request_clearly():
    with pytest.raises(ValueError, match="Choose one of"):
        ThreeOfficers(request="A bomb threat")
    with pytest.raises(ValueError, match="number from 0 to"):
        ThreeOfficers().choose(request=-1)


def test_three_officers_text_fallback_holds_every_request_and_outcome():
    text = ThreeOfficers()._repr_mimebundle_()["text/plain"]
    for request in DATA["officers"]["request"]:
        assert request["title"] in text and request["lesson"] in text
        assert all(r["then"] in text for r in request["response"])


# ------------------------------------------------------------------ figure


def test_figure_shows_the_data_labelled_fictional_in_colour_blind_safe_colours():
    fig = stretched_thin()
    ax = fig.axes[0]
    data = DATA["figure"]
    assert "fictional" in ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()
    bars = ax.containers[0]
    assert [b.get_height() for b in bars] == data["reports"]
    # Every bar carries its value, so the number question can be answered from the figure.
    assert [t.get_text() for t in ax.texts if t.get_text().isdigit()] == [str(v) for v in data["reports"]]
    assert to_hex(bars[0].get_facecolor()) == ENGAGED.lower()
    (line,) = ax.lines
    assert list(line.get_ydata()) == data["late_incidents"]
    assert to_hex(line.get_color()) == DETACHED.lower()
    # The two series also differ in form (bars against a dashed line with markers), not only colour.
    assert line.get_linestyle() == "--" and line.get_marker() == "s"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [data["reports_label"], data["late_label"]]
    assert all("fictional" in label for label in legend)
    assert any("After the cut" in t.get_text() for t in ax.texts)
