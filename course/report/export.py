"""The report's CSV files: tables beside the page, and grade exports for other systems.

- ``grades_nbgrader.csv``: the rows of nbgrader's own CSV export (``nbgrader export``).
- ``grades_lms.csv``: one plain row per student and assignment, for an LMS gradebook import:
  student, assignment, score, max, percent, late. A missing submission scores 0, as in nbgrader's
  export; a reflection not yet graded counts 0 until it is.
- ``theme_mastery.csv``: one row per learner and theme (the per-theme export).
"""

from __future__ import annotations

import csv
from pathlib import Path

from course.report import stats
from course.report.analysis import Analysis


def _write(path: Path, header: list[str], rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)
    return path


def _num(x, digits: int = 3) -> str:
    return "" if x is None else f"{round(x, digits):g}"


NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
                    "email", "raw_score", "late_submission_penalty", "score", "max_score"]


def nbgrader_csv(a: Analysis, path: Path) -> Path:
    """The rows and values of ``nbgrader export`` (its CsvExportPlugin), from the data already read.

    Running nbgrader's exporter costs a few SQL subqueries per student and assignment without an
    index to help them: over ten minutes for 1,000 learners x 5 modules. The tests check that
    this file holds exactly the rows ``nbgrader export`` writes. A missing submission scores 0.
    """
    def text(value) -> str:
        return "" if value is None else str(value)

    people = a.data.people
    students = sorted(a.data.students, key=lambda s: (
        *((v is not None, v or "") for v in people.get(s, (None, None, None))[:2]), s))
    assignments = sorted(a.data.assignments.values(),
                         key=lambda i: (i.duedate is not None, i.duedate or 0, i.name))
    rows = []
    for info in assignments:
        for student in students:
            last, first, email = people.get(student, (None, None, None))
            sub = a.data.submissions.get((student, info.name))
            raw = sub.raw_score if sub else 0.0
            penalty = sub.penalty if sub else 0.0
            rows.append([info.name, text(info.duedate), text(sub.timestamp if sub else None),
                         student, text(last), text(first), text(email), str(float(raw)),
                         str(float(penalty)), str(max(0.0, raw - penalty)),
                         str(float(info.max_score))])
    return _write(path, NBGRADER_COLUMNS, rows)


def lms_csv(a: Analysis, path: Path) -> Path:
    rows = []
    for student in a.data.students:
        for name in sorted(a.data.assignments):
            info = a.data.assignments[name]
            sub = a.data.submissions.get((student, name))
            score = max(0.0, sub.raw_score - sub.penalty) if sub else 0.0
            top = info.max_score
            rows.append([student, name, f"{score:g}", f"{top:g}",
                         f"{100 * score / top:.1f}" if top else "",
                         "yes" if sub is not None and sub.late else "no"])
    return _write(path, ["student", "assignment", "score", "max", "percent", "late"], rows)


def theme_csv(a: Analysis, path: Path) -> Path:
    rows = []
    for student in sorted(a.learners):
        for module in a.modules:
            for theme in module.themes:
                earned, possible = a.mastery.get((student, theme.id), (0.0, 0.0))
                value = stats.mastery(earned, possible)
                rows.append([student, module.id, theme.id, theme.title, f"{earned:g}",
                             f"{possible:g}", _num(value),
                             "" if value is None else ("yes" if value >= stats.MASTERY else "no")])
    return _write(path, ["student", "module", "theme", "theme_title", "points", "max_points",
                         "mastery", "mastered"], rows)


def theme_class_csv(a: Analysis, path: Path) -> Path:
    return _write(path, ["module", "theme", "theme_title", "learners", "mean_mastery",
                         "share_mastered", "sections"],
                  [[t.module.id, t.theme.id, t.theme.title, t.learners, _num(t.mean),
                    _num(t.share_mastered), " | ".join(t.theme.sections)] for t in a.themes])


def items_csv(a: Analysis, path: Path) -> Path:
    return _write(path, ["module", "item", "label", "kind", "points", "themes", "n", "correct", "p",
                         "point_biserial", "upper_lower", "flags"],
                  [[s.module.id, s.item.id, s.item.label, s.item.kind, f"{s.item.points:g}",
                    " ".join(s.item.themes), s.n, s.correct, _num(s.p), _num(s.r_pb), _num(s.d),
                    " | ".join(s.flags)] for s in a.items])


def options_csv(a: Analysis, path: Path) -> Path:
    return _write(path, ["module", "item", "part", "option", "text", "count", "share", "is_key",
                         "rare_distractor"],
                  [[o.module.id, o.item.id, o.part, o.option, o.text, o.count, _num(o.share),
                    "yes" if o.is_key else "no", "yes" if o.rare else "no"] for o in a.options])


def scores_csv(a: Analysis, path: Path) -> Path:
    return _write(path, ["module", "assignment", "submitted", "missing", "late", "max_auto", "mean",
                         "median", "sd", "min", "max"],
                  [[s.module.id, s.module.folder, s.submitted, s.missing, s.late, f"{s.max_auto:g}",
                    *(_num(s.summary[k]) for k in ("mean", "median", "sd", "min", "max"))]
                   for s in a.scores])


def grading_csv(a: Analysis, path: Path) -> Path:
    return _write(path, ["module", "reflection", "label", "graded", "waiting", "blank"],
                  [[r.module.id, r.reflection.id, r.reflection.label, r.graded, r.waiting, r.blank]
                   for r in a.reflections])


def write_all(a: Analysis, out: Path) -> dict[str, Path]:
    """Every CSV, by a short name the page uses for its links."""
    return {
        "items": items_csv(a, out / "items.csv"),
        "options": options_csv(a, out / "options.csv"),
        "themes_class": theme_class_csv(a, out / "themes_class.csv"),
        "theme_mastery": theme_csv(a, out / "theme_mastery.csv"),
        "scores": scores_csv(a, out / "scores.csv"),
        "grading": grading_csv(a, out / "manual_grading.csv"),
        "lms": lms_csv(a, out / "grades_lms.csv"),
        "nbgrader": nbgrader_csv(a, out / "grades_nbgrader.csv"),
    }
