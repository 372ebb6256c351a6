"""``course demo``: the instructor's main job, on a fictional class, from start to finish.

It builds the student versions, simulates a class of fictional learners (strong, weak, blank,
partial; some answer by clicking, some by typing, some both), autogrades them with nbgrader on the
embedded SQLite gradebook, exports the grades to CSV and prints a per-student table. It runs in
``build/demo/`` so that the real course directory and gradebook are never touched.
"""

from __future__ import annotations

import csv
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from course import content, notebooks
from course import submissions as subs
from course.build import nbgrader, scratch_course
from course.gradebook import db_url, scores


@dataclass(frozen=True)
class Profile:
    kind: str          # a label the table shows
    answers: float     # share of items the learner answers at all
    correct: float     # share of answered items they get right
    channel: str       # "typed", "widget" or "mixed"


PROFILES = {
    "strong": Profile("strong", 1.0, 0.95, "typed"),
    "strong-clicker": Profile("strong, clicks", 1.0, 0.9, "widget"),
    "steady": Profile("steady", 1.0, 0.7, "mixed"),
    "weak": Profile("weak", 0.9, 0.35, "mixed"),
    "partial": Profile("partial", 0.5, 0.9, "typed"),
    "blank": Profile("blank", 0.0, 0.0, "typed"),
}

#: A small fictional class: (learner id, profile).
CLASS = [
    ("amara", "strong"), ("ben", "strong-clicker"), ("chen", "steady"), ("dara", "weak"),
    ("eli", "partial"), ("fatima", "blank"), ("gus", "steady"), ("hana", "strong-clicker"),
]


def simulate(source_nb, release_nb, profile: Profile, rng: random.Random):
    """A learner's notebook and clicks for one module."""
    key = subs.keys(source_nb)
    typed, clicks = {}, {}
    for item_id in notebooks.item_cells(source_nb):
        if rng.random() >= profile.answers:
            continue
        value = key[item_id] if rng.random() < profile.correct else \
            subs.wrong_answer(item_id, key[item_id], rng)
        by_click = content.item(item_id).get("widget", True) and (
            profile.channel == "widget" or (profile.channel == "mixed" and rng.random() < 0.5))
        (clicks if by_click else typed)[item_id] = value
    return subs.typed(release_nb, typed), clicks


def run(root: Path, out: Path | None = None, learners=CLASS, seed: int = 2026) -> Path:
    out = Path(out or root / "build" / "demo")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    mods = notebooks.modules_in(root)
    course_dir = scratch_course(root, out, [m["folder"] for m in mods])
    rng = random.Random(seed)
    for module in mods:
        nbgrader(course_dir, "generate_assignment", module["folder"], "--force")
        source_nb = notebooks.read(notebooks.source_notebook(course_dir, module))
        release_nb = notebooks.read(notebooks.release_notebook(course_dir, module))
        for learner, profile in learners:
            nb, clicks = simulate(source_nb, release_nb, PROFILES[profile], rng)
            subs.write_submission(course_dir / "submitted", learner, module["folder"],
                                  module["notebook"], nb, clicks)
        print(f"Autograding {module['folder']} for {len(learners)} fictional learners...", flush=True)
        nbgrader(course_dir, "autograde", module["folder"], "--force")
    nbgrader(course_dir, "export", "--to", str(out / "grades.csv"))
    print()
    print(table(course_dir, mods, learners))
    print(f"\nGrades exported to {out / 'grades.csv'} (nbgrader's CSV format).")
    print("Reflections are graded by hand in formgrader; they show as waiting until then.")
    return out


def table(course_dir: Path, mods: list[dict], learners) -> str:
    per_module = {m["folder"]: scores(db_url(course_dir), m["folder"]) for m in mods}
    header = f"{'learner':<10} {'profile':<15}" + "".join(f" {m['id']:>9}" for m in mods) + \
        f" {'auto total':>11}"
    lines = [header, "-" * len(header)]
    for learner, profile in learners:
        cells, total, top = [], 0.0, 0.0
        for m in mods:
            s = per_module[m["folder"]].get(learner, {"auto": 0.0, "max_auto": 0.0})
            cells.append(f" {s['auto']:>4g}/{s['max_auto']:<4g}")
            total += s["auto"]
            top += s["max_auto"]
        lines.append(f"{learner:<10} {PROFILES[profile].kind:<15}" + "".join(cells) +
                     f" {total:>5g}/{top:<5g}")
    return "\n".join(lines)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
