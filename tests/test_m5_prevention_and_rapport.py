"""Module 5's scenarios, widgets, figure and the path item kind, driven headless."""

import html
import json
import random

import matplotlib
import numpy as np
import pytest

from course import audit, content, items, keys, scenarios
from course.answers import progress_key, saved_answer
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
GRADED = sorted(items.graded_scenarios("m5"))
PRACTICE = [name for name in SCENARIOS if name not in GRADED]
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
    (["b", "b", "a"], "ends after step 2"),
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
    check_answer("m5_q4_scenario_path", ["b", "b"])
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


def test_neither_the_example_path_nor_any_blind_rule_earns_marks():
    """The answer cell shows the first path as an example of the form, and a test-wise learner
    may pick by letter or by the look of a response: none of these reaches an ending worth
    anything (the audit's blind strategies, played here on this scenario)."""
    assert PATH_ITEM.credit(PATH_ITEM.example(), KEY).share == 0
    earned = {name: PATH_ITEM.credit(PATH_ITEM.play_blind(choose), KEY).share
              for name, choose in audit.blind_strategies().items()}
    assert not any(earned.values()), earned


def test_stepping_in_between_two_people_can_never_earn_every_point():
    """Conflict-management training forbids standing between two people who are arguing: a run
    that starts that way can end safely (part of the points), never best."""
    s = PATH_ITEM.graph()
    between = [k for k, c in s.choices(s.start).items() if "between" in c["text"]]
    assert between, "the graded case offers the mistake of stepping in between"
    shares = [PATH_ITEM.credit(p, KEY).share for p in s.paths() if p[0] in between]
    assert shares and max(shares) < 1 and any(shares)


def test_the_best_moves_are_spread_over_the_letters():
    """No letter holds the best move at most steps of the graded run."""
    sets = [cs for cs in PATH_ITEM.choice_sets(KEY) if set(cs.options) - cs.keyed]
    letters = [letter for cs in sets for letter in cs.keyed]
    assert max(letters.count(x) for x in set(letters)) <= len(sets) / 2, letters


def test_a_wrong_path_for_the_demo_class_is_another_complete_path():
    s = PATH_ITEM.graph()
    for seed in range(20):
        wrong = PATH_ITEM.wrong(KEY, random.Random(seed))
        assert wrong in s.paths() and PATH_ITEM.credit(wrong, KEY).share < 1


# ------------------------------------------------------------------ the scenario player


def test_the_player_shows_the_consequence_before_the_coaching_and_the_next_step():
    player = practise("long_wait", "m5")
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


@pytest.mark.parametrize("name", PRACTICE)
def test_the_player_reaches_every_ending_and_can_start_again(name):
    player = ScenarioPlayer(name, "m5")
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


@pytest.mark.parametrize("name", GRADED)
def test_a_graded_player_reaches_every_ending_once(name):
    for path in scenarios.scenario("m5", name).paths():
        player = ScenarioPlayer(name, "m5", graded=True)
        player.play(path)
        assert player.locked and player.scenario.nodes[player.node]["outcome"] in \
            shown(player.consequence.value)
        with pytest.raises(ValueError, match="played once"):
            player.restart()


@pytest.mark.parametrize("name", GRADED)
def test_practice_refuses_a_graded_scenario_and_names_the_practice_one(name):
    """Played in practice mode, the graded case could be explored with the meter, the colours and
    restarts before it is played for the mark."""
    assert GRADED and PRACTICE, "module 5 has a graded and a practice scenario"
    for show in (lambda: practise(name, "m5"), lambda: ScenarioPlayer(name, "m5")):
        with pytest.raises(ValueError, match="is graded") as refused:
            show()
        assert all(f"practise({p!r}, 'm5')" in str(refused.value) for p in PRACTICE)
    assert ScenarioPlayer(name, "m5", graded=True).graded, "its question still plays it"


def test_the_player_refuses_a_bad_response_and_changes_nothing():
    player = practise("long_wait", "m5")
    player.respond("b")
    with pytest.raises(ValueError, match="choose one of a, b, c"):
        player.pick("q")
    with pytest.raises(ValueError, match="Choose a response first"):
        player.advance()
    with pytest.raises(ValueError, match="does not fit"):
        player.play(["b", "z"])
    assert player.path == ["b"]


def test_the_text_fallback_holds_the_whole_scenario():
    text = practise("long_wait", "m5")._repr_mimebundle_()["text/plain"]
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


def test_the_graded_text_fallback_shows_only_the_step_reached(in_tmp):
    """Without widgets, the graded run shows the step the learner is at and its choices: no step
    names, no next steps, no endings (the practice fallback shows the whole tree)."""
    s, q = PATH_ITEM.graph(), ask("m5_q4_scenario_path")
    first = PATH_ITEM.solution(KEY)

    def fallback() -> str:
        return q._repr_mimebundle_()["text/plain"]

    def reveals(text: str) -> list[str]:
        later = [n["says"] for node_id, n in s.nodes.items() if node_id != q.controls.player.node]
        names = [n for n in s.nodes if f"[{n}]" in text or f"'{n}'" in text]
        endings = [n["outcome"] for n in s.nodes.values() if n.get("outcome", "\0") in text]
        return names + ["->"] * ("->" in text) + endings + [said for said in later if said in text]

    text = fallback()
    assert s.nodes[s.start]["says"] in text and "Step 1" in text
    assert all(f"{k}) {c['text']}" in text for k, c in s.choices(s.start).items())
    assert not reveals(text), reveals(text)
    q.controls.player.respond(first[0])
    text, now = fallback(), q.controls.player.node
    assert "Step 2" in text and s.nodes[now]["says"] in text and not reveals(text), reveals(text)
    for letter in first[1:]:
        q.controls.player.respond(letter)
    text = fallback()
    assert "finished" in text and not reveals(text), reveals(text)
    whole = ScenarioPlayer("long_wait", "m5").text_fallback()
    assert "->" in whole and "Ending:" in whole, "practice still shows the whole tree"


def test_an_unfinished_graded_run_is_kept_and_taken_up_again_but_never_graded(in_tmp):
    """Each response is kept as it is chosen, so running the cell again mid-run does not start the
    run over (which would let a learner try each response and go back); it is no answer."""
    best = PATH_ITEM.solution(KEY)
    assert len(best) >= 2
    q = ask("m5_q4_scenario_path")
    q.controls.player.pick(best[0])                 # chosen, its consequence seen; not continued
    saved = json.loads((in_tmp / "m5_answers.json").read_text())
    assert saved == {progress_key(PATH_ITEM.id): best[:1]}
    assert saved_answer(PATH_ITEM.id) is None and q.value is None
    assert items.credit(PATH_ITEM.id, saved_answer(PATH_ITEM.id), KEY).share == 0

    again = ask("m5_q4_scenario_path").controls.player    # the cell run again
    assert again.path == [] and again.options.value == best[0] and again.options.disabled
    assert PATH_ITEM.graph().choices(again.node)[best[0]]["consequence"] in \
        shown(again.consequence.value)
    with pytest.raises(ValueError):
        again.pick(PATH_ITEM.wrong(KEY, random.Random(0))[0])   # the choice stands
    again.advance()
    again.pick(best[1])
    assert json.loads((in_tmp / "m5_answers.json").read_text())[progress_key(PATH_ITEM.id)] \
        == best[:2]

    q = ask("m5_q4_scenario_path")
    assert q.controls.player.path == best[:1] and q.controls.player.options.value == best[1]
    q.controls.player.advance()
    for letter in best[2:]:
        q.controls.player.respond(letter)
    assert saved_answer(PATH_ITEM.id) == best and q.controls.player.locked
    assert json.loads((in_tmp / "m5_answers.json").read_text())[progress_key(PATH_ITEM.id)] is None
    assert Question(PATH_ITEM.id).controls.player.locked


@pytest.mark.parametrize("kept", [["zz"], "b", [["b"]], {"b": 1}, 7, []])
def test_an_unfinished_run_that_does_not_fit_is_ignored(in_tmp, kept):
    (in_tmp / "m5_answers.json").write_text(json.dumps({progress_key(PATH_ITEM.id): kept}))
    player = Question(PATH_ITEM.id).controls.player
    assert player.path == [] and player.options.value is None and not player.options.disabled
    assert saved_answer(PATH_ITEM.id) is None


def test_showing_a_finished_run_again_writes_nothing(in_tmp):
    q = ask("m5_q4_scenario_path")
    for letter in PATH_ITEM.samples()[0]:
        q.controls.player.respond(letter)
    path = in_tmp / "m5_answers.json"
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    assert Question(PATH_ITEM.id).controls.player.locked
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_an_unfinished_run_beside_a_finished_one_changes_nothing(in_tmp):
    path = PATH_ITEM.samples()[0]
    (in_tmp / "m5_answers.json").write_text(json.dumps(
        {PATH_ITEM.id: path, progress_key(PATH_ITEM.id): path[:1]}))
    q = Question(PATH_ITEM.id)
    assert q.value == path and q.controls.player.locked


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


# ------------------------------------------------------------------ judgement, not the look of a response


def longest(texts: dict) -> str:
    return max(texts, key=lambda k: len(texts[k]))


def play_by(s, pick) -> list:
    """The path of a learner who picks by ``pick`` (a rule on the responses' texts) at each step."""
    node, path = s.start, []
    while not s.is_ending(node):
        path.append(pick({k: c["text"] for k, c in s.choices(node).items()}))
        node = s.choices(node)[path[-1]]["next"]
    return path


@pytest.mark.parametrize("name", PRACTICE)
def test_practice_does_not_teach_that_the_longest_response_is_best(name):
    """Practice must not teach a cue the graded run would punish: the best move (the one that keeps
    the calmest ending in reach) is the longest response at no more than half of the steps where it
    differs from the rest, and always picking the longest does not end calmest."""
    s, calmest = scenarios.scenario("m5", name), {}

    def reach(node):
        if node not in calmest:
            calmest[node] = s.state_index(node) if s.is_ending(node) else \
                min(reach(c["next"]) for c in s.choices(node).values())
        return calmest[node]

    steps = []
    for node in s.nodes:
        choices = s.choices(node)
        best = {k for k, c in choices.items() if reach(c["next"]) == reach(node)}
        if choices and best != set(choices):
            steps.append(longest({k: c["text"] for k, c in choices.items()}) in best)
    assert steps and sum(steps) <= len(steps) / 2, f"the longest is best at {sum(steps)} of {len(steps)}"
    assert s.state_index(s.walk(play_by(s, longest))[-1]) > reach(s.start)


def test_the_graded_run_is_not_won_by_picking_the_longest_response():
    assert PATH_ITEM.credit(play_by(PATH_ITEM.graph(), longest), KEY).share < 1
