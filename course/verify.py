"""``course check``: prove that every module grades as intended, with the real nbgrader CLI.

In a scratch course directory it generates each module, submits five fictional students and
autogrades them:

- ``solution``: every answer typed exactly as the source solution: must score every auto point;
- ``blank``: the untouched student version: must score zero;
- ``partial``: every other item answered correctly, the rest left blank: must score exactly the
  points of the answered items;
- ``credit``: every item that gives partial credit answered partly right (its kind's own example),
  the others correctly: must score exactly what the kinds' rules give;
- ``widget``: every clickable item answered through the widgets' saved answers only (typed where an
  item has no widget): must score the same as ``solution``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from course import items, keys, notebooks
from course import submissions as subs
from course.build import nbgrader, scratch_course, selected
from course.gradebook import db_url, scores
from course.items import earned


@dataclass
class Row:
    module: str
    student: str
    expected: float
    got: float

    @property
    def ok(self) -> bool:
        return abs(self.expected - self.got) < 1e-6


def plan(course_dir: Path, module: dict) -> dict:
    """student -> (typed answers, clicked answers, expected auto score)."""
    specs = items.items(module["id"])
    key = keys.load(course_dir, module)
    best = {it.id: it.solution(key[it.id]) for it in specs}
    total = sum(it.points for it in specs)
    answered = [it for n, it in enumerate(specs) if n % 2 == 0]
    credit, expected = {}, 0.0
    for it in specs:
        examples = it.partial_examples(key[it.id])
        if examples:
            credit[it.id], share = examples[0]
            expected += earned(it.points, share)
        else:
            credit[it.id] = best[it.id]
            expected += it.points
    clickable = {it.id: best[it.id] for it in specs if it.widget}
    typed_rest = {i: v for i, v in best.items() if i not in clickable}
    return {
        "solution": (best, {}, total),
        "blank": ({}, {}, 0.0),
        "partial": ({it.id: best[it.id] for it in answered}, {},
                    float(sum(it.points for it in answered))),
        "credit": (credit, {}, expected),
        "widget": (typed_rest, clickable, total),
    }


def run(root: Path, names: list[str] | None = None, workdir: Path | None = None) -> list[Row]:
    """Check ``names`` (module folders; default every one); ``workdir`` keeps the graded course."""
    folders = selected(root, names)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="course-check-") as tmp:
        course_dir = Path(workdir or tmp)
        course_dir.mkdir(parents=True, exist_ok=True)
        scratch_course(root, course_dir, folders)
        for folder in folders:
            module = next(m for m in notebooks.modules_in(root) if m["folder"] == folder)
            nbgrader(course_dir, "generate_assignment", folder, "--force")
            release_nb = notebooks.read(notebooks.release_notebook(course_dir, module))
            expected = {}
            for student, (typed, clicks, want) in plan(course_dir, module).items():
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
