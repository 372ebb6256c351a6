"""Customer Service in Security: the course package.

Notebooks import from here so that a cell calling the package stays two lines long:

    from course import ask, saved_answer, check_answer

Nothing in this package is graded or secret: students can read all of it. Answer keys live only
in the instructor's source notebooks (solution regions and hidden tests).
"""

import importlib

__all__ = ["ask", "saved_answer", "check_answer"]
__version__ = "0.1.0"

# Loaded on first use, so that tools which only need a small part of the package (the grading
# sandbox's launcher, the command line) do not pay for importing ipywidgets.
_LAZY = {"ask": "course.widgets.question", "saved_answer": "course.answers",
         "check_answer": "course.checks"}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'course' has no attribute {name!r}")
