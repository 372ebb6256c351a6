"""Behaviour map: sort what officers do onto approachable protector, cold enforcer or disconnected.

The learner places each fictional behaviour in one of three regions, sees the map fill up, and
checks. Feedback explains every placement, right or not. Ungraded practice: the behaviours are data
in ``course/content/m4_approachability.toml`` and no graded item uses them.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import content
from course.widgets.base import CourseWidget, feedback_html

WIDE = widgets.Layout(width="auto")


def _validated(data: dict) -> dict:
    """Every behaviour must fit one of the regions; say which one does not."""
    regions = [r["id"] for r in data["region"]]
    for behaviour in data["behaviour"]:
        if behaviour.get("fits") not in regions:
            raise content.ContentError(
                f"Behaviour map: {behaviour.get('id')!r} fits {behaviour.get('fits')!r}, which is "
                f"not one of the regions {regions} (course/content/m4_approachability.toml).")
    return data


class BehaviourMap(CourseWidget):
    """Place each behaviour on the map, then check; ``place`` and ``check`` do the same from Python."""

    def __init__(self):
        super().__init__()
        data = _validated(content.module_content("m4")["map"])
        self.regions = {r["id"]: r for r in data["region"]}
        self.behaviours = data["behaviour"]
        choices = [("— choose —", None)] + [(r["name"], r_id) for r_id, r in self.regions.items()]
        self.cards = []
        self.pickers = {}
        for n, b in enumerate(self.behaviours, start=1):
            picker = widgets.Dropdown(options=choices, value=None, description=f"Behaviour {n}",
                                      style={"description_width": "initial"}, layout=WIDE)
            picker.observe(self._on_place, names="value")
            self.pickers[b["id"]] = picker
            self.cards.append(widgets.VBox([widgets.HTML(f"<b>{n}.</b> {html.escape(b['text'])}"),
                                            picker]))
        self.check_button = widgets.Button(description="Check my map", icon="check",
                                           tooltip="See which placements fit and why")
        self.reset_button = widgets.Button(description="Start again", icon="undo",
                                           tooltip="Clear every placement")
        self.map_view = widgets.HTML()
        self.feedback = widgets.HTML()
        legend = "".join(f"<li><b>{html.escape(r['name'])}:</b> {html.escape(r['meaning'])}</li>"
                         for r in self.regions.values())
        intro = widgets.HTML(
            "<b>Behaviour map.</b> Where does each behaviour belong? Choose a region for each one; "
            f"the map below fills in as you go. Then check.<ul>{legend}</ul>"
            "<i>(Fictional behaviours, for practice; not graded.)</i>")
        self.check_button.on_click(self._on_check)
        self.reset_button.on_click(self._on_reset)
        self.children = [intro, *self.cards, widgets.HBox([self.check_button, self.reset_button]),
                         self.map_view, self.feedback]
        self._draw_map()

    # -- checking input ----------------------------------------------------------------------------
    def _behaviour_id(self, behaviour: int | str) -> str:
        ids = [b["id"] for b in self.behaviours]
        if isinstance(behaviour, str):
            if behaviour not in ids:
                raise ValueError(f"No behaviour {behaviour!r} on the map. Choose one of: "
                                 f"{', '.join(ids)}.")
            return behaviour
        if type(behaviour) is not int or not 0 <= behaviour < len(ids):
            raise ValueError(f"Behaviour {behaviour!r} does not exist: give an id or a number "
                             f"from 0 to {len(ids) - 1}.")
        return ids[behaviour]

    # -- the Python API (what a click does, for tests and scripts) ---------------------------------
    @property
    def placed(self) -> dict:
        """behaviour id -> region id, for every behaviour placed so far."""
        return {b_id: p.value for b_id, p in self.pickers.items() if p.value is not None}

    def place(self, behaviour: int | str, region: str | None) -> None:
        """Put a behaviour (id or position) in a region (id, or None to take it off the map)."""
        b_id = self._behaviour_id(behaviour)
        if region is not None and region not in self.regions:
            raise ValueError(f"{region!r} is not a region of the map; use one of "
                             f"{', '.join(self.regions)}.")
        self.pickers[b_id].value = region

    def best(self, behaviour: int | str) -> str:
        """The region a behaviour fits (practice data, not a graded key)."""
        b_id = self._behaviour_id(behaviour)
        return next(b["fits"] for b in self.behaviours if b["id"] == b_id)

    def check(self) -> dict:
        """Show feedback; return, per behaviour, True (fits), False (does not) or None (not placed)."""
        placed = self.placed
        result = {b["id"]: None if b["id"] not in placed else placed[b["id"]] == b["fits"]
                  for b in self.behaviours}
        if not placed:
            self.feedback.value = feedback_html("Place at least one behaviour on the map first.",
                                                "info")
            return result
        notes = []
        for n, b in enumerate(self.behaviours, start=1):
            if result[b["id"]] is None:
                continue
            fits = self.regions[b["fits"]]["name"]
            mark = "✓ fits" if result[b["id"]] else f"✗ fits better under {fits}"
            notes.append(f"<li><b>Behaviour {n}: {html.escape(mark)}.</b> {html.escape(b['note'])}</li>")
        right = sum(1 for ok in result.values() if ok)
        unplaced = sum(1 for ok in result.values() if ok is None)
        if right == len(self.behaviours):
            summary = feedback_html("Every behaviour is where it belongs. Notice that the approachable "
                                    "officers still keep every rule.", "good")
        else:
            rest = f" {unplaced} still to place." if unplaced else ""
            summary = feedback_html(f"{right} of {len(placed)} placed behaviours fit.{rest} Read the "
                                    "notes, then move any that do not.", "warn")
        self.feedback.value = f"{summary}<ul>{''.join(notes)}</ul>"
        return result

    def reset(self) -> None:
        for picker in self.pickers.values():
            picker.value = None
        self.feedback.value = ""

    # -- callbacks and drawing ---------------------------------------------------------------------
    def _on_place(self, change=None) -> None:
        self.feedback.value = ""  # old feedback would describe placements that have changed
        self._draw_map()

    def _on_check(self, button=None) -> None:
        self.check()

    def _on_reset(self, button=None) -> None:
        self.reset()

    def _draw_map(self) -> None:
        """The three regions as columns, each listing the behaviours placed in it by number."""
        placed = self.placed
        number = {b["id"]: n for n, b in enumerate(self.behaviours, start=1)}
        cells = []
        for r_id, region in self.regions.items():
            inside = [f"{number[b_id]}" for b_id, where in placed.items() if where == r_id]
            listed = ", ".join(inside) if inside else "(empty)"
            cells.append(f"<td style='border: 1px solid #888; padding: 6px; vertical-align: top;'>"
                         f"<b>{html.escape(region['name'])}</b><br>Behaviours: {listed}</td>")
        self.map_view.value = ("<table style='border-collapse: collapse; margin: 6px 0;'>"
                               "<caption style='text-align: left;'>Your map</caption>"
                               f"<tr>{''.join(cells)}</tr></table>")

    def text_fallback(self) -> str:
        lines = ["Behaviour map (needs widgets). Fictional behaviours to sort onto three regions:"]
        lines += [f"  {r['name']}: {r['meaning']}" for r in self.regions.values()]
        for n, b in enumerate(self.behaviours, start=1):
            lines.append(f"{n}. {b['text']}")
        lines.append("Where each fits, and why (decide for yourself before reading on):")
        for n, b in enumerate(self.behaviours, start=1):
            lines.append(f"  {n}. {self.regions[b['fits']]['name']}. {b['note']}")
        return "\n".join(lines)
