"""The course's additions to nbgrader, applied from ``nbgrader_config.py``.

Everything is wired through nbgrader's own configuration so that the ``nbgrader`` command line,
formgrader's buttons and ``course`` commands all behave the same way.
"""

from __future__ import annotations

import os
import warnings

import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader.preprocessors import NbGraderPreprocessor

#: What replaces a solution region in the student version. It is a comment, not the stock
#: ``raise NotImplementedError()``, so that Run All on a fresh notebook reaches the last cell; an
#: unanswered item still scores zero because its hidden tests fail.
CODE_STUB = "# YOUR ANSWER HERE"
TEXT_STUB = "YOUR ANSWER HERE"


class RemoveInstructorCells(NbGraderPreprocessor):
    """Drop cells meant for instructors only (reflection rubrics) from the student version."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells
                    if cell.get("metadata", {}).get("course", {}).get("role") != "rubric"]
        return nb, resources


class RepairSubmission(NbGraderPreprocessor):
    """Before nbgrader restores graded cells: drop grading marks the assignment never had.

    A cell that claims to be graded but whose id is not in the gradebook (a forged "bonus" cell, a
    duplicate stripped of its id) would otherwise crash nbgrader's restore step. Its marks are
    removed and a note at the top of the graded notebook says which.
    """

    def preprocess(self, nb, resources):
        from course.gradebook import open_gradebook

        info = resources["nbgrader"]
        with open_gradebook(info["db_url"]) as gb:
            known = {c.name for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
        forged = []
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is not None and meta.get("grade_id") not in known:
                del cell.metadata["nbgrader"]
                if meta.get("grade_id"):
                    forged.append(str(meta["grade_id"])[:64])
        if forged:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(
                "**Note from grading:** these cells were marked as graded but are not part of the "
                f"assignment, so they were not graded: {', '.join(forged)}."))
        return nb, resources


#: A submitted notebook larger than this is not read: no honest submission comes near it.
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


def unreadable_reason(filename: str) -> tuple[object, str | None]:
    """Read a submitted notebook, or say in plain words why it cannot be graded."""
    if not os.path.exists(filename):
        folder = os.path.dirname(filename)
        found = sorted(n for n in os.listdir(folder) if n.endswith(".ipynb")) \
            if os.path.isdir(folder) else []
        return None, (f"no notebook named {os.path.basename(filename)} was submitted"
                      + (f" (found: {', '.join(found)})" if found else ""))
    try:
        size = os.path.getsize(filename)
    except OSError as err:
        return None, f"the file cannot be opened ({err.strerror})"
    if size > MAX_NOTEBOOK_BYTES:
        return None, f"the file is {size / 2**20:.0f} MB, far larger than a notebook can be"
    try:
        with open(filename, encoding="utf-8") as f:
            nb = nbformat.read(f, as_version=4)
    except UnicodeDecodeError:
        return None, "the file is not UTF-8 text (it may have been saved in another encoding)"
    except Exception as err:  # nbformat raises many types for broken files
        return None, f"the file is not a valid notebook ({type(err).__name__})"
    if not isinstance(nb.get("cells"), list):
        return None, "the file has no list of cells"
    if isinstance(nb.metadata.get(MISSING_MARK), str):
        return None, nb.metadata[MISSING_MARK][:300]
    return nb, None


#: Metadata of a placeholder that `course grade` writes, in its scratch copy only, where a
#: submission lacks a notebook: nbgrader refuses to start on a folder with none at all.
MISSING_MARK = "course_missing_submission"


def mark_missing_notebooks(folder: str, assignment: str) -> None:
    for name in expected_notebooks(assignment):
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            _, reason = unreadable_reason(path)
            nb = nbformat.v4.new_notebook()
            nb.metadata[MISSING_MARK] = reason
            nbformat.write(nb, path)


class SafeNotebookExporter(NotebookExporter):
    """Reads submissions for autograding; an unreadable one becomes a notebook saying why.

    The stand-in has no answers, nbgrader puts every graded cell back into it (so it scores zero)
    and the reason stays visible in the graded notebook, in formgrader and in the feedback,
    instead of the run stopping with a traceback.
    """

    def from_filename(self, filename, resources=None, **kw):
        nb, reason = unreadable_reason(filename)
        if not reason:
            # nbconvert's own reader also records the notebook's folder, where the kernel runs.
            return super().from_filename(filename, resources=resources, **kw)
        self.log.warning("Cannot grade %s: %s; it scores zero.", filename, reason)
        resources = resources if resources is not None else {}
        folder, name = os.path.split(filename)
        resources.setdefault("metadata", {}).update(path=folder, name=os.path.splitext(name)[0])
        return self.from_notebook_node(stand_in(reason, resources), resources=resources, **kw)


def stand_in(reason: str, resources) -> nbformat.NotebookNode:
    """The assignment's graded structure, unanswered, headed by the reason it replaces a submission.

    Built from the gradebook's copy of the student version, so every graded cell is present and
    scores zero, and the reason is what the graded notebook and the feedback show first.
    """
    from course.gradebook import open_gradebook

    cells = [nbformat.v4.new_markdown_cell(
        f"**This submission could not be graded:** {reason}. It scored zero. Open your notebook in "
        "JupyterLab, check that it runs, save it, and submit again (or ask your instructor).")]
    info = resources.get("nbgrader", {})
    if info.get("db_url"):
        with open_gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            graded = {c.name: c.max_score for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
            for cell in source.source_cells:
                new = (nbformat.v4.new_code_cell if cell.cell_type == "code"
                       else nbformat.v4.new_markdown_cell)(cell.source)
                meta = {"grade": cell.name in graded, "solution": cell.name in solutions,
                        "locked": cell.locked, "grade_id": cell.name, "schema_version": 3,
                        "checksum": cell.checksum}
                if cell.name in graded:
                    meta["points"] = graded[cell.name]
                new.metadata["nbgrader"] = meta
                cells.append(new)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def expected_notebooks(assignment: str) -> list[str]:
    from course import content
    return [f"{m['notebook']}.ipynb" for m in content.modules() if m["folder"] == assignment]


def submission_folder(assignment: str, student: str, notebooks: list) -> str | None:
    if notebooks:
        return os.path.dirname(notebooks[0])
    from traitlets.config import Application
    app = Application.instance() if Application.initialized() else None
    coursedir = getattr(app, "coursedir", None)
    if coursedir is not None:
        return coursedir.format_path(coursedir.submitted_directory, student, assignment)
    return os.path.join(os.getcwd(), "submitted", student, assignment)


def add_missing_notebooks(assignment: str, student: str, notebooks: list, folder=None) -> None:
    """nbgrader's pre-convert hook: list the assignment's notebooks even when not submitted.

    Stock nbgrader gives up on a submission that holds none of the assignment's notebooks (for
    example a renamed one) and records nothing. Listed here, each missing notebook reaches
    SafeNotebookExporter, which grades it as empty and says why.
    """
    folder = folder or submission_folder(assignment, student, notebooks)
    if not folder:
        return
    present = {os.path.basename(n) for n in notebooks}
    for name in expected_notebooks(assignment):
        if name not in present:
            notebooks.append(os.path.join(folder, name))


def configure(c, root: str | os.PathLike | None = None) -> None:
    """Apply the course's settings to an nbgrader config object ``c``.

    ``root`` is the course folder (where nbgrader_config.py is); paths are made absolute from it,
    because formgrader on a hub runs from the instructor's home, not from the course folder.
    """
    from nbgrader.converters.autograde import Autograde
    from nbgrader.converters.generate_assignment import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import Execute, OverwriteCells

    from course.safe_execute import SafeExecute

    # nbgrader 0.9 adds a new submission's rows in an order SQLAlchemy 2 warns about on every
    # first autograde; the rows are saved correctly, so the warning only hides real messages.
    warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session")
    c.CourseDirectory.course_id = "customer-service-in-security"
    c.IncludeHeaderFooter.header = os.path.join(root or "", "source", "header.ipynb")
    # The instructor's keys (course.keys) stay in source/: never copied into release/.
    c.CourseDirectory.ignore = [*CourseDirectory.class_traits()["ignore"].make_dynamic_default(),
                                "keys.toml"]
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    # A cell that runs longer than this during grading is stopped and the notebook marked.
    c.Execute.timeout = 60
    # Student code runs sandboxed and hidden tests are judged outside the kernel (SafeExecute).
    stock = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
    c.Autograde.autograde_preprocessors = [SafeExecute if pp is Execute else pp for pp in stock]
    # A deleted test cell is put back (and says so), so it is graded like any other.
    c.OverwriteCells.add_missing_cells = True
    # A broken submission is graded as empty, with the reason, instead of stopping the run.
    c.Autograde.exporter_class = SafeNotebookExporter
    c.Autograde.pre_convert_hook = add_missing_notebooks
    sanitize = Autograde.class_traits()["sanitize_preprocessors"].make_dynamic_default()
    at = sanitize.index(OverwriteCells)
    c.Autograde.sanitize_preprocessors = [*sanitize[:at], RepairSubmission, *sanitize[at:]]
    stock = GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default()
    c.GenerateAssignment.preprocessors = [RemoveInstructorCells, *stock]
