"""The item-quality audit (course.audit, after Haladyna, Downing & Rodriguez 2002): the whole
course passes it, and a fixture module that breaks each guideline on purpose is caught on every one."""

from __future__ import annotations

import tomllib
from pathlib import Path

from course import audit, items

from conftest import ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "audit_bad_module.toml"


def fixture_findings() -> list:
    data = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))
    specs = items.build_all(data["item"], str(FIXTURE.name))
    module_keys = {it.id: it.key_from_toml(data["keys"][it.id]) for it in specs}
    entries = [(it, module_keys[it.id]) for it in specs]
    return (audit.module_findings(specs, module_keys, data["practice"], "the fixture")
            + audit.spread_findings(entries, "the fixture course"))


def test_the_whole_course_passes_the_audit():
    findings = audit.audit(ROOT)
    assert not findings, "\n".join(map(str, findings))


def test_a_module_that_breaks_each_guideline_is_caught_on_every_one():
    found = fixture_findings()
    assert {f.guideline for f in found} == set(audit.GUIDELINES)
    by_item = {}
    for f in found:
        by_item.setdefault(f.where, set()).add(f.guideline)
    # each item is caught for the guideline it was written to break
    expected = {"m9_q1_length": "length", "m9_q2_determiners": "determiners",
                "m9_q3_justification": "justification", "m9_q4_one_question": "one-question",
                "m9_q5_negative": "negative-stem", "m9_q6_clang": "clang", "m9_q7_above": "above",
                "m9_q8_copy": "practice-copy", "m9_q9_match_cues": "clang",
                "m9_q12_order": "key-position"}
    missed = {i: g for i, g in expected.items() if g not in by_item.get(i, set())}
    assert not missed, missed
    assert "key-position" in by_item["m9_q9_match_cues"], "the key follows the listed order"
    assert {"key-position", "length"} <= by_item["the fixture"]     # every key is 'b', the longest
    assert "multi-keys" in by_item["the fixture course"]            # both multi keys hold 'a', size 3


def test_each_finding_names_the_guideline_and_the_item_in_plain_words():
    for f in fixture_findings():
        text = str(f)
        assert f.where in text and audit.GUIDELINES[f.guideline] in text and f.message
