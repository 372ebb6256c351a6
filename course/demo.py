"""``course demo``: the instructor's main job, on a fictional class, from start to finish.

It builds the student versions, simulates a class of forty fictional learners, autogrades them with
nbgrader (in parallel and sandboxed, through ``course grade``), plays the instructor grading some
reflections in the gradebook, exports the grades and builds the instructor report. It runs in
``build/demo/`` so that the real course directory and gradebook are never touched.

The class has the patterns an instructor meets: strong and weak learners, learners who answer by
clicking or by typing, half-finished and blank submissions, learners who submit after the due date,
a class part-way through the course (fewer learners have reached each later module), and some who confuse enforcement with service (given a
choice, they pick the rules-first answer). Answers follow a simple Rasch model: a learner of
ability ``a`` gets an item of difficulty ``b`` right with probability ``1 / (1 + exp(b - a))``.
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path


from course import items, keys, notebooks
from course import report as report_mod
from course import submissions as subs
from course.build import BuildError, nbgrader, scratch_course, scripts_first, selected
from course.gradebook import db_url, open_gradebook, scores


@dataclass(frozen=True)
class Profile:
    kind: str          # a label the table shows
    answers: float     # share of items the learner answers at all
    ability: float     # Rasch ability (item difficulties lie between -1.5 and 1.0)
    channel: str       # "typed", "widget" or "mixed"
    rules_first: float = 0.0   # chance of picking a rules-first option where an item offers one
    reflection: str = "fair"   # the kind of reflection they write ("" for none)


PROFILES = {
    "strong": Profile("strong", 1.0, 3.0, "typed", reflection="good"),
    "strong-clicker": Profile("strong, clicks", 1.0, 2.3, "widget", reflection="good"),
    "steady": Profile("steady", 1.0, 0.9, "mixed"),
    "weak": Profile("weak", 0.9, -1.2, "mixed", reflection="thin"),
    "partial": Profile("partial", 0.5, 1.5, "typed"),
    "rules-first": Profile("rules first", 1.0, 0.6, "mixed", rules_first=0.8,
                           reflection="rules"),
    "blank": Profile("blank", 0.0, 0.0, "typed", reflection=""),
}

#: The fictional class: (learner id, profile).
CLASS = [
    ("amara", "strong"), ("ben", "strong-clicker"), ("chen", "steady"), ("dara", "weak"),
    ("eli", "partial"), ("fatima", "blank"), ("gus", "steady"), ("hana", "strong-clicker"),
    ("ines", "rules-first"), ("jonas", "steady"), ("kemi", "strong"), ("liam", "weak"),
    ("mei", "steady"), ("nadia", "rules-first"), ("oscar", "steady"), ("priya", "strong"),
    ("quinn", "partial"), ("rosa", "steady"), ("samir", "rules-first"), ("tomas", "weak"),
    ("uma", "strong-clicker"), ("victor", "steady"), ("wen", "blank"), ("xavier", "rules-first"),
    ("yara", "steady"), ("zoe", "strong"), ("adel", "weak"), ("bea", "steady"),
    ("carlos", "rules-first"), ("dev", "strong-clicker"), ("emma", "steady"), ("farid", "partial"),
    ("grace", "weak"), ("hugo", "steady"), ("ivy", "strong"), ("jamal", "rules-first"),
    ("kai", "steady"), ("lena", "steady"), ("marco", "weak"), ("nora", "steady"),
]
#: Learners who often submit after the due date (each module: late with this chance).
LATE = {"gus": 0.8, "liam": 0.8, "rosa": 0.6, "tomas": 0.8, "carlos": 0.6, "marco": 0.8}
#: How far each learner has got: the number of modules submitted so far (the rest: all of them).
#: A class part-way through the course, as instructors usually see it: everyone has submitted
#: Module 1, and fewer each later module (40, 30, 20, 12 and 8 learners once five modules exist).
#: It also keeps `make demo` within a few minutes: each submission is a sandboxed kernel run.
PACE = {
    **dict.fromkeys(["fatima", "wen", "adel", "quinn", "farid", "grace", "liam", "tomas",
                     "victor", "emma"], 1),
    **dict.fromkeys(["chen", "dara", "eli", "lena", "kai", "hugo", "samir", "xavier", "carlos",
                     "marco"], 2),
    **dict.fromkeys(["jonas", "yara", "nora", "mei", "ines", "nadia", "rosa", "gus"], 3),
    **dict.fromkeys(["priya", "dev", "oscar", "bea"], 4),
}
#: Module 1 is due on this date (UTC); each later module a week after the one before.
FIRST_DUE = datetime(2026, 2, 6, 17, 0)
#: Share of reflections the instructor has graded so far, by module position (the rest wait).
GRADED_SO_FAR = [0.75, 0.4]

#: Wording of options that put rules or enforcement before service. The demo uses it only to
#: simulate learners with that misconception; the report never guesses at options' meaning.
RULES_FIRST = re.compile(
    r"\b(rules?|strict\w*|enforc\w*|police|in charge|in control|authority|uniform|warn\w*|must|"
    r"ticket|proper channel|not part of|pick security|comply|compliance|protocol|firm,? clipped)\b",
    re.I)

REFLECTIONS = {  # fictional answers, one per kind of learner
    "good": "At the main entrance one wet morning I noticed an older visitor hesitating by the "
            "doors, so I greeted her, asked where she was heading and walked her to the lift. On "
            "her way out she told me the handrail on the car-park stairs was loose, and I had it "
            "taped off within minutes. Next time I would introduce myself by name, so that she "
            "knows who to come back to.",
    "fair": "I greet people at the door and answer their questions. Being friendly makes them "
            "feel safer and more likely to tell me things. I could listen more carefully.",
    "rules": "My job is to make sure everyone follows the site rules. I help people who are "
             "polite, but policy comes first, and I make that clear from the start.",
    "thin": "I help people when they ask me.",
}
COMMENTS = {  # what a fictional instructor wrote with the rubric in front of them
    4: "A specific, vivid example, and you say what you would do differently. Excellent.",
    3: "A clear example. Say what you would change next time to reach full marks.",
    2: "You describe the situation but not how your manner shaped it: add the greeting, stance "
       "or words you used.",
    1: "Too general to show the skill. Pick one real encounter and walk through it step by step.",
}
RULES_COMMENT = ("You put the rules first. Look again at how service and security support each "
                 "other, and describe how you would keep both the rule and the person on side.")


def difficulty(item_id: str) -> float:
    """A fixed difficulty per item, so that items differ as real ones do."""
    return random.Random(item_id).uniform(-1.5, 1.0)


def rules_first_options(item, key) -> list:
    """The distractors of an item whose wording puts rules or enforcement first."""
    return [o for o, text in getattr(item, "options", {}).items()
            if not item.report_is_key(key, "", o) and RULES_FIRST.search(text)] \
        if item.judges_distractors else []


def chosen(item, key, profile: Profile, rng: random.Random):
    """What this learner gives for one item: the best answer, a rules-first one or a mistake."""
    tempting = rules_first_options(item, key)
    if tempting and rng.random() < profile.rules_first:
        mistaken = item.mistaken(key, tempting, rng)
        if mistaken is not None:
            return mistaken
    right = 1 / (1 + math.exp(difficulty(item.id) - profile.ability))
    return item.solution(key) if rng.random() < right else item.wrong(key, rng)


def simulate(module_keys: dict, release_nb, profile: Profile, rng: random.Random):
    """A learner's notebook and clicks for one module (``module_keys``: item id -> key)."""
    typed, clicks = {}, {}
    for item_id, key in module_keys.items():
        item = items.item(item_id)
        if rng.random() >= profile.answers:
            continue
        value = chosen(item, key, profile, rng)
        by_click = item.widget and (
            profile.channel == "widget" or (profile.channel == "mixed" and rng.random() < 0.5))
        (clicks if by_click else typed)[item_id] = value
    nb = subs.typed(release_nb, typed)
    if profile.reflection:
        for cell in nb.cells:
            if notebooks.course_meta(cell).get("role") == "reflection":
                cell.source = REFLECTIONS[profile.reflection]
    return nb, clicks


def due(position: int) -> datetime:
    return FIRST_DUE + timedelta(days=7 * position)


def submitted_at(learner: str, position: int, rng: random.Random) -> datetime:
    if rng.random() < LATE.get(learner, 0.0):
        return due(position) + timedelta(hours=rng.uniform(3, 72))
    return due(position) - timedelta(hours=rng.uniform(2, 96))


def set_duedate(course_dir: Path, folder: str, when: datetime) -> None:
    """As `nbgrader db assignment add <folder> --duedate=...` (UTC), without a new process."""
    url = db_url(course_dir)
    with open_gradebook(url) as gb:
        gb.update_or_create_assignment(folder, duedate=when)


def write_timestamp(folder: Path, when: datetime) -> None:
    """What `nbgrader submit` writes; autograding compares it with the due date."""
    (folder / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC")


def autograde(course_dir: Path, folders: list[str], count: int) -> None:
    """Autograde every submission in parallel and sandboxed, as `course grade` does."""
    from course import class_grader
    print(f"Autograding {count} submissions with `course grade` (parallel, sandboxed)...",
          flush=True)
    summary = class_grader.grade(course_dir, folders, progress=False)
    if not summary.ok:
        raise BuildError("Autograding the demo class failed:\n" + class_grader.report(summary))
    print(f"  graded {len(summary.graded)} in {summary.seconds:.0f} s", flush=True)


def grade_reflections(course_dir: Path, mods: list[dict], learners, rng: random.Random) -> None:
    """Play the instructor in formgrader: score some reflections with the rubric, comment on them."""
    url = db_url(course_dir)
    with open_gradebook(url) as gb:
        for position, module in enumerate(mods[:len(GRADED_SO_FAR)]):
            folder, notebook = module["folder"], module["notebook"]
            reflections = [c.name for c in gb.find_notebook(notebook, folder).grade_cells
                           if c.cell_type == "markdown"]
            for learner, profile_name in learners:
                profile = PROFILES[profile_name]
                if not profile.reflection or rng.random() >= GRADED_SO_FAR[position]:
                    continue
                try:
                    gb.find_submission(folder, learner)
                except Exception:  # this learner did not submit the module
                    continue
                for name in reflections:
                    grade = gb.find_grade(name, notebook, folder, learner)
                    score = {"good": rng.choice([3, 4]), "fair": 2, "rules": rng.choice([1, 2]),
                             "thin": 1}[profile.reflection]
                    grade.manual_score = min(score, grade.max_score)
                    grade.needs_manual_grade = False
                    comment = gb.find_comment(name, notebook, folder, learner)
                    comment.manual_comment = RULES_COMMENT if profile.reflection == "rules" \
                        else COMMENTS[score]
        gb.db.commit()


def run(root: Path, out: Path | None = None, learners=CLASS, seed: int = 2026,
        modules: list[str] | None = None) -> Path:
    """Grade the fictional class on ``modules`` (module folders; default: every module)."""
    out = Path(out or root / "build" / "demo")
    wanted = selected(root, modules)
    scripts_first(os.environ)   # nbgrader's Gradebook runs `alembic` by name, from this environment
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    mods = [m for m in notebooks.modules_in(root) if m["folder"] in wanted]
    course_dir = scratch_course(root, out, wanted)
    rng = random.Random(seed)
    count = 0
    for position, module in enumerate(mods):
        folder = module["folder"]
        nbgrader(course_dir, "generate_assignment", folder, "--force")
        set_duedate(course_dir, folder, due(position))
        module_keys = keys.load(course_dir, module)
        release_nb = notebooks.read(notebooks.release_notebook(course_dir, module))
        for learner, profile in learners:
            if position >= PACE.get(learner, len(mods)):
                continue
            nb, clicks = simulate(module_keys, release_nb, PROFILES[profile], rng)
            dest = subs.write_submission(course_dir / "submitted", learner, folder,
                                         module["notebook"], nb, clicks)
            write_timestamp(dest, submitted_at(learner, position, rng))
            count += 1
    print(f"{len(learners)} fictional learners, part-way through the course, submitted {count} "
          f"notebooks across {len(mods)} module(s).", flush=True)
    autograde(course_dir, [m["folder"] for m in mods], count)
    grade_reflections(course_dir, mods, learners, rng)
    print()
    print(table(course_dir, mods, learners))
    built = report_mod.build(course_dir, out / "report")
    shutil.copy(built.files["nbgrader"], out / "grades.csv")
    print(f"\nGrades exported to {out / 'grades.csv'} (nbgrader's CSV format).")
    print()
    print(report_mod.summary(built))
    print(f"\nInstructor report: {built.html}")
    return out


def table(course_dir: Path, mods: list[dict], learners) -> str:
    per_module = {m["folder"]: scores(db_url(course_dir), m["folder"]) for m in mods}
    late = _late(course_dir)
    header = f"{'learner':<10} {'profile':<15}" + "".join(f" {m['id']:>10}" for m in mods) + \
        f" {'auto total':>11}"
    lines = [header, "-" * len(header)]
    for learner, profile in learners:
        cells, total, top = [], 0.0, 0.0
        for m in mods:
            s = per_module[m["folder"]].get(learner)
            if s is None:
                cells.append(f" {'-':>10}")
                continue
            mark = "*" if (learner, m["folder"]) in late else " "
            cells.append(f" {s['auto']:>4g}/{s['max_auto']:<4g}{mark}")
            total += s["auto"]
            top += s["max_auto"]
        lines.append(f"{learner:<10} {PROFILES[profile].kind:<15}" + "".join(cells) +
                     f" {total:>5g}/{top:<5g}")
    lines.append("* submitted after the due date;  - not submitted")
    return "\n".join(lines)


def _late(course_dir: Path) -> set:
    with open_gradebook(db_url(course_dir)) as gb:
        return {(s.student.id, a.name) for a in gb.assignments for s in a.submissions
                if s.total_seconds_late > 0}


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
