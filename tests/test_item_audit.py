"""The item-quality audit (course.audit, after Haladyna, Downing & Rodriguez 2002): the whole
course passes it, and a fixture module that breaks each guideline on purpose is caught on every one."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from course import audit, items, scenarios
from course.items import ChoiceSet

from conftest import ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "audit_bad_module.toml"


@pytest.fixture
def fixture_findings(monkeypatch) -> list:
    """Every finding on the fixture module, as a module and as a course of its own."""
    data = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))
    real = scenarios.scenario

    def scenario(module_id: str, scenario_id: str):   # the fixture's own scenarios, for m9
        if module_id == "m9":
            return scenarios.Scenario(scenario_id, data["scenario"][scenario_id])
        return real(module_id, scenario_id)

    monkeypatch.setattr(scenarios, "scenario", scenario)
    specs = items.build_all(data["item"], str(FIXTURE.name))
    module_keys = {it.id: it.key_from_toml(data["keys"][it.id]) for it in specs}
    entries = [(it, module_keys[it.id]) for it in specs]
    return (audit.module_findings(specs, module_keys, data["practice"], "the fixture")
            + audit.course_findings(entries, "the fixture course"))


def test_the_whole_course_passes_the_audit():
    findings = audit.audit(ROOT)
    assert not findings, "\n".join(map(str, findings))


#: (where, guideline, a phrase of the message): each case the fixture was written to break.
EXPECTED = [
    ("m9_q1_length", "length", "times as long as the other options"),
    ("m9_q1_length", "length", "more than 2 times as long as option"),
    ("m9_q2_determiners", "determiners", "'always'"),
    ("m9_q3_justification", "justification", "only distractors give reasons (a, c)"),
    ("m9_q4_one_question", "one-question", "asks two things"),
    ("m9_q5_negative", "negative-stem", "worded negatively"),
    ("m9_q6_clang", "clang", "repeats the stem"),
    ("m9_q7_above", "above", "'All of the above'"),
    ("m9_q8_copy", "practice-copy", "repeats practice material"),
    ("m9_q9_match_cues", "clang", "share the word 'visitor'"),
    # the key gives a, c, d: in the listed order though not the first three options
    ("m9_q9_match_cues", "key-position", "in the order they are listed"),
    ("m9_q12_order", "key-position", "in the order they are listed"),
    # the most complete option
    ("m9_q13_most_complete", "clauses", "the most complete option reads as right"),
    ("m9_q13_most_complete", "clauses", "write options of the same build"),
    # absolute words and reasons the first lists missed
    ("m9_q14_absolute_words", "determiners", "'everyone'"),
    ("m9_q14_absolute_words", "determiners", "'Nothing'"),
    ("m9_q15_colon_reason", "justification", "only distractors give reasons (a, c)"),
    # a graded scenario: each step, and the best move across the steps
    ("m9_q16_scenario", "length", "step 'start': option a is more than 2 times as long"),
    ("m9_q16_scenario", "clauses", "step 'start': the key has"),
    ("m9_q16_scenario", "length", "the key is the longest option in 3 of 3 steps"),
    ("m9_q16_scenario", "clauses", "finds the key in 3 of 3 steps"),
    # ... and played blind, without reading for meaning, it still earns its marks
    ("m9_q16_scenario", "blind-play", "always 'a' (['a', 'a']) earns 100% of the points"),
    ("m9_q16_scenario", "blind-play", "always the longest"),
    # a match item's options
    ("m9_q17_match_options", "match-options", "option c is the answer for 2 parts"),
    ("m9_q17_match_options", "match-options", "option b is less than half as long as option c"),
    # the module: every single-choice key is 'b', and the longest, and the most complete
    ("the fixture", "key-position", "single-choice keys are 'b'"),
    ("the fixture", "length", "the key is the longest option in"),
    ("the fixture", "clauses", "with the most clauses (ties: the longest) finds the key in"),
    # the course: multi-select keys alike; absolute words and reasons mostly in distractors
    ("the fixture course", "multi-keys", "every multi-select key has 3 options"),
    ("the fixture course", "multi-keys", "every multi-select key holds option 'a'"),
    ("the fixture course", "determiners", "of distractors carry absolute or sweeping words"),
    ("the fixture course", "justification", "of distractors carry a reason"),
]


def test_a_module_that_breaks_each_guideline_is_caught_on_every_one(fixture_findings):
    assert {f.guideline for f in fixture_findings} == set(audit.GUIDELINES)
    missed = [case for case in EXPECTED
              if not any(f.where == case[0] and f.guideline == case[1] and case[2] in f.message
                         for f in fixture_findings)]
    assert not missed, "\n".join(map(str, [*missed, "found:", *fixture_findings]))


def test_each_finding_names_the_guideline_and_the_item_in_plain_words(fixture_findings):
    for f in fixture_findings:
        text = str(f)
        assert f.where in text and audit.GUIDELINES[f.guideline] in text and f.message


def test_the_blind_rule_of_the_most_complete_option():
    options = {"a": "Wait here.", "b": "Greet her, ask her name, and then help.",
               "c": "Walk on by."}
    assert audit.clauses(options["b"]) == 4 and audit.most_complete(options) == "b"
    # ties on clauses go to the longer option, as a test-wise learner would choose
    assert audit.most_complete({"a": "Go, now.", "b": "Stay, please."}) == "b"


class _Stub:
    """An item seen only through its choice sets (the rates compare them across items)."""

    def __init__(self, choice_set: ChoiceSet):
        self.choice_set = choice_set

    def choice_sets(self, key):
        return [self.choice_set]


def test_cue_rates_are_compared_across_the_course_not_only_per_item():
    # Each set passes the per-item checks (a key carries a reason too; the sweeping words are not
    # the strong absolutes an item may not use at all), yet across them distractors carry reasons
    # and sweeping words far more often than keys do.
    texts = [("Ask her what she needs: she may be lost.", "Offer to walk her to the desk.",
              "Point at any sign: it saves time.", "Walk on: all is well."),
             ("Greet him: regulars like a hello.", "Offer him the new map.",
              "Check every bag: rules are rules.", "Wave from the desk: he will ask."),
             ("Call control: they can send help.", "Stay with her by the lift.",
              "Leave her be: any fuss makes it worse.",
              "Tell her all visitors wait: it is policy.")]
    sets = [ChoiceSet("", dict(zip("abcd", four)), frozenset("ab")) for four in texts]
    assert not [f for cs in sets for f in audit.set_findings(cs)
                if f[0] in ("determiners", "justification")]
    entries = [(_Stub(cs), None) for cs in sets]
    found = {f.guideline for f in audit.rate_findings(entries, "a course")}
    assert found == {"determiners", "justification"}
    # the same options with the cues shared evenly between keys and distractors pass
    even = [ChoiceSet("", dict(zip("abcd", four)), frozenset("ac")) for four in texts]
    assert not audit.rate_findings([(_Stub(cs), None) for cs in even], "a course")
