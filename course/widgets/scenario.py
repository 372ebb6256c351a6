"""Branching scenario player: a dialogue in steps where each response changes how the person is.

At each step the learner reads what the other person says and how they are (a tension meter, named
in words), chooses a response, and first sees the consequence (what happens and how the person is
now), then the coaching, then moves on. The scenario itself is data in ``course/content``.

Used on its own for practice (``practise``: coaching, the tension meter and as many restarts as the
learner likes, for the module's practice scenarios only), and inside a graded path question (``ask``
on a ``path`` item) in graded mode: no meter, no calmer-or-tenser colouring, no coaching, no going
back, and locked once it reaches an ending, whose path the question saves like any other clicked
answer. Each response of a graded run is reported as it is chosen (``on_progress``), so that the
question can keep the unfinished run and take it up again (``resume``) when the cell runs again.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import items, scenarios
from course.widgets.base import CourseWidget, feedback_html

WIDE = widgets.Layout(width="auto")


def _tone(before: int, after: int) -> str:
    return "good" if after < before else ("bad" if after > before else "warn")


class ScenarioPlayer(CourseWidget):
    """Play ``scenario_id`` of ``module``; ``on_complete(path)`` is called at every ending, and
    ``on_progress(chosen)`` with every response chosen so far, each time one is chosen.

    ``graded``: played once for a grade (see the module docstring); practice otherwise, which a
    scenario that an item grades refuses.
    """

    def __init__(self, scenario_id: str, module: str, graded: bool = False,
                 on_complete=None, on_progress=None):
        super().__init__()
        self.scenario = scenarios.scenario(module, scenario_id)
        if not graded and scenario_id in items.graded_scenarios(module):
            practice = sorted(set(scenarios.scenario_ids(module))
                              - items.graded_scenarios(module))
            raise ValueError(
                f"The scenario {scenario_id!r} is graded: it is played once, in its question, "
                "without the meter or coaching. To practise, use "
                + (" or ".join(f"practise({p!r}, {module!r})" for p in practice)
                   if practice else "the module's practice scenario") + ".")
        self.graded = graded
        self.show_coaching = not graded
        self.on_complete = on_complete
        self.on_progress = on_progress
        s = self.scenario
        intro = widgets.HTML(
            f"<b>{html.escape(s.title)}.</b> {html.escape(s.setting)} "
            "<i>(Fictional people and scene.)</i>")
        self.meter = widgets.IntProgress(min=0, max=len(s.states) - 1, description="Tension",
                                         style={"description_width": "initial"})
        self.mood = widgets.HTML()
        self.transcript = widgets.HTML()
        self.says = widgets.HTML()
        self.options = widgets.RadioButtons(options=[], index=None, description="Your response",
                                            layout=WIDE, style={"description_width": "initial"})
        self.options.observe(self._on_pick, names="value")
        self.consequence = widgets.HTML()
        self.coaching = widgets.HTML()
        self.next_button = widgets.Button(description="Continue", button_style="primary",
                                          tooltip="Go on to the next step")
        self.next_button.on_click(self._on_continue)
        self.restart_button = widgets.Button(description="Start again",
                                             tooltip="Play the scenario again from the beginning")
        self.restart_button.on_click(self._on_restart)
        self.status = widgets.HTML()
        if graded:
            # Nothing that grades each step for the learner, and no way back.
            self.children = [intro, self.transcript, self.says, self.options, self.consequence,
                             self.next_button, self.status]
        else:
            self.children = [intro, widgets.HBox([self.meter, self.mood]), self.transcript,
                             self.says, self.options, self.consequence, self.coaching,
                             widgets.HBox([self.next_button, self.restart_button])]
        self.restart()

    # -- the Python API (what the buttons do, for tests and demonstrations) -----------------------
    @property
    def node(self) -> str:
        return self._visited[-1]

    @property
    def path(self) -> list[str]:
        return list(self._path)

    @property
    def finished(self) -> bool:
        return self.scenario.is_ending(self.node)

    @property
    def state(self) -> str:
        """How the other person is now, in a word (e.g. ``"agitated"``)."""
        return self.scenario.nodes[self.node]["state"]

    @property
    def locked(self) -> bool:
        """A graded run that has reached its ending: nothing can change it any more."""
        return self.graded and self.finished

    def restart(self) -> None:
        if self.graded and (getattr(self, "_path", None) or getattr(self, "_pending", None)):
            raise ValueError("A graded scenario is played once: it cannot start again.")
        self._path, self._visited, self._pending = [], [self.scenario.start], None
        self._draw()

    def resume(self, chosen) -> bool:
        """Take up an unfinished run where it stopped: every response in ``chosen`` is made again,
        the last one shown with its consequence and waiting for Continue. Nothing is reported
        (it was reported when chosen), and the run does not finish here: only Continue at the
        last step makes an answer. ``chosen`` that does not fit the scenario (a response past an
        ending included) is ignored, and False returned."""
        if type(chosen) is not list or not chosen or self._path or self._pending is not None:
            return False
        node_id = self.scenario.start
        for letter in chosen:
            choices = self.scenario.choices(node_id)
            if type(letter) is not str or letter not in choices:
                return False
            node_id = choices[letter]["next"]
        callbacks, (self.on_complete, self.on_progress) = \
            (self.on_complete, self.on_progress), (None, None)
        try:
            for letter in chosen[:-1]:
                self.respond(letter)
            self.pick(chosen[-1])
        finally:
            self.on_complete, self.on_progress = callbacks
        return True

    def pick(self, letter: str) -> None:
        """Choose a response at this step: shows the consequence (and coaching), not yet the next step."""
        choices = self.scenario.choices(self.node)
        if self._pending is not None:
            raise ValueError("A response is already chosen at this step: continue first.")
        if letter not in choices:
            where = "the scenario has ended" if not choices else \
                f"choose one of {', '.join(choices)}"
            raise ValueError(f"{letter!r} is not a response at this step: {where}.")
        self.options.value = letter   # the observer does the rest, as a click would

    def advance(self) -> None:
        """Go on to the next step (the Continue button)."""
        if self._pending is None:
            raise ValueError("Choose a response first.")
        self._path.append(self._pending)
        self._visited.append(self.scenario.choices(self.node)[self._pending]["next"])
        self._pending = None
        self._draw()
        if self.finished and self.on_complete is not None:
            self.on_complete(self.path)

    def respond(self, letter: str) -> None:
        """Choose and go on in one step."""
        self.pick(letter)
        self.advance()

    def play(self, path, notify: bool = True) -> None:
        """Play a whole path from the start; a path that does not fit changes nothing (nor does
        anything, once a graded run has begun). ``notify=False`` (showing a saved answer) reports
        neither the responses nor the ending."""
        self.scenario.walk(path)   # raises ValueError with the reason, before anything moves
        callbacks = self.on_complete, self.on_progress
        if not notify:
            self.on_complete = self.on_progress = None
        try:
            self.restart()
            for letter in path:
                self.respond(letter)
        finally:
            self.on_complete, self.on_progress = callbacks

    # -- callbacks ------------------------------------------------------------------------------
    _drawing = False

    def _on_pick(self, change=None) -> None:
        if self._drawing or self.options.value is None:
            return
        self._pending = self.options.value
        self._draw()
        if self.on_progress is not None:
            self.on_progress([*self._path, self._pending])

    def _on_continue(self, button=None) -> None:
        if self._pending is not None:
            self.advance()

    def _on_restart(self, button=None) -> None:
        self.restart()

    # -- drawing --------------------------------------------------------------------------------
    def _draw(self) -> None:
        s, node = self.scenario, self.scenario.nodes[self.node]
        self._drawing = True
        try:
            self.meter.value = s.state_index(self.node)
            self.mood.value = (f"<span>{html.escape(s.person)} is <b>{html.escape(node['state'])}"
                               f"</b> ({s.state_index(self.node) + 1} of {len(s.states)}: "
                               f"{html.escape(s.states[0])} to {html.escape(s.states[-1])}).</span>")
            self.transcript.value = self._transcript_html()
            self.says.value = (f"<p><b>{html.escape(s.person)}:</b> "
                               f"{html.escape(node['says'])}</p>")
            choices = s.choices(self.node)
            # One message for the new choices: setting the options alone selects the first one
            # for a moment (ipywidgets does), which a page or a screen reader would see, and the
            # choices must be redrawn before the Continue button below can change.
            with self.options.hold_sync():
                self.options.options = [(f"{k}) {c['text']}", k) for k, c in choices.items()]
                self.options.value = self._pending
                self.options.disabled = self._pending is not None
            self.options.layout.display = None if choices else "none"
            self.consequence.value, self.coaching.value = self._after_pick_html()
            if self.finished:
                self.consequence.value = self._ending_html()
            self.status.value = feedback_html(
                "This graded scenario is finished and locked: your path is saved as your answer."
                if self.locked else "Graded: each response is final, and the run is played once.",
                "info") if self.graded else ""
            self.next_button.disabled = self._pending is None
            self.next_button.layout.display = None if choices else "none"
            nxt = choices.get(self._pending, {}).get("next") if self._pending else None
            self.next_button.description = ("See how it ends" if nxt and s.is_ending(nxt)
                                            else "Continue")
        finally:
            self._drawing = False

    def _after_pick_html(self) -> tuple[str, str]:
        if self._pending is None:
            return "", ""
        s = self.scenario
        choice = s.choices(self.node)[self._pending]
        if self.graded:   # what happens, in words only: no state, no colour, no coaching
            return feedback_html(f"What happens: {choice['consequence']}", "info"), ""
        before, after = s.state_index(self.node), s.state_index(choice["next"])
        now = s.nodes[choice["next"]]["state"]
        change = ("calmer" if after < before else "more tense" if after > before else "no calmer")
        consequence = feedback_html(f"What happens: {choice['consequence']} "
                                    f"{s.person} is now {now} ({change}).",
                                    _tone(before, after))
        coaching = (f"<p><b>Coaching:</b> {html.escape(choice['coaching'])}</p>"
                    if self.show_coaching and choice.get("coaching") else "")
        return consequence, coaching

    def _ending_html(self) -> str:
        node = self.scenario.nodes[self.node]
        path = ", ".join(f'"{x}"' for x in self._path)
        text = (f"<p><b>How it ends:</b> {html.escape(node['outcome'])}</p>"
                f"<p>Your path: <code>[{html.escape(path)}]</code>.</p>")
        if self.show_coaching and node.get("coaching"):
            text += f"<p><b>Coaching:</b> {html.escape(node['coaching'])}</p>"
        return text

    def _transcript_html(self) -> str:
        s, rows = self.scenario, []
        for step, (node_id, letter) in enumerate(zip(self._visited, self._path), start=1):
            choice = s.choices(node_id)[letter]
            state = "" if self.graded else f" ({html.escape(s.nodes[node_id]['state'])})"
            rows.append(f"<li><i>{html.escape(s.person)}{state}:"
                        f"</i> {html.escape(s.nodes[node_id]['says'])}<br><b>You ({letter}):</b> "
                        f"{html.escape(choice['text'])}<br>{html.escape(choice['consequence'])}</li>")
        return f"<ol>{''.join(rows)}</ol>" if rows else ""

    def text_fallback(self) -> str:
        s = self.scenario
        lines = [f"{s.title} (needs widgets). {s.setting} Fictional people and scene."]
        if self.graded:
            return "\n".join(lines + self._graded_step_lines())
        lines.append(f"States, calmest first: {', '.join(s.states)}. "
                     f"It starts at step {s.start!r}.")
        for node_id, node in s.nodes.items():
            lines.append(f"[{node_id}] {s.person} ({node['state']}): {node['says']}")
            for letter, choice in s.choices(node_id).items():
                lines.append(f"  {letter}) {choice['text']} -> [{choice['next']}] "
                             f"{choice['consequence']}")
                if self.show_coaching and choice.get("coaching"):
                    lines.append(f"     Coaching: {choice['coaching']}")
            if s.is_ending(node_id):
                lines.append(f"  Ending: {node['outcome']}")
        return "\n".join(lines)

    def _graded_step_lines(self) -> list[str]:
        """A graded run shows the step the learner is at and its choices, nothing further on:
        no node names, no next steps, no endings."""
        s = self.scenario
        if self.finished:
            path = ", ".join(f'"{x}"' for x in self._path)
            return [f"This graded scenario is finished and locked: your path [{path}] is saved "
                    "as your answer."]
        lines = [f"Graded: each response is final, and the run is played once. "
                 f"Step {len(self._path) + 1}.", f"{s.person}: {s.nodes[self.node]['says']}"]
        lines += [f"  {k}) {c['text']}" for k, c in s.choices(self.node).items()]
        if self._pending is not None:
            lines.append(f"You chose {self._pending}: continue to the next step.")
        return lines


def practise(scenario_id: str, module: str) -> ScenarioPlayer:
    """Show one of ``module``'s practice scenarios, with the meter and coaching after each response
    and as many restarts as you like (a graded scenario is refused: it is played in its question)."""
    return ScenarioPlayer(scenario_id, module)
