"""``path``: play a branching scenario once; scored by the ending reached, by any route.

The answer is the path: the letters chosen at each step, e.g. ``["b", "a", "c"]``. The key, in the
instructor's keys file, gives the share of the points each ending earns (``{end_best = 1.0,
end_safe = 0.5}``); an ending it does not name earns nothing. So two learners who take different
routes to the same good ending score alike, as a recovered bad start deserves. The question widget
plays the scenario in graded mode (no meter, no colours, no coaching, no going back) and locks
after the first complete run; practice scenarios stay open separately (``practise``).
"""

from __future__ import annotations

from dataclasses import dataclass

from course import scenarios
from course.content import ContentError
from course.items.base import NONE, ChoiceSet, Credit, Item


@dataclass(frozen=True, kw_only=True)
class PathItem(Item):
    #: The id of a ``[scenario.<id>]`` in the same content file.
    scenario: str

    KIND = "path"
    LOCKS = True
    RULE = ("by how the scenario ends, whatever route you take: full points for the best ending, "
            "part of them for an ending that is safe but leaves a problem behind, none for the "
            "rest. You play it once: your first complete run is your answer")

    def problems(self):
        found = super().problems()
        try:
            self.graph()
        except ContentError as err:
            found.append(("scenario", str(err).rstrip(".")))
        return found

    @property
    def graded_scenario(self) -> str:
        return self.scenario

    def graph(self) -> scenarios.Scenario:
        return scenarios.scenario(self.module, self.scenario)

    def endings(self) -> list[str]:
        graph = self.graph()
        return [n for n in graph.nodes if graph.is_ending(n)]

    def ending(self, path) -> str:
        return self.graph().walk(path)[-1]

    def shape_problem(self, value):
        return self.graph().path_problem(value)

    def key_from_toml(self, raw):
        return {k: float(v) if type(v) is int else v for k, v in raw.items()} \
            if isinstance(raw, dict) else raw

    def key_problem(self, key):
        if type(key) is not dict or not key:
            return "a path key is a table of endings and the share each earns, e.g. {end_a = 1.0}"
        unknown = [k for k in key if k not in self.endings()]
        if unknown:
            return f"{unknown[0]!r} is not an ending of the scenario {self.scenario!r}"
        if not all(type(v) is float and 0 < v <= 1 for v in key.values()):
            return "each ending's share must be a number above 0 and at most 1"
        if max(key.values()) != 1:
            return "at least one ending must earn every point (share 1.0)"
        return None

    def solution(self, key):
        best = [p for p in self.graph().paths() if key.get(self.ending(p), 0) >= 1]
        return min(best, key=len)

    def example(self):
        return self.graph().first_path()

    def samples(self):
        return self.graph().paths()[:3]

    def malformed(self):
        first = self.graph().first_path()
        return ["".join(first), tuple(first), [], first[:1]]

    def score(self, value, key):
        share = key.get(self.ending(value), 0.0)
        if share >= 1:
            return Credit(1.0, "the best ending")
        if share > 0:
            return Credit(share, "a safe ending that leaves a problem behind, not the best one")
        return NONE

    def partial_examples(self, key):
        return [(p, key[self.ending(p)]) for p in self.graph().paths()
                if 0 < key.get(self.ending(p), 0) < 1][:1]

    def wrong(self, key, rng):
        paths = self.graph().paths()
        worst = [p for p in paths if not key.get(self.ending(p))]
        return rng.choice(worst or [p for p in paths if key.get(self.ending(p), 0) < 1])

    def controls(self, on_change, progress=None):
        return _Player(self, on_change, progress)

    def clicks(self, value):
        graph, node, steps = self.graph(), self.graph().start, []
        for letter in value:
            steps.append({"role": "radio", "index": list(graph.choices(node)).index(letter)})
            steps.append({"role": "button", "name": "^(Continue|See how it ends)$"})
            node = graph.choices(node)[letter]["next"]
        return steps

    def report_category(self, value):
        return [("", self.ending(value))]

    def report_choices(self, part):
        return self.endings()

    def report_text(self, option):
        return self.graph().nodes.get(option, {}).get("outcome", "")

    def report_is_key(self, key, part, option):
        return isinstance(key, dict) and key.get(option, 0) >= 1

    def reading(self):
        graph, texts = self.graph(), super().reading()
        for node in graph.nodes.values():
            texts.append(node.get("says", ""))
            texts += [c.get("text", "") + " " + c.get("consequence", "")
                      for c in node.get("choice", {}).values()]
        return texts

    def play_blind(self, choose):
        graph, node, path = self.graph(), self.graph().start, []
        while choices := graph.choices(node):
            letter = choose({k: c["text"] for k, c in choices.items()})
            path.append(letter)
            node = choices[letter]["next"]
        return path

    def choice_sets(self, key):
        """Every step, with its best moves: the choices that keep the best share still reachable
        from there in reach (after a bad start, the best recovery)."""
        graph, best = self.graph(), {}

        def reachable(node_id) -> float:
            if node_id not in best:
                best[node_id] = (key.get(node_id, 0.0) if graph.is_ending(node_id) else
                                 max(reachable(c["next"]) for c in graph.choices(node_id).values()))
            return best[node_id]

        return [ChoiceSet(f"step {node_id!r}", {k: c["text"] for k, c in choices.items()},
                          frozenset(k for k, c in choices.items()
                                    if reachable(c["next"]) == reachable(node_id)))
                for node_id in graph.nodes if (choices := graph.choices(node_id))]

    def text_lines(self, controls):
        return [controls.text_fallback()]


class _Player:
    """The graded player as a question's controls. Each response is kept as it is chosen (under
    ``progress``, never as the answer), so running the cell again takes the run up where it
    stopped instead of starting over; the first complete run is the answer."""

    def __init__(self, item: PathItem, on_change, progress=None):
        from course.widgets.scenario import ScenarioPlayer
        self.item, self.progress, self._on_change = item, progress, on_change
        self.player = ScenarioPlayer(item.scenario, item.module, graded=True,
                                     on_complete=self._complete, on_progress=self._chosen)
        self.widgets = [self.player]
        if progress is not None:
            self.player.resume(progress.get())

    def _chosen(self, chosen) -> None:
        if self.progress is not None:
            self.progress.save(chosen)

    def _complete(self, path) -> None:
        self._on_change()                  # the answer first: then the unfinished run can go
        if self.progress is not None:
            self.progress.save(None)

    @property
    def value(self):
        return self.player.path if self.player.finished else None

    def show(self, value) -> None:
        if self.item.form_problem(value) is None:
            self.player.play(value, notify=False)

    def text_fallback(self) -> str:
        return self.player.text_fallback()
