"""Same request, three officers: rules without people, too little time, and training with purpose.

The learner picks a request from the public and reads how three fictional officers answer it. The
consequences stay hidden until the learner asks for them, so there is a moment to predict first.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course import content
from course.widgets.base import CourseWidget


class ThreeOfficers(CourseWidget):
    """Pick a request; ``request`` (index or title) and ``reveal`` preset the view for a lesson."""

    def __init__(self, request: int | str = 0, reveal: bool = False):
        super().__init__()
        data = content.module_content("m3")["officers"]
        self.officers = data["officer"]
        self.requests = data["request"]
        for r in self.requests:
            if len(r["response"]) != len(self.officers):
                raise content.ContentError(
                    f"Request {r['title']!r} has {len(r['response'])} responses for "
                    f"{len(self.officers)} officers in m3_safety_and_assistance.toml.")
        self.request = widgets.Dropdown(
            options=[(r["title"], i) for i, r in enumerate(self.requests)],
            value=self._request_index(request), description="Request",
            style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))
        self.reveal = widgets.Checkbox(value=bool(reveal), indent=False,
                                       description="Show what happens next")
        intro = widgets.HTML(
            "<b>Same request, three officers.</b> Choose a request and read the three answers. "
            "Before you tick <i>Show what happens next</i>, predict: which officer would this person "
            "come back to with their next concern? <i>(Fictional people and scenes.)</i>")
        self.scene = widgets.HTML()
        self.cards = [widgets.HTML(layout=widgets.Layout(border="1px solid #888", padding="4px 10px"))
                      for _ in self.officers]
        self.lesson = widgets.HTML()
        columns = widgets.GridBox(
            self.cards, layout=widgets.Layout(
                grid_template_columns="repeat(auto-fit, minmax(220px, 1fr))", grid_gap="8px"))
        for control in (self.request, self.reveal):
            control.observe(self._on_change, names="value")
        self.children = [intro, self.request, self.scene, columns, self.reveal, self.lesson]
        self._on_change()

    def _request_index(self, request: int | str) -> int:
        titles = [r["title"] for r in self.requests]
        if isinstance(request, str):
            if request not in titles:
                raise content.ContentError(
                    f"No request called {request!r}. Choose one of: {', '.join(titles)}.")
            return titles.index(request)
        if type(request) is not int or not 0 <= request < len(titles):
            raise content.ContentError(
                f"Request {request!r} does not exist: give a title or a number from 0 to "
                f"{len(titles) - 1}.")
        return request

    # -- the Python API ----------------------------------------------------------------------------
    def choose(self, request: int | str | None = None, reveal: bool | None = None) -> None:
        """Move the controls as a click would, e.g. ``choose(request=2, reveal=True)``."""
        if request is not None:
            self.request.value = self._request_index(request)
        if reveal is not None:
            self.reveal.value = bool(reveal)

    def response(self, officer: int, request: int | None = None) -> dict:
        """What one officer says and what follows (``says`` and ``then``)."""
        index = self.request.value if request is None else self._request_index(request)
        return self.requests[index]["response"][officer]

    # -- drawing -----------------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        req = self.requests[self.request.value]
        self.scene.value = f"<p><b>The request:</b> {html.escape(req['scene'])}</p>"
        for n, (officer, card) in enumerate(zip(self.officers, self.cards)):
            said = self.response(n)
            then = (f"<p><b>What happens next:</b> {html.escape(said['then'])}</p>"
                    if self.reveal.value else "")
            card.value = (f"<p><b>{html.escape(officer['name'])}</b><br>"
                          f"<i>{html.escape(officer['style'])}</i></p>"
                          f"<p>{html.escape(said['says'])}</p>{then}")
        self.lesson.value = (f"<p><b>The difference:</b> {html.escape(req['lesson'])}</p>"
                             if self.reveal.value else "")

    def text_fallback(self) -> str:
        lines = ["Same request, three officers (needs widgets). Fictional people and scenes."]
        for req in self.requests:
            lines.append(f"{req['title']}: {req['scene']}")
            for officer, said in zip(self.officers, req["response"]):
                lines.append(f"  {officer['name']} ({officer['style']}) {said['says']} "
                             f"Then: {said['then']}")
            lines.append(f"  The difference: {req['lesson']}")
        return "\n".join(lines)
