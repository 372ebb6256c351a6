"""Branching scenarios: dialogue graphs read from a module's content file, checked, and walked.

A scenario is data (``[scenario.<id>]`` in ``course/content/<module folder>.toml``): a start node and
a table of nodes. Each node says what the other person says and how they are (one of the
scenario's ``states``, calmest first). A node with choices is a step; each choice (keyed by its
letter) names the ``next`` node and carries the ``consequence`` the learner sees and the
``coaching`` that follows (practice scenarios only). A node without choices is an ending, with an
``outcome``.

A *path* is the list of letters chosen from the start to an ending, e.g. ``["b", "a", "c"]``: the
plain value a graded path item holds (``course.items.path``). Nothing here knows which ending is
best: that is the key, in the instructor's keys file.
"""

from __future__ import annotations

from functools import lru_cache

from course import content

STEP_FIELDS = ("says", "state")
CHOICE_FIELDS = ("text", "next", "consequence")  # coaching is optional: graded scenarios hold none


def _letters(letters) -> str:
    letters = list(letters)
    return ", ".join(letters[:-1]) + " or " + letters[-1] if len(letters) > 1 else letters[0]


class Scenario:
    """One checked scenario graph: every choice leads somewhere, every path ends, no loops."""

    def __init__(self, scenario_id: str, data: dict):
        self.id = scenario_id
        self.title = data.get("title", scenario_id)
        self.setting = data.get("setting", "")
        self.person = data.get("person", "the other person")
        self.states = list(data.get("states", []))
        self.start = data.get("start", "")
        self.nodes = dict(data.get("node", {}))
        problems = self.problems()
        if problems:
            raise content.ContentError(f"Scenario {scenario_id!r} is not well-formed: "
                                       + "; ".join(problems) + ".")

    # -- the graph ------------------------------------------------------------------------------
    def choices(self, node_id: str) -> dict:
        return self.nodes[node_id].get("choice", {})

    def is_ending(self, node_id: str) -> bool:
        return not self.choices(node_id)

    def state_index(self, node_id: str) -> int:
        return self.states.index(self.nodes[node_id]["state"])

    def problems(self) -> list[str]:
        """Everything wrong with the graph, in plain words (empty when it is well-formed)."""
        found = []
        if len(self.states) < 2:
            found.append("it needs a list of at least two states, calmest first")
        if self.start not in self.nodes:
            return found + [f"its start node {self.start!r} does not exist"]
        for node_id, node in self.nodes.items():
            missing = [f for f in STEP_FIELDS if not node.get(f)]
            if missing:
                found.append(f"node {node_id!r} lacks {', '.join(missing)}")
            elif node["state"] not in self.states:
                found.append(f"node {node_id!r} has the unknown state {node['state']!r}")
            if self.is_ending(node_id) and not node.get("outcome"):
                found.append(f"ending {node_id!r} lacks an outcome")
            for letter, choice in self.choices(node_id).items():
                if len(letter) != 1 or not letter.islower():
                    found.append(f"node {node_id!r}: choice {letter!r} must be one lower-case letter")
                lacking = [f for f in CHOICE_FIELDS if not choice.get(f)]
                if lacking:
                    found.append(f"node {node_id!r}, choice {letter!r} lacks {', '.join(lacking)}")
                elif choice["next"] not in self.nodes:
                    found.append(f"node {node_id!r}, choice {letter!r} leads to the missing node "
                                 f"{choice['next']!r}")
        if found:
            return found
        # Depth-first from the start: a node met again on the current route is a loop, which
        # would give a path that never ends.
        seen, on_route = set(), []

        def visit(node_id):
            if node_id in on_route:
                found.append("it loops: " + " -> ".join(on_route[on_route.index(node_id):]
                                                         + [node_id]))
                return
            if node_id in seen:
                return
            seen.add(node_id)
            on_route.append(node_id)
            for choice in self.choices(node_id).values():
                visit(choice["next"])
            on_route.pop()

        visit(self.start)
        unreachable = [n for n in self.nodes if n not in seen]
        if unreachable:
            found.append(f"no path reaches {', '.join(repr(n) for n in unreachable)}")
        return found

    # -- paths ----------------------------------------------------------------------------------
    def paths(self) -> list[list[str]]:
        """Every complete path from the start to an ending."""
        def from_node(node_id):
            if self.is_ending(node_id):
                return [[]]
            return [[letter, *rest] for letter, choice in self.choices(node_id).items()
                    for rest in from_node(choice["next"])]
        return from_node(self.start)

    def first_path(self) -> list[str]:
        """The path that always takes the first listed choice (an example of the form only)."""
        path, node_id = [], self.start
        while not self.is_ending(node_id):
            letter, choice = next(iter(self.choices(node_id).items()))
            path.append(letter)
            node_id = choice["next"]
        return path

    def walk(self, path) -> list[str]:
        """The node ids a well-formed path visits, start and ending included."""
        problem = self.path_problem(path)
        if problem:
            raise ValueError(f"That path does not fit the scenario {self.title!r}: {problem}.")
        visited = [self.start]
        for letter in path:
            visited.append(self.choices(visited[-1])[letter]["next"])
        return visited

    def path_problem(self, value) -> str | None:
        """What is wrong with the *form* of a path, in plain words; None when it is a full path."""
        example = "[" + ", ".join(f'"{x}"' for x in self.first_path()) + "]"
        if type(value) is tuple:
            return f"write the path in square brackets, as a list, such as {example}"
        if type(value) is not list:
            return (f"give the letters you chose at each step as a list in square brackets, "
                    f"such as {example} (you gave {type(value).__name__})")
        if not value:
            return "the path is empty: give the letter you chose at each step, starting with the first"
        node_id = self.start
        for step, letter in enumerate(value, start=1):
            if self.is_ending(node_id):
                return (f"the scenario ends after step {step - 1}, so the path has "
                        f"{len(value) - step + 1} choice(s) too many")
            options = self.choices(node_id)
            if type(letter) is not str:
                return f"step {step} must be a letter in quotes, such as \"a\"; not {letter!r}"
            if letter not in options:
                hint = " (use a lower-case letter)" if letter.lower() in options else ""
                return (f"at step {step} choose one of {_letters(options)}{hint}; "
                        f"{letter!r} is not an option there")
            node_id = options[letter]["next"]
        if not self.is_ending(node_id):
            return (f"the path stops after step {len(value)}, before the scenario ends: add your "
                    f"choice for step {len(value) + 1} (one of {_letters(self.choices(node_id))})")
        return None


@lru_cache(maxsize=None)
def scenario(module_id: str, scenario_id: str) -> Scenario:
    """A module's scenario, checked once per kernel."""
    scenarios = content.module_content(module_id).get("scenario", {})
    if scenario_id not in scenarios:
        raise content.ContentError(
            f"No scenario {scenario_id!r} in course/content/{content.module(module_id)['folder']}"
            f".toml. Choose one of: {', '.join(scenarios) or '(none)'}.")
    return Scenario(scenario_id, scenarios[scenario_id])


def scenario_ids(module_id: str) -> list[str]:
    """The ids of every scenario in a module's content file, in the file's order."""
    return list(content.module_content(module_id).get("scenario", {}))
