"""``course report``: what the class has grasped, which items work, what still needs grading.

From the gradebook (SQLite or any SQLAlchemy ``db_url``), the source notebooks' theme markers and the
graded notebooks, it writes into one folder:

- ``report.html``: one self-contained page (figures as base64 PNG with alt text, no external files);
- CSV tables beside it, nbgrader's grade export and a plain LMS gradebook;
- ``figures/``: each figure as a PNG; ``feedback/``: one note per learner (Markdown and HTML).

Modules: ``structure`` (what each module assesses), ``gather`` (gradebook and answers),
``learner_answers``, ``stats`` (item statistics), ``analysis`` (tables), ``figures``, ``page``
(HTML), ``feedback``, ``export`` (CSV), ``synthetic`` (a generated class for tests and benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from course import course_config
from course.report import analysis, export, feedback, figures, gather, page, structure
from course.report.gather import ReportError

__all__ = ["build", "write", "Report", "ReportError"]


@dataclass
class Report:
    out: Path
    html: Path
    files: dict            # short name -> CSV path
    figures: list          # figures.Rendered
    feedback: list         # paths of feedback/<student>.md
    analysis: analysis.Analysis
    nbgrader_feedback: list | None = None   # nbgrader feedback pages given a guide (if asked)


def course_settings(root: Path) -> dict:
    """db_url and the autograded/submitted/feedback folders, as the course's nbgrader_config.py
    sets them, read by ``course.course_config`` exactly as ``course grade`` reads them. A folder
    inside the course is given relative to it (``autograded``), so messages name it briefly."""
    config, root = course_config.load(root), Path(root).resolve()

    def place(folder: Path) -> Path:
        try:
            return folder.relative_to(root)
        except ValueError:   # configured outside the course folder: keep it whole
            return folder

    return {"db_url": config.db_url, "autograded": place(config.autograded),
            "submitted": place(config.submitted), "feedback": place(config.feedback)}


def _check_out(root: Path, out: Path) -> None:
    """The report holds keys and learners' grades: never write it where students can read it."""
    root, out = Path(root).resolve(), Path(out).resolve()
    public = [root / "source", root / "release", root / "course", root / "autograded"]
    if out == root or any(out == p or p in out.parents for p in public):
        raise ReportError(f"Refusing to write the report into {out}: it holds answer keys and "
                          "grades. Choose a folder of its own, e.g. build/report.")


def build(root: Path, out: Path | None = None, db_url: str | None = None,
          modules: list | None = None, add_to_feedback: bool = False) -> Report:
    """Build the report for the course in ``root`` (its source/, gradebook and graded files)."""
    root = Path(root)
    out = (Path(out) if out else root / "build" / "report").resolve()
    _check_out(root, out)
    settings = course_settings(root)
    modules = structure.load(root) if modules is None else modules
    data = gather.read_gradebook(db_url or settings["db_url"])
    gather.read_answers(data, modules, root, settings["autograded"], settings["submitted"])
    report = write(analysis.analyse(modules, data), out)
    if add_to_feedback:
        report.nbgrader_feedback = feedback.add_to_nbgrader_feedback(
            report.analysis, root / settings["feedback"])
    return report


def write(result: analysis.Analysis, out: Path) -> Report:
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    files = export.write_all(result, out)
    rendered = figures.all_figures(result)
    for fig in rendered:
        (out / "figures" / f"{fig.name}.png").write_bytes(fig.png)
    notes = feedback.write_all(result, out / "feedback")
    html = out / "report.html"
    html.write_text(page.render(result, rendered, files, len(notes)), encoding="utf-8")
    return Report(out, html, files, rendered, notes, result)


def summary(report: Report) -> str:
    """What was written and where, for the command line."""
    a = report.analysis
    lines = [f"Report for {len(a.learners)} learners and {len(a.modules)} module(s):",
             f"  page      {report.html}",
             f"  tables    {report.out}/*.csv ({len(report.files)} files, including "
             f"{report.files['lms'].name} and {report.files['nbgrader'].name})",
             f"  figures   {report.out / 'figures'} ({len(report.figures)} PNG files)",
             f"  feedback  {report.out / 'feedback'} ({len(report.feedback)} learners, .md and .html)"]
    if report.nbgrader_feedback:
        lines.append(f"  added a study guide to {len(report.nbgrader_feedback)} nbgrader feedback "
                     "page(s); `nbgrader release_feedback` delivers them")
    elif report.nbgrader_feedback is not None:
        lines.append("  note: --add-to-feedback found no nbgrader feedback pages to add a study "
                     "guide to: run `nbgrader generate_feedback <assignment>` first, then "
                     "`course report --add-to-feedback` again")
    lines += [f"  note: {w}" for w in a.warnings]
    return "\n".join(lines)
