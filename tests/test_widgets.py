"""The question widget for every item kind, driven through its Python API with no browser."""

import pytest

from course.answers import saved_answer
from course.widgets.first_contact import FirstContactSimulator
from course.widgets.question import Question, ask
from course.widgets.setting_explorer import SettingExplorer

from conftest import all_items
from widget_kit import named_controls, perform, shown_text

CLICKABLE = [i for i in all_items() if i.widget]


@pytest.mark.parametrize("item", CLICKABLE, ids=lambda it: it.id)
def test_clicks_give_the_answer_typed_and_it_survives_a_new_kernel(in_tmp, item):
    """The kind's click script, played on its controls, gives exactly the value a learner would
    type; it is saved at once and found again by a new widget (a restarted kernel)."""
    value = item.samples()[-1]
    q = ask(item.id)
    assert q.value is None
    perform(q, item.clicks(value))
    assert q.value == value and saved_answer(item.id) == value
    assert "Saved" in q.feedback.value
    again = Question(item.id)
    assert again.value == value
    assert saved_answer(item.id) == value


@pytest.mark.parametrize("item", CLICKABLE, ids=lambda it: it.id)
def test_a_second_answer_replaces_the_first_unless_the_kind_locks(in_tmp, item):
    first, second = item.samples()[0], item.samples()[1]
    q = ask(item.id)
    perform(q, item.clicks(first))
    if item.LOCKS:   # played once: nothing is left to operate, now or after a restart
        for widget in (q, Question(item.id)):
            assert not [c for c in named_controls(widget) if not c.disabled]
            assert "locked" in shown_text(widget)
    else:
        perform(q, item.clicks(second))
    assert saved_answer(item.id) == (first if item.LOCKS else second)
    assert Question(item.id).value == saved_answer(item.id)


def test_restoring_a_saved_answer_does_not_rewrite_the_file(in_tmp):
    Question("m1_q1_point_of_contact").choose("c")
    path = in_tmp / "m1_answers.json"
    before = path.stat().st_mtime_ns
    Question("m1_q1_point_of_contact")
    assert path.stat().st_mtime_ns == before


def test_changing_a_choice_replaces_it(in_tmp):
    q = Question("m1_q2_approachable_manner")
    q.choose({"a", "b"})
    q.controls.boxes["b"].value = False   # exactly what unticking the box in the browser does
    assert saved_answer("m1_q2_approachable_manner") == {"a"}


def test_plain_text_fallback_lists_the_options_and_how_to_type(in_tmp):
    bundle = Question("m1_q1_point_of_contact")._repr_mimebundle_()
    text = bundle["text/plain"]
    assert "a) " in text and "d) " in text and 'q1 = "a"' in text
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize("item", CLICKABLE, ids=lambda it: it.id)
def test_every_kind_gives_its_question_a_text_fallback(in_tmp, item):
    """Where widgets cannot draw, each kind lists what a learner needs to type an answer, and
    how to type it (the kind supplies its lines; the question widget never asks the kind)."""
    text = Question(item.id)._repr_mimebundle_()["text/plain"]
    assert item.question in text and f"{item.var} = " in text
    assert all(f"{k}) {option}" in text for k, option in item.listed_options().items())
    assert all(label in text for label in getattr(item, "parts", {}).values())
    if item.graded_scenario is not None:
        graph = item.graph()
        assert graph.nodes[graph.start]["says"] in text


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


def test_a_number_question_starts_unanswered_and_parses_what_is_typed(in_tmp, monkeypatch):
    from course import items
    from course.items.number import parse_number
    assert [parse_number(t) for t in ("", " 12 ", "3.5", "1,200", "twelve")] == \
        [None, 12, 3.5, 1200, "twelve"]
    item = items.build({"id": "m1_q9_count", "kind": "number", "min": 0, "max": 100,
                        "integer": True, "question": "How many?", "points": 1,
                        "themes": ["m1.point-of-contact"]}, "a test")
    monkeypatch.setattr(items, "item", lambda item_id: item)
    q = Question("m1_q9_count")
    assert q.value is None and "Not answered yet" in q.feedback.value
    q.controls.box.value = "7"
    assert saved_answer("m1_q9_count") == 7 and "Saved: 7" in q.feedback.value
    q.controls.box.value = "7.5"
    assert "whole number" in q.feedback.value
    assert Question("m1_q9_count").value == 7.5   # restored as typed


def test_taking_back_every_choice_of_a_multi_question_leaves_it_unanswered(in_tmp):
    """Unticking the last box once raised inside the widget's callback (sorted(None))."""
    multi = next(it for it in all_items() if it.KIND == "multi")
    question = Question(multi.id)
    box = question.controls.boxes[next(iter(multi.options))]
    box.value = True
    assert saved_answer(multi.id) == {next(iter(multi.options))}
    box.value = False
    assert saved_answer(multi.id) is None
    assert "Not answered yet" in question.feedback.value
