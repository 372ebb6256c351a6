"""The item model: one validated spec per kind, its scoring rules, and clear errors on bad content."""

from __future__ import annotations

import json
import random

import nbformat
import pytest
from nbgrader.utils import determine_grade

from course import content, items, keys, verdicts, wire
from course.hidden_tests import WrongAnswer, expect
from course.items import KINDS, ContentError, earned

from conftest import ROOT, all_items

KEYED = [(it, keys.load(ROOT, content.module(it.module))[it.id]) for it in all_items()]
IDS = [it.id for it, _ in KEYED]


def test_every_kind_in_the_registry_is_used_or_tested():
    used = {it.kind for it in all_items()}
    assert used <= set(KINDS)
    for name, cls in KINDS.items():
        assert cls.KIND == name and cls.__module__ == f"course.items.{name}"


@pytest.mark.parametrize("item, key", KEYED, ids=IDS)
def test_each_kind_scores_strictly_and_its_examples_are_what_they_claim(item, key):
    best = item.solution(key)
    assert item.form_problem(best) is None and item.credit(best, key).share == 1
    for value in item.samples():
        assert item.form_problem(value) is None, value
        assert item.from_json(json.loads(json.dumps(item.to_json(value)))) == value
    for value in item.malformed():
        assert item.form_problem(value) is not None, value
        assert item.credit(value, key).share == 0, value
    for value, share in item.partial_examples(key):
        assert item.form_problem(value) is None and 0 < share < 1
        assert item.credit(value, key).share == pytest.approx(share), value
    rng = random.Random(1)
    for _ in range(5):
        wrong = item.wrong(key, rng)
        assert item.form_problem(wrong) is None and item.credit(wrong, key).share < 1, wrong
    assert item.credit(None, key).share == 0
    assert (item.RULE is None) == (not item.partial_examples(key)), \
        "a kind that gives partial credit states its rule, and only such a kind"


def test_partial_credit_rules_on_hand_worked_answers():
    multi = items.item("m1_q2_approachable_manner")
    key = {"a", "b", "e"}
    assert multi.credit({"a", "b"}, key).share == pytest.approx(2 / 3)        # one right missed
    assert multi.credit({"a", "b", "e", "c"}, key).share == pytest.approx(2 / 3)  # one wrong
    assert multi.credit({"a", "c", "d"}, key).share == 0                      # 1 right - 2 wrong
    assert multi.credit(set("abcdef"), key).share == 0                        # everything ticked
    assert multi.credit(["a", "b", "e"], key).share == 1                      # a list is fine too
    match = items.item("m1_q6_every_setting")
    mkey = {p: "a" for p in match.parts}
    one_wrong = {**mkey, next(iter(mkey)): "b"}
    assert match.credit(one_wrong, mkey).share == pytest.approx(1 - 1 / len(mkey))
    order = items.build({"id": "m0_q1_x", "kind": "order", "question": "In order?", "points": 2,
                         "themes": ["m0.t"], "options": {"a": "A", "b": "B", "c": "C", "d": "D"}},
                        "a test")
    assert order.credit(["b", "a", "c", "d"], ["a", "b", "c", "d"]).share == 0.5
    assert order.credit(["d", "c", "b", "a"], ["a", "b", "c", "d"]).share == 0
    assert earned(2, 2 / 3) == 1.33


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


@pytest.mark.parametrize("item, key", KEYED, ids=IDS)
def test_no_object_that_claims_equality_earns_anything(item, key):
    for cheat in (AlwaysEqual(), [AlwaysEqual()], {AlwaysEqual()}, {"x": AlwaysEqual()}):
        assert item.credit(cheat, key).share == 0


# ---------------------------------------------------------------- errors that name file, item, field
GOOD = {"id": "m1_q1_x", "kind": "choice", "question": "Which?", "points": 1,
        "themes": ["m1.point-of-contact"], "options": {"a": "One", "b": "Two", "c": "Three"}}


@pytest.mark.parametrize("change, field, fragment", [
    ({"kind": "essay"}, "kind", "not a kind of item"),
    ({"colour": "red"}, "colour", "no such field"),
    ({"question": 7}, "question", "must be text"),
    ({"points": "1"}, "points", "must be a number"),
    ({"points": 0}, "points", "more than 0"),
    ({"themes": "m1.point-of-contact"}, "themes", "must be a list"),
    ({"themes": []}, "themes", "at least one theme"),
    ({"options": {"a": "One", "c": "Three", "d": "Four"}}, "options", "without gaps"),
    ({"options": {"a": "One", "b": "", "c": "Three"}}, "options.b", "is empty"),
    ({"id": "m1_question_one"}, "id", "m1_q3_short_slug"),
])
def test_bad_content_is_refused_naming_the_file_the_item_and_the_field(change, field, fragment):
    data = {**GOOD, **change}
    with pytest.raises(ContentError) as err:
        items.build(data, "course/content/m1_first_contact.toml")
    message = str(err.value)
    assert "course/content/m1_first_contact.toml" in message and "m1_" in message
    assert f"field {field!r}" in message and fragment in message


def test_a_missing_field_and_a_wrong_module_or_theme_are_named():
    data = {k: v for k, v in GOOD.items() if k != "options"}
    with pytest.raises(ContentError, match="field 'options': is missing"):
        items.build(data, "x.toml")
    with pytest.raises(ContentError, match="must start with m2_q"):
        items.build_all([GOOD], "x.toml", "m2")
    with pytest.raises(ContentError, match="'m1.nope' is not a theme"):
        items.build_all([{**GOOD, "themes": ["m1.nope"]}], "x.toml", "m1", {"m1.point-of-contact"})
    with pytest.raises(ContentError, match="question 1 is also m1_q1_x"):
        items.build_all([GOOD, {**GOOD, "id": "m1_q1_y"}], "x.toml")


def test_a_keys_file_that_does_not_fit_is_refused_clearly(tmp_path):
    module = content.module("m1")
    folder = tmp_path / "source" / module["folder"]
    folder.mkdir(parents=True)
    good = (ROOT / "source" / module["folder"] / keys.FILE).read_text(encoding="utf-8")
    cases = [
        (good.replace('m1_q1_point_of_contact = "', 'm1_q1_point_of_contact = "z'),
         "m1_q1_point_of_contact: the key does not fit"),
        ("\n".join(line for line in good.splitlines() if not line.startswith("m1_q1_")),
         "m1_q1_point_of_contact: the key is missing"),
        (good + '\nm1_q99_stray = "a"\n', "m1_q99_stray: no such item"),
        ("not toml = = =", "not valid TOML"),
    ]
    for text, fragment in cases:
        (folder / keys.FILE).write_text(text, encoding="utf-8")
        with pytest.raises(ContentError, match=fragment):
            keys.load(tmp_path, module)
    (folder / keys.FILE).unlink()
    with pytest.raises(ContentError, match="keys.toml is missing"):
        keys.load(tmp_path, module)


# ---------------------------------------------------------------- partial credit through grading
def test_the_grader_records_partial_credit_where_nbgrader_reads_it():
    """The out-of-kernel verdict of a partly right answer becomes outputs that nbgrader's own
    determine_grade scores at exactly the kind's share of the points."""
    item_id = "m1_q2_approachable_manner"
    expectation = verdicts.Expectation(item_id, "q2", {"a", "b", "e"})
    report = {"output_type": "display_data", "metadata": {}, "data": {
        wire.ANSWER_MIME: {"item": item_id, "value": wire.encode({"a", "b"})}}}
    verdict = verdicts.judge([expectation], [report])
    assert verdict.passed and verdict.partial and verdict.share == pytest.approx(2 / 3)
    cell = nbformat.v4.new_code_cell("", metadata={"nbgrader": {
        "grade": True, "solution": False, "points": 2, "grade_id": "t", "locked": True}})
    cell.outputs = verdicts.partial_credit(verdict, 2)
    assert determine_grade(cell) == (1.33, 2)
    assert "2 of 3 right choices" in cell.outputs[0]["text"]


def test_in_the_kernel_expect_gives_the_same_partial_points():
    assert expect("m1_q2_approachable_manner", {"a", "b", "e"}, {"a", "b", "e"}) is None
    assert expect("m1_q2_approachable_manner", {"a", "b"}, {"a", "b", "e"}) == 1.33
    with pytest.raises(WrongAnswer):
        expect("m1_q2_approachable_manner", {"c"}, {"a", "b", "e"})



@pytest.mark.parametrize("item, key", KEYED, ids=IDS)
def test_what_the_audit_reads_of_each_kind_agrees_with_its_key(item, key):
    """The audit never asks an item's kind: each kind says which option sets a learner picks
    among and what its key picks there, and that agrees with the key's own solution."""
    options = item.listed_options()
    text = "\n".join(item.reading())
    assert item.question in text and all(o in text for o in options.values())
    for cs in item.choice_sets(key):
        assert cs.options and cs.keyed <= set(cs.options)
    if item.single_key(key) is not None:
        assert [cs.keyed for cs in item.choice_sets(key)] == [frozenset({key})]
    if item.multi_key(key) is not None:
        assert [cs.keyed for cs in item.choice_sets(key)] == [frozenset(key)]
    sequence = item.key_sequence(key)
    if sequence is not None:
        assert set(sequence) <= set(options) and len(sequence) == len(item.report_parts())
    for label, letter in item.matched_parts(key):
        assert label in text and letter in options
    if item.graded_scenario is not None:
        # the best path takes a best move at every step, and each step is one choice set
        graph = item.graph()
        steps = {cs.where: cs for cs in item.choice_sets(key)}
        assert len(steps) == sum(not graph.is_ending(n) for n in graph.nodes)
        visited = graph.walk(item.solution(key))
        for node_id, letter in zip(visited, item.solution(key)):
            assert letter in steps[f"step {node_id!r}"].keyed
        assert item.graded_scenario in items.graded_scenarios(item.module)
