"""Module 1's package code, headless: the first-contact simulator agrees with the lesson beside it,
and the lesson's disagreements are approached safety first.

The lesson (section 2) names the simulator's rule and a table of combinations with what the
visitor does; these tests read that table from the source notebook, so the widget and the lesson
cannot drift apart again (issue 14: a warm greeting from behind folded arms used to pass).
"""

from __future__ import annotations

import itertools
import re

import pytest

from course import content, notebooks
from course.content import ContentError
from course.widgets import first_contact
from course.widgets.first_contact import (ASPECTS, CLOSED, OPEN, SHARES, UNSURE, WALKS_ON,
                                          FirstContactSimulator, outcome_for)

from conftest import MODULES, ROOT

TABLE_HEADER = re.compile(r"^\|\s*greeting\s*\|\s*posture\s*\|\s*tone\s*\|\s*what Joan does\s*\|$",
                          re.M | re.I)


def m1_notebook():
    module = next(m for m in MODULES if m["id"] == "m1")
    return notebooks.read(notebooks.source_notebook(ROOT, module))


def lesson_table() -> list[tuple[dict, str]]:
    """The combinations the lesson names: ({aspect: choice index}, outcome id), one per row."""
    model = first_contact.simulator_model()
    cells = [c.source for c in m1_notebook().cells
             if c.cell_type == "markdown" and TABLE_HEADER.search(c.source)]
    assert len(cells) == 1, "one lesson cell holds the simulator's table of combinations"
    by_summary = {model["outcome"][o]["summary"]: o for o in model["outcome"]}
    rows = []
    for line in cells[0][TABLE_HEADER.search(cells[0]).end():].splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        *labels, said = [part.strip() for part in line.strip().strip("|").split("|")]
        choice = {}
        for aspect, label in zip(ASPECTS, labels, strict=True):
            found = [i for i, opt in enumerate(model[aspect]) if opt["label"] == label]
            assert found, f"the lesson names a {aspect} the simulator does not offer: {label!r}"
            choice[aspect] = found[0]
        assert said in by_summary, f"the lesson says Joan {said!r}: not one of {list(by_summary)}"
        rows.append((choice, by_summary[said]))
    return rows


def disagreements(rule) -> list[str]:
    """Where ``rule`` (three choice dicts -> outcome id) and the lesson part company: every row of
    the lesson's table, and its rule in words (all three open: she shares; two or three closed:
    she walks on; anything else: she is unsure) over every combination the simulator offers."""
    model = first_contact.simulator_model()
    found = []
    for choice, said in lesson_table():
        chosen = [model[a][choice[a]] for a in ASPECTS]
        if rule(chosen) != said:
            found.append(f"table row {[c['label'] for c in chosen]}: {rule(chosen)} != {said}")
    for indices in itertools.product(*(range(len(model[a])) for a in ASPECTS)):
        chosen = [model[a][i] for a, i in zip(ASPECTS, indices)]
        signals = [c["signal"] for c in chosen]
        said = SHARES if signals == [OPEN] * 3 else \
            WALKS_ON if signals.count(CLOSED) >= 2 else UNSURE
        if rule(chosen) != said:
            found.append(f"{[c['label'] for c in chosen]}: {rule(chosen)} != {said}")
    return found


def widget_rule(chosen: list[dict]) -> str:
    """What the widget itself does when a learner picks these choices in its dropdowns."""
    model = first_contact.simulator_model()
    sim = FirstContactSimulator()
    sim.choose(**{a: model[a].index(c) for a, c in zip(ASPECTS, chosen)})
    return sim.result


# ---------------------------------------------------------------- the simulator and the lesson
def test_the_widget_gives_the_outcome_the_lesson_names_for_every_combination():
    assert disagreements(widget_rule) == []


def test_the_lesson_names_the_two_mixed_messages_the_review_found_passing():
    """A warm greeting with folded arms behind the barrier, and an open stance with a flat,
    clipped tone: the lesson names both, and neither gets the concern mentioned."""
    model = first_contact.simulator_model()
    named = {tuple(model[a][c[a]]["label"] for a in ASPECTS): said for c, said in lesson_table()}
    greeting = model["greeting"][2]["label"]
    assert named[(greeting, "Arms folded, behind the barrier", "Warm and unhurried")] == UNSURE
    assert named[(greeting, "Open stance, facing the entrance", "Flat and clipped")] == UNSURE
    assert set(named.values()) == {SHARES, UNSURE, WALKS_ON}, "the table shows every outcome"


def test_only_the_all_open_combination_gets_the_concern_mentioned():
    model = first_contact.simulator_model()
    sim = FirstContactSimulator()
    sharing = []
    for indices in itertools.product(*(range(len(model[a])) for a in ASPECTS)):
        sim.choose(**dict(zip(ASPECTS, indices)))
        if sim.shares_concern:
            sharing.append(indices)
            assert "tells you about the hazard" in sim.outcome.value
        else:
            assert "unreported" in sim.outcome.value
        assert sim.meter.value == sim.signals.count(OPEN)
    named = [tuple(c[a] for a in ASPECTS) for c, said in lesson_table() if said == SHARES]
    assert sharing == named and len(sharing) == 1


def test_the_old_additive_rule_fails_the_check():
    """Control: the comfort-points rule the simulator had before issue 14 (a warm greeting with
    arms folded scored enough to pass) disagrees with the lesson, so the check above can fail."""
    points = {"greeting": [0, 1, 3], "posture": [0, -1, 2], "tone": [0, 2, -1]}
    model = first_contact.simulator_model()

    def additive(chosen):
        comfort = sum(points[a][model[a].index(c)] for a, c in zip(ASPECTS, chosen))
        return SHARES if comfort >= 5 else UNSURE if comfort >= 2 else WALKS_ON

    found = disagreements(additive)
    assert any("Arms folded, behind the barrier" in f and f.endswith("shares != unsure")
               for f in found), found
    assert any("Flat and clipped" in f and f.endswith("shares != unsure") for f in found), found


@pytest.mark.parametrize("signals, expected", [
    ((OPEN, OPEN, OPEN), SHARES),
    (("partly open", OPEN, OPEN), UNSURE),
    ((OPEN, CLOSED, OPEN), UNSURE),
    ((OPEN, CLOSED, CLOSED), WALKS_ON),
    ((CLOSED, CLOSED, CLOSED), WALKS_ON),
])
def test_the_rule_in_words(signals, expected):
    assert outcome_for(signals) == expected


def test_the_text_fallback_states_the_rule():
    text = FirstContactSimulator().text_fallback()
    assert "All three signals open: she mentions the wet stairs." in text
    assert "Two or three closed" in text and "illustrative model" in text


def test_a_choice_with_an_unknown_signal_is_refused_by_name(monkeypatch):
    real = content.module_content("m1")
    broken = {**real, "simulator": {**real["simulator"],
                                    "tone": [{**real["simulator"]["tone"][0], "signal": "warm"}]}}
    monkeypatch.setattr(content, "module_content", lambda module_id: broken)
    with pytest.raises(ContentError, match=r"simulator\.tone\[0\] \('Flat and clipped'\) has "
                                           r"signal 'warm'; use one of open, partly open, closed"):
        FirstContactSimulator()


# ---------------------------------------------------------------- safety first in the examples
def test_every_disagreement_the_explorer_shows_is_called_in_and_none_goes_between():
    """Section 4's try-it: each officer calls it in (radio, control, a colleague, support) and
    none stands between the people arguing."""
    data = content.module_content("m1")["settings"]
    skill = data["skills"].index("Calming a disagreement")
    for place in data["place"]:
        example = place["examples"][skill]
        assert re.search(r"\b(radio|control|colleague|support)", example, re.I), place["name"]
        assert not re.search(r"\bbetween\b", example, re.I), place["name"]
