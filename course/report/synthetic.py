"""A generated course and class, for the report's tests and its benchmark.

``modules()`` describes fictional modules in the report's own terms (no notebooks needed).
``write_gradebook()`` writes a real nbgrader gradebook for them: the assignments, notebooks and
cells through nbgrader's API, and the submissions, grades and comments as bulk inserts into
nbgrader's own tables (thousands of submissions in about a second, where one ``add_submission``
call per learner would take minutes). ``write_answers()`` writes each learner's answers where the
autograder leaves them: typed in the answer cell of a graded notebook, or clicked into the module's
answers file. Nothing here is used when grading real learners.
"""

from __future__ import annotations

import json
import math
import os
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from nbgrader.api import (Assignment, Comment, Grade, GradeCell, Gradebook, Notebook, Student,
                          SubmittedAssignment, SubmittedNotebook)
from sqlalchemy import insert, select

from course import items
from course.build import scripts_first
from course.items import earned, literal
from course.report.structure import Item, Module, Reflection, Theme

OPTIONS = {"a": "First option", "b": "Second option", "c": "Third option", "d": "Fourth option"}
#: One fictional item of each kind, as a content file and a keys file would give it (data, not
#: code: a new kind needs only a line here to appear in the synthetic class).
FICTIONAL = {
    "choice": {"options": OPTIONS, "points": 1, "key": "b"},
    "multi": {"options": OPTIONS, "points": 2, "key": ["a", "c"], "themes": 2},
    "match": {"options": OPTIONS, "points": 2, "key": {"x": "a", "y": "b", "z": "c"},
              "parts": {"x": "Thing x", "y": "Thing y", "z": "Thing z"}},
    "order": {"options": OPTIONS, "points": 2, "key": ["c", "a", "d", "b"]},
    "number": {"min": 0, "max": 10, "integer": True, "skill_check": True, "points": 1, "key": 4},
}
KINDS = ["choice", "choice", "multi", "choice", "match", "choice", "number", "order"]


def fictional_item(module: str, number: int, kind: str, theme_ids: list):
    """The spec and key of a fictional item of ``kind`` (built and checked like a content file's)."""
    table = dict(FICTIONAL[kind])
    key, count = table.pop("key"), table.pop("themes", 1)
    data = {"id": f"{module}_q{number}_item", "kind": kind, **table,
            "question": f"Question {number} of module {module[1:]}",
            "themes": [theme_ids[(number - 1 + t) % len(theme_ids)] for t in range(count)]}
    spec = items.build(data, "course.report.synthetic")
    return spec, spec.key_from_toml(key)


def modules(count: int = 5, items_per_module: int = 8, themes: int = 6,
            reflections: int = 2) -> list[Module]:
    """``count`` fictional modules ``m1``... with items of every kind, each tagged with themes."""
    out = []
    for k in range(1, count + 1):
        theme_ids = [f"m{k}.theme-{t}" for t in range(1, themes + 1)]
        sections = {t: (f"{i + 1}. Section on theme {i + 1}",) for i, t in enumerate(theme_ids)}
        module_items = []
        for i in range(1, items_per_module + 1):
            spec, key = fictional_item(f"m{k}", i, KINDS[(i - 1) % len(KINDS)], theme_ids)
            module_items.append(Item(spec, key, tuple(s for t in spec.themes for s in sections[t])))
        module_reflections = [Reflection(
            id=f"m{k}_r{r}_reflection", module=f"m{k}", label=f"Reflection {r}", points=4.0,
            themes=tuple(theme_ids[(r - 1)::reflections]),
            sections=tuple(s for t in theme_ids[(r - 1)::reflections] for s in sections[t]))
            for r in range(1, reflections + 1)]
        out.append(Module(f"m{k}", f"m{k}_synthetic", f"synthetic{k}", f"Synthetic module {k}",
                          tuple(module_items), tuple(module_reflections),
                          tuple(Theme(t, f"m{k}", f"Theme {i + 1} of module {k}",
                                      f"Do thing {i + 1} of module {k} well.", sections[t])
                                for i, t in enumerate(theme_ids))))
    return out


@dataclass
class FakeSubmission:
    """One learner's graded submission of one module, as the autograder and instructor left it."""
    student: str
    module: Module
    points: dict                                    # item id -> points earned
    reflections: dict = field(default_factory=dict)  # id -> ("graded", score, comment) | ("waiting",) | ("blank",)
    timestamp: datetime | None = None
    answers: dict = field(default_factory=dict)     # item id -> value the learner gave
    typed: set = field(default_factory=set)         # item ids answered by typing (others: clicks)


def write_gradebook(db_url: str, mods: list[Module], submissions: list[FakeSubmission],
                    duedates: dict | None = None, students: list[str] | None = None,
                    course_id: str = "synthetic-course") -> None:
    duedates = duedates or {}
    scripts_first(os.environ)   # nbgrader's Gradebook runs `alembic` by name, from this environment
    with Gradebook(db_url, course_id=course_id) as gb:
        for module in mods:
            gb.update_or_create_assignment(module.folder, duedate=duedates.get(module.folder))
            gb.update_or_create_notebook(module.notebook, module.folder)
            for item in module.items:
                gb.update_or_create_grade_cell(item.test_cell, module.notebook, module.folder,
                                               max_score=item.points, cell_type="code")
                gb.update_or_create_solution_cell(item.id, module.notebook, module.folder)
            for r in module.reflections:
                gb.update_or_create_grade_cell(r.id, module.notebook, module.folder,
                                               max_score=r.points, cell_type="markdown")
                gb.update_or_create_solution_cell(r.id, module.notebook, module.folder)
        db = gb.db
        assignment_ids = dict(db.execute(select(Assignment.name, Assignment.id)).all())
        notebook_ids = dict(db.execute(select(Assignment.name, Notebook.id)
                                       .join(Notebook, Notebook.assignment_id == Assignment.id)).all())
        cell_ids = {(a, c): i for a, c, i in db.execute(
            select(Assignment.name, GradeCell.name, GradeCell.id)
            .join(Notebook, GradeCell.notebook_id == Notebook.id)
            .join(Assignment, Notebook.assignment_id == Assignment.id))}
        everyone = sorted(set(students or []) | {s.student for s in submissions})
        rows = {"student": [{"id": s} for s in everyone], "assignment": [], "notebook": [],
                "grade": [], "comment": []}
        for sub in submissions:
            folder = sub.module.folder
            sa, sn = _id(), _id()
            rows["assignment"].append({"id": sa, "assignment_id": assignment_ids[folder],
                                       "student_id": sub.student, "timestamp": sub.timestamp,
                                       "extension": None})
            rows["notebook"].append({"id": sn, "assignment_id": sa,
                                     "notebook_id": notebook_ids[folder], "flagged": False,
                                     "late_submission_penalty": 0.0})
            for item in sub.module.items:
                rows["grade"].append(_grade(sn, cell_ids[(folder, item.test_cell)],
                                            auto=float(sub.points.get(item.id, 0.0))))
            for r in sub.module.reflections:
                state = sub.reflections.get(r.id, ("waiting",))
                cell = cell_ids[(folder, r.id)]
                if state[0] == "graded":
                    rows["grade"].append(_grade(sn, cell, manual=float(state[1])))
                    rows["comment"].append({"id": _id(), "notebook_id": sn, "cell_id": cell,
                                            "auto_comment": None,
                                            "manual_comment": state[2] if len(state) > 2 else None})
                elif state[0] == "blank":
                    rows["grade"].append(_grade(sn, cell, auto=0.0))
                else:
                    rows["grade"].append(_grade(sn, cell, waiting=True))
        known = set(db.execute(select(Student.id)).scalars())
        rows["student"] = [r for r in rows["student"] if r["id"] not in known]
        for table, model in (("student", Student), ("assignment", SubmittedAssignment),
                             ("notebook", SubmittedNotebook), ("grade", Grade),
                             ("comment", Comment)):
            if rows[table]:
                db.execute(insert(model.__table__), rows[table])
        db.commit()


def _id() -> str:
    return uuid.uuid4().hex


def _grade(notebook_id: str, cell_id: str, auto=None, manual=None, waiting=False) -> dict:
    return {"id": _id(), "notebook_id": notebook_id, "cell_id": cell_id, "auto_score": auto,
            "manual_score": manual, "extra_credit": None,
            "needs_manual_grade": waiting}


def write_answers(course_dir: Path, submissions: list[FakeSubmission]) -> None:
    """Each learner's answers as grading leaves them: typed in the notebook, or clicked."""
    for sub in submissions:
        folder = Path(course_dir) / "autograded" / sub.student / sub.module.folder
        folder.mkdir(parents=True, exist_ok=True)
        cells, clicks = [], {}
        for item in sub.module.items:
            source = f'{item.var} = saved_answer("{item.id}")\n'
            value = sub.answers.get(item.id)
            if value is not None and item.id in sub.typed:
                source += f"{item.var} = {literal(value)}"
            else:
                source += "# YOUR ANSWER HERE"
                if value is not None:
                    clicks[item.id] = item.spec.to_json(value)
            cells.append({"cell_type": "code", "execution_count": None, "id": item.id.replace("_", "-"),
                          "metadata": {"nbgrader": {"grade": False, "grade_id": item.id,
                                                    "locked": False, "schema_version": 3,
                                                    "solution": True}},
                          "outputs": [], "source": source})
        nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (folder / f"{sub.module.notebook}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        if clicks:
            (folder / f"{sub.module.id}_answers.json").write_text(json.dumps(clicks),
                                                                   encoding="utf-8")


def wrong(item: Item, rng: random.Random):
    """A well-formed wrong answer, as the demo's learners give (the item kind's own)."""
    return item.spec.wrong(item.key, rng)


def points_for(item: Item, value) -> float:
    """What grading gives the answer (its kind's rule, partial credit included)."""
    return earned(item.points, item.spec.credit(value, item.key).share)


def random_class(mods: list[Module], learners: int, seed: int = 1,
                 first_due: datetime = datetime(2026, 1, 9, 17, 0)) -> tuple[list, dict]:
    """A Rasch-model class: every learner submits every module; some late, some reflections
    graded, some waiting, a few blank. Returns (submissions, due dates)."""
    rng = random.Random(seed)
    duedates = {m.folder: first_due + timedelta(days=7 * k) for k, m in enumerate(mods)}
    difficulty = {i.id: rng.uniform(-1.5, 1.5) for m in mods for i in m.items}
    out = []
    for n in range(learners):
        student = f"learner{n:04d}"
        ability = rng.gauss(0.5, 1.2)
        late_prone = rng.random() < 0.1
        for module in mods:
            sub = FakeSubmission(student, module, {})
            for item in module.items:
                if rng.random() >= 0.95:   # left unanswered
                    sub.points[item.id] = 0.0
                    continue
                right = rng.random() < 1 / (1 + math.exp(difficulty[item.id] - ability))
                answer = item.spec.solution(item.key) if right else wrong(item, rng)
                sub.answers[item.id] = answer
                sub.points[item.id] = points_for(item, answer)
                if rng.random() < 0.5:
                    sub.typed.add(item.id)
            for r in module.reflections:
                roll = rng.random()
                sub.reflections[r.id] = (("graded", rng.randint(1, 4), "Fictional comment.")
                                         if roll < 0.6 else ("waiting",) if roll < 0.92
                                         else ("blank",))
            due = duedates[module.folder]
            sub.timestamp = due + timedelta(hours=rng.uniform(2, 48)) if late_prone and \
                rng.random() < 0.7 else due - timedelta(hours=rng.uniform(1, 96))
            out.append(sub)
    return out, duedates
