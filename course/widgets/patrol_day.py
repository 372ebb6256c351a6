"""Patrol day: an isolated and an engaged officer through the same fictional shift.

Two officers work the two entrances of a fictional market on the same Saturday, under the same
rules. The learner steps through the shift moment by moment and sees, side by side, what each
officer does, what follows, and a running count of the connections each has made and what the
public has told them. Neither officer is a villain; the gap between them opens one small moment at
a time, and that is the lesson.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import content
from course.widgets.base import CourseWidget, feedback_html, number_setting

SIDES = ("isolated", "engaged")


def _validated(data: dict) -> dict:
    """Every moment needs both officers, each with what they do, what follows and the two flags."""
    ids = [o["id"] for o in data["officer"]]
    if sorted(ids) != sorted(SIDES):
        raise content.ContentError(f"Patrol day needs one officer for each of {SIDES}, not {ids} "
                                   "(course/content/m4_approachability.toml).")
    for moment in data["patrol"]["moment"]:
        for side in SIDES:
            part = moment.get(side, {})
            missing = [k for k in ("does", "then", "connection", "heard") if k not in part]
            if missing:
                raise content.ContentError(
                    f"Patrol day moment {moment.get('time')!r}: the {side} officer lacks "
                    f"{', '.join(missing)} (course/content/m4_approachability.toml).")
    return data


class PatrolDay(CourseWidget):
    """Step through the shift; ``moment`` (index or time such as ``"12:40"``) presets the view."""

    def __init__(self, moment: int | str = 0):
        super().__init__()
        data = _validated(content.module_content("m4"))
        self.officers = {o["id"]: o for o in data["officer"]}
        self.patrol = data["patrol"]
        self.moments = self.patrol["moment"]
        self.moment_box = number_setting(f"Moment (1 to {len(self.moments)})",
                                         self._index(moment) + 1, 1, len(self.moments))
        self.back = widgets.Button(description="Previous moment", icon="arrow-left",
                                   tooltip="Go back one moment in the shift")
        self.forward = widgets.Button(description="Next moment", icon="arrow-right",
                                      tooltip="Go on to the next moment in the shift")
        intro = widgets.HTML(
            f"<b>Patrol day.</b> {html.escape(self.patrol['site'])}, {html.escape(self.patrol['day'])}. "
            + " ".join(f"<b>{html.escape(o['name'])}</b> ({html.escape(o['door'])}): "
                       f"{html.escape(o['style'])}" for o in self.officers.values())
            + " Step through the shift and watch the two running counts. "
              "<i>(Fictional people and places.)</i>")
        self.scene = widgets.HTML()
        self.cards = {side: widgets.HTML(layout=widgets.Layout(border="1px solid #888",
                                                               padding="4px 10px"))
                      for side in SIDES}
        self.totals_view = widgets.HTML()
        self.moment_box.observe(self._on_change, names="value")
        self.back.on_click(self._on_back)
        self.forward.on_click(self._on_forward)
        columns = widgets.GridBox(
            [self.cards[side] for side in SIDES], layout=widgets.Layout(
                grid_template_columns="repeat(auto-fit, minmax(240px, 1fr))", grid_gap="8px"))
        self.children = [intro, self.moment_box, widgets.HBox([self.back, self.forward]), self.scene,
                         columns, self.totals_view]
        self._on_change()

    # -- checking input ----------------------------------------------------------------------------
    def _index(self, moment: int | str) -> int:
        times = [m["time"] for m in self.moments]
        if isinstance(moment, str):
            if moment not in times:
                raise content.ContentError(
                    f"No moment at {moment!r} in the patrol day. Choose one of: {', '.join(times)}.")
            return times.index(moment)
        if type(moment) is not int or not 0 <= moment < len(times):
            raise content.ContentError(
                f"Moment {moment!r} does not exist: give a time such as {times[0]!r} or a number "
                f"from 0 to {len(times) - 1}.")
        return moment

    # -- the Python API (what the controls do, for tests and demonstrations) -----------------------
    @property
    def position(self) -> int:
        """The index (from 0) of the moment on show."""
        return self.moment_box.value - 1

    @property
    def current(self) -> dict:
        return self.moments[self.position]

    def go_to(self, moment: int | str) -> None:
        """Show a moment by index (from 0) or by its time, e.g. ``go_to("13:50")``."""
        self.moment_box.value = self._index(moment) + 1

    def next(self) -> None:
        """One moment on; at the end of the shift, stay there."""
        self.moment_box.value = min(self.moment_box.value + 1, len(self.moments))

    def previous(self) -> None:
        self.moment_box.value = max(self.moment_box.value - 1, 1)

    def totals(self, side: str, upto: int | None = None) -> dict:
        """Connections made and things heard by one officer, from the start up to a moment."""
        if side not in SIDES:
            raise ValueError(f"{side!r} is not an officer here; use one of {', '.join(SIDES)}.")
        last = self.position if upto is None else self._index(upto)
        shown = [m[side] for m in self.moments[:last + 1]]
        return {"connections": sum(1 for part in shown if part["connection"]),
                "heard": [part["heard"] for part in shown if part["heard"]]}

    # -- drawing -----------------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        moment = self.current
        self.scene.value = (f"<p><b>{html.escape(moment['time'])}: {html.escape(moment['title'])}."
                            f"</b> {html.escape(moment['scene'])}</p>")
        for side, card in self.cards.items():
            officer, part = self.officers[side], moment[side]
            heard = (f"<p><b>Told by the public:</b> {html.escape(part['heard'])}</p>"
                     if part["heard"] else "")
            card.value = (f"<p><b>{html.escape(officer['name'])}</b> "
                          f"({html.escape(officer['door'])})</p>"
                          f"<p>{html.escape(part['does'])}</p>"
                          f"<p><b>What follows:</b> {html.escape(part['then'])}</p>{heard}")
        self.back.disabled = self.position == 0
        self.forward.disabled = self.position == len(self.moments) - 1
        self.totals_view.value = self._totals_html()

    def _totals_html(self) -> str:
        rows = []
        for side in SIDES:
            t = self.totals(side)
            rows.append(f"<tr><th scope='row' style='text-align: left;'>"
                        f"{html.escape(self.officers[side]['name'])}</th>"
                        f"<td style='text-align: center;'>{t['connections']}</td>"
                        f"<td style='text-align: center;'>{len(t['heard'])}</td></tr>")
        table = ("<table style='border-collapse: collapse; margin: 6px 0;'>"
                 f"<caption style='text-align: left;'>So far, up to {html.escape(self.current['time'])}"
                 "</caption><tr><td></td><th scope='col'>connections made</th>"
                 "<th scope='col'>problems the public told them about</th></tr>"
                 + "".join(rows) + "</table>")
        if self.position == len(self.moments) - 1:
            engaged, isolated = self.totals("engaged"), self.totals("isolated")
            note = feedback_html(
                f"End of the shift. Same rules, same kind of door: {self.officers['engaged']['name']} "
                f"made {engaged['connections']} connections and was told about "
                f"{len(engaged['heard'])} problems; {self.officers['isolated']['name']} made "
                f"{isolated['connections']} and was told about {len(isolated['heard'])}.", "info")
        else:
            note = ""
        return table + note

    def _on_back(self, button=None) -> None:
        self.previous()

    def _on_forward(self, button=None) -> None:
        self.next()

    def text_fallback(self) -> str:
        lines = [f"Patrol day (needs widgets). {self.patrol['site']}, {self.patrol['day']}. "
                 "Fictional people and places."]
        for o in self.officers.values():
            lines.append(f"{o['name']} ({o['door']}): {o['style']}")
        for m in self.moments:
            lines.append(f"{m['time']} {m['title']}: {m['scene']}")
            for side in SIDES:
                part = m[side]
                heard = f" Told by the public: {part['heard']}" if part["heard"] else ""
                lines.append(f"  {self.officers[side]['name']}: {part['does']} "
                             f"Then: {part['then']}{heard}")
        return "\n".join(lines)
