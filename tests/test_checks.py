"""Visible checks speak about form only, in plain words, and never raise."""

import pytest

from course import items
from course.answers import AnswerStore
from course.checks import check_answer

from conftest import all_items

CHOICE = items.item("m1_q1_point_of_contact")
MULTI = items.item("m1_q2_approachable_manner")
MATCH = items.item("m1_q6_every_setting")


@pytest.mark.parametrize("item, value, fragment", [
    (CHOICE, None, "not answered"),
    (CHOICE, "e", "choose one of a, b, c or d"),
    (CHOICE, "B", "lower-case"),
    (CHOICE, 2, "one letter in quotes"),
    (MULTI, "a", "set of letters"),
    (MULTI, set(), "at least one"),
    (MULTI, {"a", "z"}, "not 'z'"),
    (MATCH, ["b"], "dictionary"),
])
def test_form_problems_are_named(item, value, fragment):
    assert fragment in item.form_problem(value)


def test_match_form_problems_name_the_part():
    first, *rest = MATCH.parts
    full = {k: "a" for k in MATCH.parts}
    assert f"add a choice for {rest[0]!r}" in MATCH.form_problem({first: "a"})
    assert "'zoo'" in MATCH.form_problem({**full, "zoo": "a"})
    assert "not 'q'" in MATCH.form_problem({**full, first: "q"})


@pytest.mark.parametrize("item", all_items(), ids=lambda it: it.id)
def test_every_item_example_is_well_formed(item):
    """The example shown to students has the right form (and so teaches the syntax)."""
    namespace = {}
    exec(f"{item.var} = {items.literal(item.example())}", namespace)
    assert item.form_problem(namespace[item.var]) is None


def test_check_answer_prints_one_plain_line_and_returns_nothing(in_tmp, capsys):
    assert check_answer("m1_q1_point_of_contact", None) is None
    assert "not answered yet" in capsys.readouterr().out
    assert check_answer("m1_q1_point_of_contact", "c") is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "is recorded and will be marked" in out
    assert "does not say whether it is right" in out
    for word in ("correct", "well-formed", "✓"):   # nothing that reads as "right" before grading
        assert word not in out


def test_under_validate_every_unanswered_or_unmarkable_question_goes_to_stderr(
        in_tmp, capsys, monkeypatch):
    """nbgrader's Validate lists a test cell that wrote to stderr; Run All shows it as text."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    check_answer("m1_q1_point_of_contact", None)
    check_answer("m1_q1_point_of_contact", "z")
    check_answer("m1_q1_point_of_contact", "c")
    got = capsys.readouterr()
    assert "not answered yet" in got.err and "cannot be marked" in got.err
    assert "is recorded" in got.out and "is recorded" not in got.err
    assert max(len(line) for line in got.err.splitlines()) <= 80   # validate cuts at 90
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    check_answer("m1_q1_point_of_contact", None)
    assert "not answered yet" in capsys.readouterr().out


def test_a_whole_number_item_refuses_a_decimal():
    item = items.build({"id": "m0_q1_x", "kind": "number", "question": "How many?", "points": 1,
                        "themes": ["m0.t"], "min": 0, "max": 50, "integer": True}, "a test")
    assert "whole number" in item.form_problem(8.0)
    assert item.form_problem(8) is None


def test_check_answer_notes_a_typed_answer_that_differs_from_the_click(in_tmp, capsys):
    AnswerStore("m1").save("m1_q1_point_of_contact", "a")
    check_answer("m1_q1_point_of_contact", "c")
    assert "the typed answer is the one that counts" in capsys.readouterr().out


def test_hostile_values_do_not_crash_the_check(in_tmp, capsys):
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("boom")

        __hash__ = object.__hash__

        def __repr__(self):
            return "Weird()"
    for item_id in ("m1_q1_point_of_contact", "m1_q2_approachable_manner", "m1_q6_every_setting"):
        check_answer(item_id, Weird())
        assert "cannot be marked" in capsys.readouterr().out
        check_answer(item_id, {Weird()} if item_id.endswith("manner") else [Weird()])
        assert "cannot be marked" in capsys.readouterr().out
