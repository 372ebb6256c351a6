"""Module 5's scenarios, widgets, figure and the path item kind, driven headless."""

import html
import random

import matplotlib
import numpy as np
import pytest

from course import content, items, keys, scenarios
from course.answers import saved_answer
from course.checks import check_answer
from course.plots.prevention_and_rapport import escalation_curve
from course.widgets.early_warning import EarlyWarnings
from course.widgets.question import Question, ask
from course.widgets.scenario import ScenarioPlayer, practise
from conftest import ROOT
from widget_kit import shown_children

matplotlib.use("Agg")

DATA = content.module_content("m5")
SCENARIOS = list(DATA["scenario"])
PATH_ITEM = items.item("m5_q4_scenario_path")


def shown(text: str) -> str:
    return html.unescape(text)


# ------------------------------------------------------------------ the scenario graphs


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_graph_is_well_formed(name):
    """Every choice leads to an existing node, every node is reachable, every path ends."""
    s = scenarios.scenario("m5", name)
    assert s.problems() == []
    for node_id in s.nodes:
        for choice in s.choices(node_id).values():
            assert choice["next"] in s.nodes
    paths = s.paths()
    assert paths and all(s.is_ending(s.walk(p)[-1]) for p in paths)
    # No dead loop: no path visits a node twice, so every walk is finite.
    assert all(len(set(s.walk(p))) == len(p) + 1 for p in paths)
    assert max(len(p) for p in paths) >= 3, "a scenario needs at least three steps"
    assert len(s.states) >= 3 and all(node["state"] in s.states for node in s.nodes.values())


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_step_offers_a_choice_that_calms_and_one_that_does_not(name):
    """Each choice changes the person's state in a way the learner can see."""
    s = scenarios.scenario("m5", name)
    for node_id in s.nodes:
        if s.is_ending(node_id):
            continue
        after = [s.state_index(c["next"]) for c in s.choices(node_id).values()]
        assert len(s.choices(node_id)) >= 2 and len(set(after)) >= 2, node_id


def test_the_practice_scenario_coaches_every_choice_and_the_graded_one_none():
    practice, graded = scenarios.scenario("m5", "long_wait"), PATH_ITEM.graph()
    assert all(c.get("coaching") for n in practice.nodes for c in practice.choices(n).values())
    assert not any(c.get("coaching") for n in graded.nodes for c in graded.choices(n).values())
    # In the graded scenario calm is not the whole test: more than one ending is calm.
    calm = [n for n in graded.nodes if graded.is_ending(n) and graded.nodes[n]["state"] == "calm"]
    assert len(calm) >= 2


@pytest.mark.parametrize("broken, message", [
    ({"start": "nowhere"}, "start node 'nowhere' does not exist"),
    ({"node": {"start": {"state": "calm", "says": "Hi.",
                         "choice": {"a": {"text": "x", "next": "gone", "consequence": "y"}}}}},
     "leads to the missing node 'gone'"),
    ({"node": {"start": {"state": "calm", "says": "Hi.",
                         "choice": {"a": {"text": "x", "next": "loop", "consequence": "y"}}},
               "loop": {"state": "calm", "says": "Again.",
                        "choice": {"a": {"text": "x", "next": "start", "consequence": "y"}}}}},
     "it loops: start -> loop -> start"),
    ({"node": {"start": {"state": "calm", "says": "Hi."}, "orphan": {"state": "calm", "says": "?",
                                                                      "outcome": "z"}}},
     "lacks an outcome"),
    ({"node": {"start": {"state": "furious", "says": "Hi.", "outcome": "z"}}}, "unknown state"),
])
def test_a_broken_scenario_is_refused_with_a_clear_message(broken, message):
    data = {"states": ["calm", "angry"], "start": "start",
            "node": {"start": {"state": "calm", "says": "Hi.", "outcome": "Done."}}}
    data.update(broken)
    with pytest.raises(content.ContentError, match=message):
        scenarios.Scenario("broken", data)


def test_an_unknown_scenario_names_the_ones_that_exist():
    with pytest.raises(content.ContentError, match="long_wait"):
        scenarios.scenario("m5", "no_such_scene")


# ------------------------------------------------------------------ the path kind: form checks


@pytest.mark.parametrize("value, fragment", [
    (None, "not answered"),
    ("bba", "list in square brackets"),
    (("b", "b", "a"), "square brackets, as a list"),
    ([], "path is empty"),
    (["b"], "stops after step 1, before the scenario ends"),
    (["b", "z"], "at step 2 choose one of a, b or c"),
    (["B", "b", "a"], "lower-case"),
    (["b", 2], "step 2 must be a letter in quotes"),
    (["c", "a"], "ends after step 1"),
])
def test_path_form_problems_are_named(value, fragment):
    assert fragment in PATH_ITEM.form_problem(value)


def test_every_complete_path_is_well_formed_and_the_example_is_one():
    s = PATH_ITEM.graph()
    assert all(PATH_ITEM.form_problem(p) is None for p in s.paths())
    assert PATH_ITEM.example() == s.first_path() and PATH_ITEM.form_problem(s.first_path()) is None


def test_check_answer_on_a_path_speaks_in_one_line(in_tmp, capsys):
    check_answer("m5_q4_scenario_path", ["b"])
    out = capsys.readouterr().out
    assert "cannot be marked" in out and "step 2" in out
    check_answer("m5_q4_scenario_path", ["b", "b", "a"])
    assert capsys.readouterr().out.startswith("Question 4: your answer")


# ------------------------------------------------------------------ the path kind: scoring


KEY = keys.load(ROOT, content.module("m5"))[PATH_ITEM.id]


def test_a_path_is_scored_by_its_ending_whatever_the_route():
    """Every route to the best ending earns every point; an acceptable ending earns part."""
    s = PATH_ITEM.graph()
    by_ending = {}
    for path in s.paths():
        by_ending.setdefault(PATH_ITEM.ending(path), []).append(
            PATH_ITEM.credit(path, KEY).share)
    assert all(len(set(shares)) == 1 for shares in by_ending.values())
    best = [e for e, shares in by_ending.items() if shares[0] == 1]
    assert best and sum(len(by_ending[e]) for e in best) >= 2, "more than one route to the best"
    assert any(0 < shares[0] < 1 for shares in by_ending.values()), "an ending earns part"
    assert PATH_ITEM.credit(PATH_ITEM.solution(KEY), KEY).share == 1


def test_a_wrong_path_for_the_demo_class_is_another_complete_path():
    s = PATH_ITEM.graph()
    for seed in range(20):
        wrong = PATH_ITEM.wrong(KEY, random.Random(seed))
        assert wrong in s.paths() and PATH_ITEM.credit(wrong, KEY).share < 1


# ------------------------------------------------------------------ the scenario player


def test_the_player_shows_the_consequence_before_the_coaching_and_the_next_step():
    player = practise("long_wait")
    s = player.scenario
    start = s.nodes[s.start]
    assert start["says"] in shown(player.says.value) and player.state == start["state"]
    assert player.meter.value == s.state_index(s.start)
    assert player.consequence.value == "" and player.coaching.value == ""
    player.options.value = "b"                  # exactly what a click on the radio button does
    choice = s.choices(s.start)["b"]
    assert choice["consequence"] in shown(player.consequence.value)
    assert choice["coaching"] in shown(player.coaching.value)
    assert player.node == s.start and player.options.disabled, "the step waits for Continue"
    player.next_button.click()
    assert player.node == choice["next"] and player.path == ["b"]
    assert s.nodes[choice["next"]]["says"] in shown(player.says.value)
    assert s.nodes[s.start]["says"] in shown(player.transcript.value)


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_player_reaches_every_ending_and_can_start_again(name):
    player = ScenarioPlayer(name)
    ends = []
    player.on_complete = ends.append
    for path in player.scenario.paths():
        player.play(path)
        assert player.finished and player.path == path
        ending = player.scenario.nodes[player.node]
        assert ending["outcome"] in shown(player.consequence.value)
        assert player.options.layout.display == "none"
    assert ends == player.scenario.paths()
    player.restart_button.click()
    assert player.path == [] and player.node == player.scenario.start


def test_the_player_refuses_a_bad_response_and_changes_nothing():
    player = practise("long_wait")
    player.respond("b")
    with pytest.raises(ValueError, match="choose one of a, b, c"):
        player.pick("q")
    with pytest.raises(ValueError, match="Choose a response first"):
        player.advance()
    with pytest.raises(ValueError, match="does not fit"):
        player.play(["b", "z"])
    assert player.path == ["b"]


def test_the_text_fallback_holds_the_whole_scenario():
    text = practise("long_wait")._repr_mimebundle_()["text/plain"]
    s = scenarios.scenario("m5", "long_wait")
    assert "Fictional" in text
    for node_id, node in s.nodes.items():
        assert node["says"] in text
    assert "Coaching" in text


# ------------------------------------------------------------------ the graded path question


def test_the_graded_run_shows_no_meter_colour_or_coaching_and_cannot_go_back(in_tmp):
    q = ask("m5_q4_scenario_path")
    player = q.controls.player
    assert isinstance(q, Question) and q.value is None and player.graded
    shown = list(shown_children(player))
    assert player.meter not in shown and player.mood not in shown, "no tension meter"
    assert player.restart_button not in shown, "no starting again"
    first = PATH_ITEM.solution(KEY)
    player.options.value = first[0]
    assert player.coaching.value == "" and "calmer" not in player.consequence.value \
        and "tense" not in player.consequence.value
    assert "#0969da" in player.consequence.value, "the consequence in the neutral tone only"
    with pytest.raises(ValueError):
        player.pick(first[0])            # a response, once chosen, is final
    with pytest.raises(ValueError):
        player.restart()
    assert saved_answer("m5_q4_scenario_path") is None, "an unfinished run is not an answer"


def test_a_played_path_is_saved_locked_and_found_by_a_fresh_kernel(in_tmp):
    q = ask("m5_q4_scenario_path")
    path = PATH_ITEM.samples()[0]
    for letter in path:
        q.controls.player.respond(letter)
    assert saved_answer("m5_q4_scenario_path") == path and "Saved" in q.feedback.value
    assert q.controls.player.locked and "locked" in q.controls.player.status.value
    with pytest.raises(ValueError):
        q.controls.player.play(PATH_ITEM.samples()[1])
    assert saved_answer("m5_q4_scenario_path") == path, "exploring after the end changes nothing"
    again = Question("m5_q4_scenario_path")
    assert again.value == path and again.controls.player.locked


def test_a_damaged_saved_path_is_ignored_by_the_widget(in_tmp):
    (in_tmp / "m5_answers.json").write_text('{"m5_q4_scenario_path": ["b", "nonsense"]}')
    q = Question("m5_q4_scenario_path")
    assert q.value is None and q.controls.player.path == []


# ------------------------------------------------------------------ early warnings


def test_early_warnings_grow_with_a_warmer_greeting_and_a_chattier_patrol():
    w = EarlyWarnings()
    total = len(DATA["early_warning"]["signal"])
    heard = {}
    for greeting in range(3):
        for patrol in range(3):
            w.choose(greeting=greeting, patrol=patrol)
            heard[greeting, patrol] = len(w.heard)
    assert heard[0, 0] == 0 and heard[2, 2] == total
    assert all(heard[g, p] <= heard[g + 1, p] for g in range(2) for p in range(3))
    assert all(heard[g, p] <= heard[g, p + 1] for g in range(3) for p in range(2))
    # Neither half is enough alone.
    assert heard[2, 0] < total and heard[0, 2] < total


def test_early_warnings_show_what_each_warning_becomes():
    w = EarlyWarnings(greeting=1, patrol=1)
    text = shown(w.timeline.value)
    for signal in DATA["early_warning"]["signal"]:
        assert (signal["early"] if signal in w.heard else signal["late"]) in text
    w.pickers["greeting"].value = 2            # choosing from the dropdown
    assert f"You heard {len(w.heard)} of" in shown(w.summary.value)
    assert "Coaching" in w.coaching.value
    assert "fictional" in w._repr_mimebundle_()["text/plain"]


def test_early_warnings_refuse_a_bad_setting_and_keep_the_old_one():
    w = EarlyWarnings(greeting=2)
    with pytest.raises(ValueError, match="from 0 to 2"):
        w.choose(greeting=1, patrol=7)
    assert w.pickers["greeting"].value == 2 and w.pickers["patrol"].value == 0
    with pytest.raises(ValueError, match="whole number"):
        EarlyWarnings(patrol="1")


# ------------------------------------------------------------------ figure


def test_figure_names_its_source_and_labels_every_phase():
    fig = escalation_curve()
    ax = fig.axes[0]
    data = DATA["figure"]
    assert "illustrative" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    texts = [t.get_text() for t in ax.texts]
    for phase in data["phase"]:
        assert phase["name"] in texts and phase["service"] in texts and phase["course"] in texts
    assert any("Kaplan" in t.get_text() and "not data" in t.get_text() for t in fig.texts)
    (line, baseline) = ax.lines[:2]
    # The curve rises from the usual level to a peak inside the crisis phase, then dips below it.
    x, y = line.get_xdata(), line.get_ydata()
    crisis = next(p for p in data["phase"] if p["name"] == "Crisis")
    assert crisis["start"] <= x[np.argmax(y)] <= crisis["end"]
    assert y.min() < baseline.get_ydata()[0] < y.max()
