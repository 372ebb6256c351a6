"""Feedback that teaches: for each learner, the themes to revisit and where in the lessons.

Written for the learner, so it names themes, questions by number and lesson sections, and never an
option, a key or a hidden test. Reflections show the instructor's score and comment once graded
(the rubric itself stays in the source notebook).

How it reaches the learner: ``feedback/<student>.md`` and ``.html`` in the report folder (to send, or
upload to a learning platform), and, with ``course report --add-to-feedback``, a "What to revisit"
section added to the feedback page ``nbgrader generate_feedback`` made for each submission, which
``nbgrader release_feedback`` then delivers with the graded notebook.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import mistune
from markupsafe import Markup

from course.report import stats
from course.report.analysis import Analysis, item_score
from course.report.page import environment


def for_learner(a: Analysis, student: str) -> str:
    lines = [f"# Your feedback, {student}", "",
             "This note shows where you stand in each module, which themes to go back to, and "
             "exactly where in the lessons to find them. It never gives the answers: revisiting "
             "the section is how to get there.", ""]
    for module in a.modules:
        lines += _module(a, module, student) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _module(a: Analysis, module, student: str) -> list[str]:
    sub = a.data.submissions.get((student, module.folder))
    head = f"## {module.label}: {module.title}"
    if sub is None:
        return [head, "", f"Not submitted yet. When you are ready, open `{module.notebook}.ipynb`, "
                "work through it and submit it from the Assignments tab."]
    earned = sum((sub.grades[i.test_cell].score or 0.0) for i in module.items
                 if i.test_cell in sub.grades)
    possible = sum(i.points for i in module.items)
    lines = [head, "", f"Questions: {earned:g} of {possible:g} points."]
    if sub.late:
        lines.append("Submitted after the due date.")
    missed = [i for i in module.items if item_score(sub, i) < 1]

    def named(item) -> str:   # a question partly right says so
        return item.label + (" (partly right)" if item_score(sub, item) > 0 else "")

    weak, strong = [], []
    for theme in module.themes:
        value = a.theme_mastery(student, theme.id)
        if value is None:
            continue
        (strong if value >= stats.MASTERY else weak).append((theme, value))
    if weak:
        lines += ["", "**Themes to revisit**", ""]
        for theme, value in weak:
            questions = [named(i) for i in missed if theme.id in i.themes]
            where = _sections(theme.sections, module)
            detail = f" (you missed {_join(questions)})" if questions else ""
            lines.append(f"- **{theme.title}**: {value:.0%} of its points{detail}. "
                         f"Revisit {where}. The aim: {_sentence(theme.outcome)}")
    elif missed:
        lines += ["", f"You missed {_join([named(i) for i in missed])}, but you have the themes "
                  "well in hand overall."]
    else:
        lines += ["", "Every question right: well done."]
    if strong:
        lines += ["", "You have a good grasp of: " + "; ".join(t.title for t, _ in strong) + "."]
    reflections = [_reflection(sub, r, module) for r in module.reflections]
    reflections = [r for r in reflections if r]
    if reflections:
        lines += ["", "**Reflections**", "", *reflections]
    return lines


def _reflection(sub, reflection, module) -> str:
    grade = sub.grades.get(reflection.id)
    if grade is None:
        return ""
    status = grade.status
    if status == "graded":
        text = f"- {reflection.label}: {grade.score:g} of {grade.max:g} points."
        if grade.comment:
            text += f" Your instructor says: \"{_plain(grade.comment)}\""
        return text
    if status == "waiting":
        return f"- {reflection.label}: still being graded by your instructor."
    return (f"- {reflection.label}: left blank, so it scored 0. Revisit "
            f"{_sections(reflection.sections, module)} and have a go.")


def _sections(sections, module=None) -> str:
    if not sections:
        return f"the lessons of {module.label}" if module else "the lessons"
    where = _join([f"section \"{s}\"" for s in sections])
    return f"{where} of `{module.notebook}.ipynb`" if module else where


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].lower() + text[1:] if text else text


def _plain(text: str) -> str:
    """An instructor's comment on one line, without Markdown that could break the page."""
    return re.sub(r"\s+", " ", text).replace("\"", "'")[:1000]


def safe_name(student: str) -> str:
    """A file name for a student id that cannot escape the feedback folder."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._")
    return name or "student"




@lru_cache(maxsize=1)
def _markdown():
    # escape=True: raw HTML in a note (a learner id, an instructor's comment) is shown as text.
    return mistune.create_markdown(escape=True)


def to_html(markdown: str) -> str:
    """A note's Markdown as HTML (mistune); everything in it is shown as text, never run as HTML."""
    return _markdown()(markdown)


def write_all(a: Analysis, folder: Path) -> list[Path]:
    """feedback/<student>.md and .html: one note per learner, to send or upload as it is."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, used = [], set()
    for student in a.learners:
        name = safe_name(student)
        while name in used:
            name += "_"
        used.add(name)
        text = for_learner(a, student)
        path = folder / f"{name}.md"
        path.write_text(text, encoding="utf-8")
        (folder / f"{name}.html").write_text(
            environment().get_template("feedback.html.j2").render(
                student=student, body=Markup(to_html(text))), encoding="utf-8")
        paths.append(path)
    return paths


# ------------------------------------------------------------ into nbgrader's feedback files
GUIDE_START, GUIDE_END = "<!-- course study guide: start -->", "<!-- course study guide: end -->"
GUIDE = re.compile(re.escape(GUIDE_START) + ".*?" + re.escape(GUIDE_END) + "\n?", re.S)


def study_guide(a: Analysis, module, student: str) -> str:
    """The module's part of the learner's note, as an HTML section for nbgrader's feedback page."""
    body = Markup(to_html("\n".join(_module(a, module, student))))
    return environment().get_template("study_guide.html.j2").render(
        start=Markup(GUIDE_START), end=Markup(GUIDE_END), body=body) + "\n"


def add_to_nbgrader_feedback(a: Analysis, feedback_dir: Path) -> list[Path]:
    """Add the study guide to each ``feedback/<student>/<assignment>/<notebook>.html`` that
    ``nbgrader generate_feedback`` wrote, just before ``</body>``, so ``nbgrader release_feedback``
    delivers it to the learner's Assignments tab. Running it again replaces the guide, never
    stacks a second one. Returns the files changed."""
    changed = []
    for (student, assignment), sub in sorted(a.data.submissions.items()):
        module = next((m for m in a.modules if m.folder == assignment), None)
        path = Path(feedback_dir) / student / assignment / f"{module.notebook}.html" if module \
            else None
        if path is None or not path.is_file():
            continue
        page = GUIDE.sub("", path.read_text(encoding="utf-8"))
        guide = study_guide(a, module, student)
        at = page.rfind("</body>")
        page = page[:at] + guide + page[at:] if at >= 0 else page + guide
        path.write_text(page, encoding="utf-8")
        changed.append(path)
    return changed
