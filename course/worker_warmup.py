"""A grading worker's one-time work, done once in the grading process the workers fork from.

``worker_pool.context`` runs ``warm_up`` before the pool forks, so that every worker starts with
the work done. Without it, each worker did it again at its first submission, 0.07-0.09 s of CPU
each while the class's grading starts (on a 2-core machine, while the warm process and the
parent are busy too). Nothing here depends on a course or a student: it is the same for every
submission.
"""

from __future__ import annotations


def warm_up() -> None:
    """nbgrader's patched steps (course.safe_autograde, course.nbgrader_speed) and nbformat's
    compiled notebook validators, strict and relaxed, for the notebook format nbformat writes
    (what every submission is read and checked with)."""
    import nbformat
    from nbformat import validator

    from course import nbgrader_speed, safe_autograde

    safe_autograde.install()
    nbgrader_speed.install()
    for relax in (False, True):
        validator.get_validator(nbformat.current_nbformat, nbformat.current_nbformat_minor,
                                relax_add_props=relax)
