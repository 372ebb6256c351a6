"""Widgets driven through their Python API, with no browser."""

import ipywidgets as widgets
import pytest

from course import scenarios
from course.answers import saved_answer
from course.widgets.first_contact import FirstContactSimulator
from course.widgets.question import Question, ask
from course.widgets.setting_explorer import SettingExplorer

from conftest import all_items

CONTROLS = (widgets.RadioButtons, widgets.Dropdown, widgets.ToggleButtons, widgets.Checkbox,
            widgets.FloatText, widgets.IntProgress)


def controls(widget):
    """Every control inside a composite widget, however deeply nested."""
    for child in getattr(widget, "children", ()):
        if isinstance(child, CONTROLS):
            yield child
        yield from controls(child)


def sample_answer(item):
    """A well-formed answer for any item (right or wrong does not matter here)."""
    if item["kind"] == "choice":
        return list(item["options"])[-1]
    if item["kind"] == "multi":
        return set(list(item["options"])[:2])
    if item["kind"] == "match":
        return {k: list(item["options"])[0] for k in item["keys"]}
    if item["kind"] == "path":
        return scenarios.for_item(item).first_path()
    return item.get("min", 0)


@pytest.mark.parametrize("item", [i for i in all_items() if i.get("widget", True)],
                         ids=lambda it: it["id"])
def test_a_click_is_saved_and_survives_a_new_kernel(in_tmp, item):
    value = sample_answer(item)
    q = ask(item["id"])
    assert q.value is None
    q.choose(value)
    assert saved_answer(item["id"]) == value
    assert "Saved" in q.feedback.value
    # A restarted kernel (or the autograder) builds the widget again and finds the same answer.
    again = Question(item["id"])
    assert again.value == value
    assert saved_answer(item["id"]) == value


def test_restoring_a_saved_answer_does_not_rewrite_the_file(in_tmp):
    Question("m1_q1_point_of_contact").choose("c")
    path = in_tmp / "m1_answers.json"
    before = path.stat().st_mtime_ns
    Question("m1_q1_point_of_contact")
    assert path.stat().st_mtime_ns == before


def test_changing_a_choice_replaces_it(in_tmp):
    q = Question("m1_q2_approachable_manner")
    q.choose({"a", "b"})
    q.boxes["b"].value = False   # exactly what unticking the box in the browser does
    assert saved_answer("m1_q2_approachable_manner") == {"a"}


def test_plain_text_fallback_lists_the_options_and_how_to_type(in_tmp):
    bundle = Question("m1_q1_point_of_contact")._repr_mimebundle_()
    text = bundle["text/plain"]
    assert "a) " in text and "d) " in text and 'q1 = "a"' in text
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_simulator_rewards_open_warm_contact_and_punishes_closed_contact():
    sim = FirstContactSimulator()
    sim.choose(greeting=0, posture=0, tone=0)
    assert not sim.shares_concern and "unreported" in sim.outcome.value
    sim.choose(greeting=2, posture=2, tone=1)
    assert sim.shares_concern and "tells you about the hazard" in sim.outcome.value
    # One good choice is not enough on its own: the whole picture counts.
    sim.choose(greeting=2, posture=1, tone=2)
    assert not sim.shares_concern
    assert sim.meter.min <= sim.meter.value <= sim.meter.max
    assert "Coaching" in sim.coaching.value
    assert "illustrative model" in sim._repr_mimebundle_()["text/plain"]


def test_setting_explorer_shows_one_setting_or_all():
    ex = SettingExplorer()
    ex.skill.value, ex.place.value = 2, 1
    assert ex.example_for(1, 2) in ex.example.value.replace("&#x27;", "'")
    ex.compare.value = True
    assert all(p["name"] in ex.example.value for p in ex.places)
    assert "University campus" in ex.text_fallback()


def test_every_widget_control_has_an_accessible_name(in_tmp):
    for widget in (Question("m1_q1_point_of_contact"), Question("m1_q2_approachable_manner"),
                   Question("m1_q6_every_setting"), FirstContactSimulator(), SettingExplorer()):
        found = list(controls(widget))
        assert found
        for control in found:
            assert control.description.strip(), f"{type(widget).__name__}: unnamed {type(control).__name__}"


def test_a_number_question_starts_unanswered_and_parses_what_is_typed(in_tmp, monkeypatch):
    from course import content
    from course.widgets.question import parse_number
    assert [parse_number(t) for t in ("", " 12 ", "3.5", "1,200", "twelve")] == \
        [None, 12, 3.5, 1200, "twelve"]
    item = {"id": "m1_q9_count", "var": "q9", "kind": "number", "min": 0, "max": 100,
            "integer": True, "question": "How many?"}
    monkeypatch.setattr(content, "item", lambda item_id: item)
    q = Question("m1_q9_count")
    assert q.value is None and "Not answered yet" in q.feedback.value
    q.number.value = "7"
    assert saved_answer("m1_q9_count") == 7 and "Saved: 7" in q.feedback.value
    q.number.value = "7.5"
    assert "whole number" in q.feedback.value
    assert Question("m1_q9_count").value == 7.5   # restored as typed
