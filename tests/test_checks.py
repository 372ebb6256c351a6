"""Visible checks speak about form only, in plain words, and never raise."""

import pytest

from course import content
from course.answers import AnswerStore
from course.checks import check_answer, example, form_problem

from conftest import all_items

CHOICE = content.item("m1_q1_point_of_contact")
MULTI = content.item("m1_q2_approachable_manner")
MATCH = content.item("m1_q6_every_setting")


@pytest.mark.parametrize("item, value, fragment", [
    (CHOICE, None, "not answered"),
    (CHOICE, "e", "choose one of a, b, c or d"),
    (CHOICE, "B", "lower-case"),
    (CHOICE, 2, "one letter in quotes"),
    (MULTI, "a", "set of letters"),
    (MULTI, set(), "at least one"),
    (MULTI, {"a", "z"}, "not 'z'"),
    (MATCH, ["b"], "dictionary"),
    (MATCH, {"campus": "b"}, "add a choice for 'office'"),
    (MATCH, {"campus": "b", "office": "a", "park": "d", "event": "c", "zoo": "a"}, "'zoo'"),
    (MATCH, {"campus": "b", "office": "a", "park": "d", "event": "q"}, "not 'q'"),
])
def test_form_problems_are_named(item, value, fragment):
    assert fragment in form_problem(item, value)


@pytest.mark.parametrize("item", all_items(), ids=lambda it: it["id"])
def test_every_item_example_is_well_formed(item):
    """The example shown to students has the right form (and so teaches the syntax)."""
    namespace = {}
    exec(example(item), namespace)
    assert form_problem(item, namespace[item["var"]]) is None


def test_check_answer_prints_one_plain_line_and_returns_nothing(in_tmp, capsys):
    assert check_answer("m1_q1_point_of_contact", None) is None
    assert "not answered yet" in capsys.readouterr().out
    assert check_answer("m1_q1_point_of_contact", "c") is None
    out = capsys.readouterr().out
    assert out.startswith("✓") and out.count("\n") == 1 and "checked when your work is graded" in out


def test_a_whole_number_item_refuses_a_decimal():
    item = {"id": "m0_q1_x", "var": "q1", "kind": "number", "min": 0, "max": 50, "integer": True}
    assert "whole number" in form_problem(item, 8.0)
    assert form_problem(item, 8) is None


def test_check_answer_notes_a_typed_answer_that_differs_from_the_click(in_tmp, capsys):
    AnswerStore("m1").save("m1_q1_point_of_contact", "a")
    check_answer("m1_q1_point_of_contact", "c")
    assert "the typed answer is the one that counts" in capsys.readouterr().out


def test_hostile_values_do_not_crash_the_check(in_tmp, capsys):
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("boom")

        def __repr__(self):
            return "Weird()"
    check_answer("m1_q1_point_of_contact", Weird())
    assert "✗" in capsys.readouterr().out
