"""Customer Service in Security: the course package.

Notebooks import from here so that a cell calling the package stays two lines long:

    from course import ask, saved_answer, check_answer

Nothing in this package is graded or secret: students can read all of it. Answer keys live only
in the instructor's source notebooks (solution regions and hidden tests).
"""

from course.answers import saved_answer
from course.checks import check_answer
from course.widgets.question import ask

__all__ = ["ask", "saved_answer", "check_answer"]
__version__ = "0.1.0"
