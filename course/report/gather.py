"""Reading the gradebook (any SQLAlchemy ``db_url``) and the graded files, in a few bulk queries.

The gradebook is only read: the queries use nbgrader's own ORM models on a plain session, so
nothing is created or changed in it (nbgrader's ``Gradebook`` class would add a course row).
Answers come from ``autograded/<student>/<assignment>/`` (what was graded), or from
``submitted/`` when the graded copy is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from nbgrader.api import (Assignment, BaseCell, Comment, Grade, GradeCell, Notebook, Student,
                          SubmittedAssignment, SubmittedNotebook, TaskCell)
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from course.gradebook import shown
from course.report import learner_answers
from course.safe_files import is_real_folder, not_a_folder


class ReportError(ValueError):
    """The report cannot be built; the message says what to do."""


@dataclass
class CellGrade:
    max: float
    auto: float | None = None
    manual: float | None = None
    extra: float | None = None
    needs_manual: bool = False
    comment: str = ""

    @property
    def score(self) -> float | None:
        """nbgrader's rule: a manual score wins over the automatic one; None while ungraded."""
        base = self.manual if self.manual is not None else self.auto
        return None if base is None else base + (self.extra or 0.0)

    @property
    def status(self) -> str:
        """For reflections: 'graded', 'waiting' (for the instructor) or 'blank' (scored 0 unanswered)."""
        if self.manual is not None:
            return "graded"
        if self.needs_manual or self.auto is None:
            return "waiting"
        return "blank"


@dataclass
class Submission:
    student: str
    assignment: str
    timestamp: datetime | None
    seconds_late: float
    penalty: float
    grades: dict = field(default_factory=dict)    # grade cell name -> CellGrade
    answers: dict = field(default_factory=dict)   # item id -> answer

    @property
    def late(self) -> bool:
        return self.seconds_late > 0

    @property
    def raw_score(self) -> float:
        return sum(g.score or 0.0 for g in self.grades.values())


@dataclass
class AssignmentInfo:
    name: str
    duedate: datetime | None
    cells: dict   # grade cell name -> (max score, cell type)
    task_max: float = 0.0   # task cells' points (none in this course; nbgrader counts them)

    @property
    def max_score(self) -> float:
        return sum(m for m, _ in self.cells.values()) + self.task_max


@dataclass
class ClassData:
    db_url: str
    students: list                 # every student id in the gradebook, sorted
    assignments: dict              # name -> AssignmentInfo
    submissions: dict              # (student, assignment) -> Submission
    people: dict = field(default_factory=dict)   # student id -> (last name, first name, email)
    unreadable_answers: int = 0
    unreadable_learners: list = field(default_factory=list)   # (student, assignment, why)
    _by_assignment: dict | None = field(default=None, repr=False)

    def submitted(self, assignment: str) -> list:
        """The assignment's submissions, by student id."""
        if self._by_assignment is None:
            self._by_assignment = {}
            for (_, name), sub in sorted(self.submissions.items()):
                self._by_assignment.setdefault(name, []).append(sub)
        return self._by_assignment.get(assignment, [])


def check_url(db_url: str) -> None:
    """A clear error for a gradebook that does not exist, instead of silently creating an empty one."""
    try:
        url = make_url(db_url)
    except (ArgumentError, ValueError):   # ValueError: a port that is not a number
        raise ReportError(f"{shown(db_url)!r} is not a database URL (e.g. "
                          "sqlite:///gradebook.db).") from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).is_file():
        raise ReportError(f"No gradebook at {url.database}. Autograde first (`nbgrader autograde` "
                          "or `course grade`), or give the gradebook with --db-url.")


def read_gradebook(db_url: str) -> ClassData:
    check_url(db_url)
    try:
        engine = create_engine(db_url, future=True)
    except (ArgumentError, ImportError, NoSuchModuleError) as err:
        raise ReportError(f"Cannot open the gradebook {shown(db_url)}: {type(err).__name__}: {err}. Give "
                          "an nbgrader gradebook URL (e.g. sqlite:///gradebook.db), with its "
                          "database driver installed.") from None
    try:
        if "grade" not in inspect(engine).get_table_names():
            raise ReportError(f"{shown(db_url)} is not an nbgrader gradebook (it has no grade table).")
        with Session(engine) as db:
            return _read(db, db_url)
    except SQLAlchemyError as err:
        raise ReportError(f"Could not read the gradebook {shown(db_url)}: {err.__class__.__name__}: "
                          f"{str(err).splitlines()[0]}") from None
    finally:
        engine.dispose()


def _read(db: Session, db_url: str) -> ClassData:
    people = {sid: (last, first, email) for sid, last, first, email in db.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.email))}
    students = sorted(people)
    assignments = {name: AssignmentInfo(name, due, {}) for name, due in
                   db.execute(select(Assignment.name, Assignment.duedate))}
    for assignment, cell, max_score, cell_type in db.execute(
            select(Assignment.name, GradeCell.name, GradeCell.max_score, GradeCell.cell_type)
            .join(Notebook, GradeCell.notebook_id == Notebook.id)
            .join(Assignment, Notebook.assignment_id == Assignment.id)):
        assignments[assignment].cells[cell] = (float(max_score), cell_type)
    for assignment, max_score in db.execute(
            select(Assignment.name, TaskCell.max_score)
            .join(Notebook, TaskCell.notebook_id == Notebook.id)
            .join(Assignment, Notebook.assignment_id == Assignment.id)):
        assignments[assignment].task_max += float(max_score or 0.0)

    penalties = dict(db.execute(
        select(SubmittedNotebook.assignment_id,
               func.coalesce(func.sum(SubmittedNotebook.late_submission_penalty), 0.0))
        .group_by(SubmittedNotebook.assignment_id)).all())
    by_id: dict[str, Submission] = {}
    for sub_id, student, assignment, timestamp, extension, duedate in db.execute(
            select(SubmittedAssignment.id, SubmittedAssignment.student_id, Assignment.name,
                   SubmittedAssignment.timestamp, SubmittedAssignment.extension, Assignment.duedate)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)):
        by_id[sub_id] = Submission(student, assignment, timestamp,
                                   seconds_late(timestamp, duedate, extension),
                                   float(penalties.get(sub_id) or 0.0))

    for sub_id, cell, auto, manual, extra, needs_manual in db.execute(
            select(SubmittedNotebook.assignment_id, GradeCell.name, Grade.auto_score,
                   Grade.manual_score, Grade.extra_credit, Grade.needs_manual_grade)
            .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
            .join(GradeCell, Grade.cell_id == GradeCell.id)):
        sub = by_id.get(sub_id)
        if sub is None:
            continue
        max_score = assignments[sub.assignment].cells.get(cell, (0.0, "code"))[0]
        sub.grades[cell] = CellGrade(max_score, auto, manual, extra, bool(needs_manual))

    for sub_id, cell, text in db.execute(
            select(SubmittedNotebook.assignment_id, BaseCell.name, Comment.manual_comment)
            .join(SubmittedNotebook, Comment.notebook_id == SubmittedNotebook.id)
            .join(BaseCell, Comment.cell_id == BaseCell.id)
            .where(Comment.manual_comment.is_not(None))):
        sub = by_id.get(sub_id)
        if sub is not None and cell in sub.grades and text.strip():
            sub.grades[cell].comment = text.strip()

    return ClassData(db_url, students, assignments,
                     {(s.student, s.assignment): s for s in by_id.values()}, people)


def seconds_late(timestamp, duedate, extension) -> float:
    """As nbgrader's SubmittedAssignment.total_seconds_late, from plain values."""
    if timestamp is None or duedate is None:
        return 0.0
    due = duedate + (extension or timedelta(0))
    return max(0.0, (timestamp - due).total_seconds())


def read_answers(data: ClassData, modules, course_dir: Path, autograded: str = "autograded",
                 submitted: str = "submitted") -> None:
    """Fill in each submission's answers from its graded (or else submitted) folder."""
    course_dir = Path(course_dir)
    for module in modules:
        for sub in data.submitted(module.folder):
            found = _answers_folder(course_dir, (autograded, submitted), sub.student, module.folder)
            if isinstance(found, str):
                read = learner_answers.LearnerAnswers(
                    {item.id: learner_answers.UNREADABLE for item in module.items}, found)
            else:
                read = learner_answers.read(found, module)
            sub.answers = read.answers
            if read.problem:
                data.unreadable_learners.append((sub.student, module.folder, read.problem))
            data.unreadable_answers += sum(a is learner_answers.UNREADABLE
                                           for a in sub.answers.values())


def _answers_folder(course_dir: Path, places, student: str, assignment: str) -> Path | str:
    """The graded (else submitted) folder of a submission, or why it cannot be read: a student or
    assignment folder that is a link is never followed (it may point at a classmate's work)."""
    for place in places:
        student_dir = course_dir / place / student
        folder = student_dir / assignment
        if is_real_folder(student_dir) and is_real_folder(folder):
            return folder
        for path in (student_dir, folder):
            why = not_a_folder(path)
            if why:
                return f"{place}/{path.relative_to(course_dir / place)} {why}, so it was not read"
    return course_dir / places[-1] / student / assignment   # neither exists: nothing answered
