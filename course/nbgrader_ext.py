"""The course's additions to nbgrader, applied from ``nbgrader_config.py``.

Everything is wired through nbgrader's own configuration so that the ``nbgrader`` command line,
formgrader's buttons and ``course`` commands all behave the same way.
"""

from __future__ import annotations

import json
import os
import warnings

import jsonschema
import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader.nbgraderformat.common import SchemaMismatchError
from nbgrader.preprocessors import NbGraderPreprocessor

from course.protections import Protections
from course.safe_autograde import notes_for, placeholder_reason

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
    """Before nbgrader restores graded cells: every grading mark becomes the assignment's own.

    A submitted cell's nbgrader metadata is the student's to edit: a newer ``schema_version`` would
    stop nbgrader for every student after this one, an older one or a malformed field would fail
    this student's grading, and a forged "bonus" cell (or a duplicate stripped of its id) would
    crash nbgrader's restore step. So each cell whose grade id the assignment knows gets the
    assignment's metadata, word for word, and every other grading mark is removed. A note at the top
    of the graded notebook names the cells whose marks were changed and those that claimed points
    they do not have.
    """

    def preprocess(self, nb, resources):
        from course.gradebook import open_gradebook

        canonical_on = Protections(config=self.config).canonical_metadata
        info = resources["nbgrader"]
        with open_gradebook(info["db_url"]) as gb:
            canonical = canonical_metadata(gb.find_notebook(info["notebook"], info["assignment"]))
        forged, changed = [], []
        for cell in nb.cells:
            if not isinstance(cell.get("metadata"), dict):
                cell.metadata = nbformat.NotebookNode()
            meta = cell.metadata.get("nbgrader")
            if meta is None:
                continue
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if isinstance(grade_id, str) and grade_id in canonical:
                if canonical_on:
                    if marks_differ(meta, canonical[grade_id]):
                        changed.append(grade_id)
                    cell.metadata["nbgrader"] = nbformat.from_dict(canonical[grade_id])
                continue
            del cell.metadata["nbgrader"]
            if grade_id:
                forged.append(str(grade_id)[:64])
        notes = []
        if changed:
            notes.append("grading marks were changed in this submission; the assignment's own "
                         f"were used (cells {', '.join(changed)})")
        if forged:
            notes.append("these cells were marked as graded but are not part of the assignment, "
                         f"so they were not graded: {', '.join(forged)}")
        if notes:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(
                "Note from grading: " + "; ".join(notes) + "."))
        return nb, resources


#: What nbgrader writes in a cell's metadata besides its grading marks: a checksum of the cell as
#: the student version had it (which differs from the gradebook's for test cells, whose hidden
#: tests were removed) and the cell's type.
NOT_MARKS = ("checksum", "cell_type")


def marks_differ(submitted, canonical: dict) -> bool:
    """Whether a submitted cell's grading marks differ from the assignment's own."""
    if not isinstance(submitted, dict):
        return True
    keys = (set(submitted) | set(canonical)) - set(NOT_MARKS)
    return any(submitted.get(k) != canonical.get(k) for k in keys)


def canonical_metadata(source_notebook) -> dict:
    """grade id -> the nbgrader metadata the assignment gives that cell."""
    from nbgrader.api import BaseCell, GradeCell, SolutionCell, TaskCell
    from sqlalchemy.orm import object_session, with_polymorphic

    # One query for every kind of cell (nbgrader's own lists load each cell's points apart).
    kinds = with_polymorphic(BaseCell, [GradeCell, SolutionCell, TaskCell])
    cells = object_session(source_notebook).query(kinds) \
        .filter(kinds.notebook_id == source_notebook.id).all()
    graded = {c.name: c.max_score for c in cells if isinstance(c, GradeCell)}
    solutions = {c.name for c in cells if isinstance(c, SolutionCell)}
    tasks = {c.name: c.max_score for c in cells if isinstance(c, TaskCell)}
    out = {}
    for cell in source_notebook.source_cells:
        meta = {"grade": cell.name in graded, "solution": cell.name in solutions,
                "locked": bool(cell.locked), "grade_id": cell.name, "schema_version": 3,
                "checksum": cell.checksum}
        if cell.name in graded:
            meta["points"] = graded[cell.name]
        if cell.name in tasks:
            meta.update(task=True, points=tasks[cell.name])
        out[cell.name] = meta
    return out


#: A submitted notebook larger than this is not read: no honest submission comes near it.
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


def unreadable_reason(filename: str) -> tuple[object, str | None]:
    """Read a submitted notebook, or say in plain words why it cannot be graded."""
    reason = placeholder_reason(filename)
    if reason:
        return None, reason
    if not os.path.exists(filename):
        return None, f"no notebook named {os.path.basename(filename)} was submitted"
    try:
        size = os.path.getsize(filename)
    except OSError as err:
        return None, f"the file cannot be opened ({err.strerror})"
    if size > MAX_NOTEBOOK_BYTES:
        return None, f"the file is {size / 2**20:.0f} MB, far larger than a notebook can be"
    try:
        with open(filename, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        return None, "the file is not UTF-8 text (it may have been saved in another encoding)"
    try:
        # Its cells' shape first: nbformat reads some broken cells with a mere warning and
        # refuses others with a message that does not say which cell.
        data = json.loads(text)
        problem = structure_problem(data["cells"]) if isinstance(data, dict) and \
            data.get("nbformat") == 4 and isinstance(data.get("cells"), list) else None
        if problem:
            return None, f"the file is not a valid notebook: {problem}"
        nb = nbformat.reads(text, as_version=4)
    except Exception as err:  # json and nbformat raise many types for broken files
        return None, f"the file is not a valid notebook ({type(err).__name__})"
    if not isinstance(nb.get("cells"), list):
        return None, "the file has no list of cells"
    return nb, None


CELL_TYPES = ("code", "markdown", "raw")
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")


def structure_problem(cells: list) -> str | None:
    """What is wrong with the shape of a notebook's cells, in plain words, or None.

    nbformat reads a notebook whose cells are broken (no source, an unknown type, outputs that are
    not outputs) with only a warning; nbgrader would then fail on it later, with a message about
    something else.
    """
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            return f"cell {number} is not a cell"
        kind = cell.get("cell_type")
        if kind not in CELL_TYPES:
            return f"cell {number} is of an unknown type ({str(kind)[:40]!r})"
        source = cell.get("source")
        if not (isinstance(source, str) or isinstance(source, list)
                and all(isinstance(line, str) for line in source)):
            return f"cell {number} has no source (the text of the cell)"
        outputs = cell.get("outputs", [])
        if kind == "code" and not (isinstance(outputs, list) and all(
                isinstance(out, dict) and out.get("output_type") in OUTPUT_TYPES
                for out in outputs)):
            return f"cell {number} has outputs that are not notebook outputs"
    return None


#: What a submission's grading marks can raise in nbgrader's checks; graded as empty instead.
MARK_ERRORS = (SchemaMismatchError, jsonschema.ValidationError, nbformat.ValidationError)


class SafeNotebookExporter(NotebookExporter):
    """Reads submissions for autograding; an unreadable one becomes a notebook saying why.

    The stand-in has no answers, nbgrader puts every graded cell back into it (so it scores what
    the answers saved with the question widgets earn, usually zero) and the reason stays visible
    in the graded notebook, in formgrader and in the feedback, instead of the run stopping with a
    traceback. What the submission held but was not read (see ``course.safe_autograde``) is noted
    at the top.
    """

    def from_filename(self, filename, resources=None, **kw):
        nb, reason = unreadable_reason(filename)
        folder, name = os.path.split(filename)
        resources = resources if resources is not None else {}
        resources.setdefault("metadata", {}).update(path=folder, name=os.path.splitext(name)[0])
        if not reason:
            notes = notes_for(folder)
            if notes:
                nb.cells.insert(0, nbformat.v4.new_markdown_cell(
                    "Note from grading: " + "; ".join(notes) + "."))
            guarded = MARK_ERRORS if Protections(config=self.config).canonical_metadata else ()
            try:
                return self.from_notebook_node(OwnedNotebook(nb), resources=resources, **kw)
            except guarded as err:
                reason = f"its grading marks could not be read ({type(err).__name__})"
                nb = nbformat.v4.new_notebook()
        self.log.warning("Cannot grade %s: %s; graded as the unanswered assignment: only the "
                         "answers the learner saved with the question widgets (kept beside the "
                         "notebook) count, usually none.", filename, reason)
        return self.from_notebook_node(stand_in(reason, resources), resources=resources, **kw)


class OwnedNotebook(nbformat.NotebookNode):
    """A notebook that only this export holds, just read from its file. nbconvert deep-copies
    what it is given three times per export (against a caller's keeping it), a twentieth of a
    grading worker's CPU on Module 1; nothing else holds this one, so each copy is itself.
    (Only the notebook: a cell copied by a preprocessor is still a copy.)"""

    def __deepcopy__(self, memo):
        return self


def stand_in(reason: str, resources) -> nbformat.NotebookNode:
    """The assignment's graded structure, unanswered, headed by the reason it replaces a submission.

    Built from the gradebook's copy of the student version, so every graded cell is present and
    scores zero, and the reason is what the graded notebook and the feedback show first.
    """
    from course.gradebook import open_gradebook

    cells = [nbformat.v4.new_markdown_cell(
        f"This submission could not be graded: {reason}. It was graded as the unanswered "
        "assignment: only answers saved by clicking the question widgets counted. Open your "
        "notebook in JupyterLab, check that it runs, save it, and submit again (or ask your "
        "instructor).")]
    info = resources.get("nbgrader", {})
    if info.get("db_url"):
        with open_gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            canonical = canonical_metadata(source)
            for cell in source.source_cells:
                new = (nbformat.v4.new_code_cell if cell.cell_type == "code"
                       else nbformat.v4.new_markdown_cell)(cell.source)
                new.metadata["nbgrader"] = canonical[cell.name]
                cells.append(new)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def configure(c, root: str | os.PathLike | None = None) -> None:
    """Apply the course's settings to an nbgrader config object ``c``.

    ``root`` is the course folder (where nbgrader_config.py is); paths are made absolute from it,
    because formgrader on a hub runs from the instructor's home, not from the course folder.
    """
    from nbgrader.converters.autograde import Autograde
    from nbgrader.converters.generate_assignment import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import Execute, OverwriteCells

    from course import content, nbgrader_speed, safe_autograde
    from course.inert_views import InertViews
    from course.safe_execute import SafeExecute

    # Every submission is read through a copy of its regular files (links, pipes and devices are
    # never opened); this wires it into nbgrader's Autograde class for every way of grading.
    safe_autograde.install()
    # Work nbgrader repeats for every notebook, done once (course.nbgrader_speed says what).
    nbgrader_speed.install()
    # Validate the notebook once, after the last preprocessor, not after each of the fourteen:
    # an invalid notebook still stops its own grading, with the same error.
    c.Exporter.optimistic_validation = True
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
    # Last, the graded notebook keeps nothing that could run in formgrader's or a feedback page.
    stock = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
    c.Autograde.autograde_preprocessors = [*(SafeExecute if pp is Execute else pp for pp in stock),
                                           InertViews]
    # ... and every HTML page made from a notebook is sanitised as well (formgrader, feedback).
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {"markdown2html": "course.inert_views.markdown2html"}
    # A deleted test cell is put back (and says so), so it is graded like any other.
    c.OverwriteCells.add_missing_cells = True
    # A broken submission is graded as empty, with the reason, instead of stopping the run.
    c.Autograde.exporter_class = SafeNotebookExporter
    # The instructor's own clicks, saved while trying the source notebook, must never replace a
    # student's: nbgrader copies every other file of source/<assignment> into the graded folder.
    c.Autograde.exclude_overwriting = {m["folder"]: [f"{m['id']}_answers.json"]
                                       for m in content.modules()}
    # nbgrader collect copies only regular files out of the exchange (never links or pipes).
    c.ExchangeFactory.collect = "course.exchange.SafeCollect"
    sanitize = Autograde.class_traits()["sanitize_preprocessors"].make_dynamic_default()
    at = sanitize.index(OverwriteCells)
    c.Autograde.sanitize_preprocessors = [*sanitize[:at], RepairSubmission, *sanitize[at:]]
    stock = GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default()
    c.GenerateAssignment.preprocessors = [RemoveInstructorCells, *stock]
