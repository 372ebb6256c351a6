"""The course's additions to nbgrader, applied from ``nbgrader_config.py``.

Everything is wired through nbgrader's own configuration so that the ``nbgrader`` command line,
formgrader's buttons and ``course`` commands all behave the same way.
"""

from __future__ import annotations

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


def configure(c) -> None:
    """Apply the course's settings to an nbgrader config object ``c``."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.converters.generate_assignment import GenerateAssignment
    from nbgrader.preprocessors import Execute

    from course.safe_execute import SafeExecute

    c.CourseDirectory.course_id = "customer-service-in-security"
    c.IncludeHeaderFooter.header = "source/header.ipynb"
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    # A cell that runs longer than this during grading is stopped and the notebook marked.
    c.Execute.timeout = 60
    # Student code runs sandboxed and hidden tests are judged outside the kernel (SafeExecute).
    stock = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
    c.Autograde.autograde_preprocessors = [SafeExecute if pp is Execute else pp for pp in stock]
    # A deleted test cell is put back (and says so), so it is graded like any other.
    c.OverwriteCells.add_missing_cells = True
    stock = GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default()
    c.GenerateAssignment.preprocessors = [RemoveInstructorCells, *stock]
