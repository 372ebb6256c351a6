"""``course check``: prove that every module grades as intended, with the real nbgrader CLI.

In a scratch course directory it generates each module, submits four fictional students and
autogrades them:

- ``solution``: every answer typed exactly as the source solution: must score every auto point;
- ``blank``: the untouched student version: must score zero;
- ``partial``: every other item answered correctly, the rest left blank: must score exactly the
  points of the answered items;
- ``widget``: every clickable item answered through the widgets' saved answers only (typed where an
  item has no widget): must score the same as ``solution``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from course import content, notebooks
from course import submissions as subs
from course.build import nbgrader, scratch_course, selected
from course.gradebook import db_url, scores


@dataclass
class Row:
    module: str
    student: str
    expected: float
    got: float

    @property
    def ok(self) -> bool:
        return abs(self.expected - self.got) < 1e-9


def plan(source_nb) -> dict:
    """student -> (typed answers, clicked answers, expected auto score)."""
    key = subs.keys(source_nb)
    pts = subs.points(source_nb)
    item_ids = [i for i in notebooks.item_cells(source_nb)]
    total = sum(pts.values())
    partial = {i: key[i] for n, i in enumerate(item_ids) if n % 2 == 0}
    clickable = {i: key[i] for i in item_ids if content.item(i).get("widget", True)}
    typed_rest = {i: key[i] for i in item_ids if i not in clickable}
    return {
        "solution": ({i: key[i] for i in item_ids}, {}, total),
        "blank": ({}, {}, 0.0),
        "partial": (partial, {}, float(sum(pts[i] for i in partial))),
        "widget": (typed_rest, clickable, total),
    }


def run(root: Path, names: list[str] | None = None, workdir: Path | None = None) -> list[Row]:
    folders = selected(root, names)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="course-check-") as tmp:
        course_dir = scratch_course(root, Path(workdir or tmp), folders)
        for folder in folders:
            module = next(m for m in content.modules() if m["folder"] == folder)
            nbgrader(course_dir, "generate_assignment", folder, "--force")
            source_nb = notebooks.read(notebooks.source_notebook(course_dir, module))
            release_nb = notebooks.read(notebooks.release_notebook(course_dir, module))
            expected = {}
            for student, (typed, clicks, want) in plan(source_nb).items():
                nb = subs.typed(release_nb, typed)
                subs.write_submission(course_dir / "submitted", student, folder,
                                      module["notebook"], nb, clicks)
                expected[student] = want
            nbgrader(course_dir, "autograde", folder, "--force")
            got = scores(db_url(course_dir), folder)
            for student, want in expected.items():
                rows.append(Row(folder, student, want, got.get(student, {}).get("auto", float("nan"))))
    return rows


def table(rows: list[Row]) -> str:
    lines = [f"{'module':<28} {'student':<9} {'expected':>8} {'got':>6}  result"]
    for r in rows:
        lines.append(f"{r.module:<28} {r.student:<9} {r.expected:>8g} {r.got:>6g}  "
                     f"{'ok' if r.ok else 'MISMATCH'}")
    return "\n".join(lines)
