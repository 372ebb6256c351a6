"""nbgrader without the work it repeats for every notebook, measured on Module 1 (bench/).

- The metadata check: ``jsonschema.validate(instance, schema)`` checks the *schema* first, on every
  call, and nbgrader calls it for every graded cell, twice per notebook. The schema is nbgrader's
  own constant, so its validator is made once: the same validator class, the same answer, the
  same (best-matching) error.
- Engines: nbgrader opens its gradebook about a dozen times per graded notebook, and each open
  makes a new SQLAlchemy engine, so every statement is compiled again. One engine per database
  URL (a few kept, the oldest disposed) keeps SQLAlchemy's compiled-statement cache warm.
- A new gradebook is stamped with nbgrader's newest schema revision, which nbgrader asks of the
  ``alembic`` command, a Python start of its own (0.3 to 0.8 s here); Alembic's own API gives the
  same revision in-process, asked once.
- Cell look-ups: nbgrader's OverwriteCells and SaveAutoGrades ask the gradebook for each graded
  cell's definition, grade and comment one at a time, each a query of up to six joins (dozens
  per notebook). ``PrefetchingGradebook`` answers them from one query per kind and notebook,
  and asks nbgrader's own look-up for any name it did not find, so a missing entry fails
  exactly as before. SaveAutoGrades also commits after every cell (on a real gradebook, a wait
  for the disk each time); through it, the same rows are committed once per notebook.
- A scratch gradebook (``course grade``'s copy of the assignment's definition, never the
  instructor's) is written without waiting for the disk after each of its forty-odd commits
  (``unsynced``), and each worker resets one file of its own for every submission
  (``scratch_copy``), so its engine, and SQLAlchemy's compiled statements, serve them all. Such a
  copy of a gradebook nbgrader made is opened without nbgrader's check that each table exists,
  without asking whether it has any, and, once an open has found its course, without asking
  for the course again (two queries and a commit of each open's three).

- Outputs: nbclient makes each output the kernel sends with nbformat's ``new_output``, which checks
  it against the schema's definition of an output with jsonschema (nbformat uses its compiled
  validator only for whole notebooks): about a tenth of a grading worker's CPU on Module 1. A
  compiled validator of the same definition answers first; an output it refuses is checked
  again by nbformat's own, so an invalid output fails exactly as before, with the same error.

``install()`` is called from ``course.nbgrader_ext.configure``, so ``nbgrader autograde`` with the
course's config gets the first four and the outputs' check as well.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections import OrderedDict

import jsonschema

#: The schema's definitions an output is checked against (by its type), and outputs in general.
OUTPUT_DEFINITIONS = ("output", "execute_result", "display_data", "stream", "error")

#: Engines kept at once (course grade's worker opens its scratch gradebook and a few others).
MAX_ENGINES = 4


class _CachedJsonschema:
    """What nbgrader's metadata validator uses of jsonschema, with one validator per schema."""

    ValidationError = jsonschema.ValidationError

    @staticmethod
    @functools.lru_cache(maxsize=8)
    def _validator(schema_text: str):
        schema = json.loads(schema_text)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)

    def validate(self, instance, schema) -> None:
        """As ``jsonschema.validate``: raise the best-matching error, if any."""
        validator = self._validator(json.dumps(schema, sort_keys=True))
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    def __getattr__(self, name):
        return getattr(jsonschema, name)


class _Engines:
    """``create_engine`` for nbgrader's Gradebook: one engine per URL, the last few kept."""

    def __init__(self, create_engine):
        self.create_engine = create_engine
        self.engines: OrderedDict = OrderedDict()
        self.unsynced: set = set()
        self.copies: set = set()   # URLs of scratch copies of a gradebook nbgrader made
        self.courses: set = set()  # (URL, course) of a copy found to hold that course
        self.lock = threading.Lock()
        self.inherited: list = []  # a forked process's: its parent's engines, never touched

    def set_aside(self) -> None:
        """In a process just forked (course grade's workers): make engines of its own. Its
        parent's are kept, neither used nor closed, for their connections are the parent's
        (closing one would end the parent's session on a database server)."""
        self.lock = threading.Lock()
        self.inherited += self.engines.values()
        self.engines.clear()

    def __call__(self, url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        with self.lock:
            engine = self.engines.get(key)
            if engine is None:
                engine = self.create_engine(url, **kwargs)
                if str(url) in self.unsynced:
                    _without_syncing(engine)
                self.engines[key] = engine
                while len(self.engines) > MAX_ENGINES:
                    self.engines.popitem(last=False)[1].dispose()
            self.engines.move_to_end(key)
            # nbgrader disposes the engine when it closes the gradebook: that only empties its
            # pool of connections; the engine and its statement cache stay usable.
            return engine

    def release(self, url: str) -> None:
        """Close the pooled connections to ``url``; its engine stays."""
        with self.lock:
            for key in [k for k in self.engines if k[0] == url]:
                self.engines[key].dispose()

    def forget(self, url: str) -> None:
        with self.lock:
            self.unsynced.discard(url)
            self.copies.discard(url)
            self.courses -= {key for key in self.courses if key[0] == url}
            for key in [k for k in self.engines if k[0] == url]:
                self.engines.pop(key).dispose()


def _compiled_output_check():
    """nbformat's ``nbformat.v4.nbbase.validate`` (what ``new_output`` calls), answered by a
    compiled validator for outputs; anything it refuses, and any other kind of node, goes to
    nbformat's own, which raises its own error."""
    import fastjsonschema
    from nbformat import validator
    from nbformat.v4 import nbbase

    stock = nbbase.validate
    schema = validator._get_schema_json(nbbase, version=nbbase.nbformat,
                                        version_minor=nbbase.nbformat_minor)
    # new_output names the output's own type as the definition to check against.
    checks = {ref: fastjsonschema.compile({**schema, "$ref": f"#/definitions/{ref}"})
              for ref in OUTPUT_DEFINITIONS}

    def validate(node, ref=None):
        check = checks.get(ref)
        if check is not None:
            try:
                check(node)
                return None
            except fastjsonschema.JsonSchemaException:
                pass
        return stock(node, ref=ref)

    validate.stock = stock
    return validate


def _without_syncing(engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = MEMORY")
        cursor.close()


@functools.lru_cache(maxsize=1)
def alembic_head() -> str:
    """nbgrader's ``get_alembic_version()``: the newest revision of its schema migrations."""
    import os

    import nbgrader
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location",
                           os.path.join(os.path.dirname(nbgrader.__file__), "alembic"))
    return ScriptDirectory.from_config(config).get_heads()[0]


def _prefetching_gradebook():
    from nbgrader import api

    from course.gradebook import by_cell_name

    class PrefetchingGradebook(api.Gradebook):
        """nbgrader's Gradebook whose per-cell look-ups read each notebook's cells once, and
        whose users' commits (SaveAutoGrades commits after every cell) are made once, when it
        closes (leaving its ``with`` block closes it)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.db.commit = self.db.flush   # the session's own commit is made on close
            self._stopped_by_error = False

        def __exit__(self, exc_type, exc_value, traceback):
            self._stopped_by_error = exc_type is not None
            self.close()

        def close(self):
            try:
                if self.db.__dict__.pop("commit", None) is not None:
                    try:
                        self.db.commit()   # what nbgrader would have committed cell by cell
                    except Exception:
                        self.db.rollback()
                        if not self._stopped_by_error:   # else that error is the one to report
                            raise
            finally:
                super().close()

        def _rows(self, key: tuple, load) -> dict:
            cache = self.__dict__.setdefault("_prefetched", {})
            if key not in cache:
                try:
                    cache[key] = load()
                except api.MissingEntry:   # nbgrader's own look-up says what is missing
                    cache[key] = {}
            return cache[key]

        def _definition(self, kind: str, notebook: str, assignment: str) -> dict:
            return self._rows((kind, notebook, assignment), lambda: {
                cell.name: cell
                for cell in getattr(super(PrefetchingGradebook, self).find_notebook(
                    notebook, assignment), kind)})

        def find_source_cell(self, name, notebook, assignment):
            found = self._definition("source_cells", notebook, assignment).get(name)
            return found or super().find_source_cell(name, notebook, assignment)

        def find_graded_cell(self, name, notebook, assignment):
            # As nbgrader: a grade cell of that name first, then a task cell.
            found = (self._definition("grade_cells", notebook, assignment).get(name)
                     or self._definition("task_cells", notebook, assignment).get(name))
            return found or super().find_graded_cell(name, notebook, assignment)

        def _submitted(self, model, preferred: str, notebook, assignment, student) -> dict:
            return self._rows((model.__name__, notebook, assignment, student), lambda: by_cell_name(
                self, model, self.find_submission_notebook(notebook, assignment, student),
                preferred))

        def find_grade(self, grade_cell, notebook, assignment, student):
            found = self._submitted(api.Grade, "GradeCell", notebook, assignment,
                                    student).get(grade_cell)
            return found or super().find_grade(grade_cell, notebook, assignment, student)

        def find_comment(self, solution_cell, notebook, assignment, student):
            found = self._submitted(api.Comment, "SolutionCell", notebook, assignment,
                                    student).get(solution_cell)
            return found or super().find_comment(solution_cell, notebook, assignment, student)

    return PrefetchingGradebook


def _no_schema_check_for_copies(metadata) -> None:
    """nbgrader checks every table exists each time it opens a gradebook (about a dozen times per
    notebook); a throw-away copy of a gradebook nbgrader made (``scratch_copy``) has them all."""
    stock = metadata.create_all

    def create_all(bind=None, **kwargs):
        if bind is not None and str(bind.url) in _engines.copies:
            return None
        return stock(bind=bind, **kwargs)

    metadata.create_all = create_all


def _quick_opens_for_copies(api) -> None:
    """Each time it opens, nbgrader's Gradebook also asks the database whether it has any table
    (to stamp a new one with its schema revision) and whether the course is in it (adding it if
    not): two queries and a commit, most of an open's cost, a dozen opens per notebook. A scratch
    copy is of a gradebook nbgrader made: it has every table, and once an open has found (or
    added) a course, the copy has it until ``scratch_copy`` resets the file."""
    stock_inspect, stock_init, stock_check = api.inspect, api.Gradebook.__init__, \
        api.Gradebook.check_course
    known = threading.local()   # this open's course is known to be in its copy

    def inspect(subject, *args, **kwargs):
        if str(getattr(subject, "url", "")) in _engines.copies:
            return _EveryTable(api.Base.metadata)
        return stock_inspect(subject, *args, **kwargs)

    def __init__(self, db_url, course_id="default_course", authenticator=None):
        key = (str(db_url), course_id)
        known.course = key in _engines.courses
        try:
            stock_init(self, db_url, course_id, authenticator)
        finally:
            known.course = False
        if key[0] in _engines.copies:
            _engines.courses.add(key)

    def check_course(self, course_id="default_course", **kwargs):
        if getattr(known, "course", False):   # asked by the open itself (which ignores the answer)
            known.course = False
            return None
        return stock_check(self, course_id, **kwargs)

    api.inspect = inspect
    api.Gradebook.__init__ = __init__
    api.Gradebook.check_course = check_course


class _EveryTable:
    """An inspector's answer for a scratch copy: the tables of the gradebook it is a copy of."""

    def __init__(self, metadata):
        self.metadata = metadata

    def get_table_names(self) -> list:
        return sorted(self.metadata.tables)


_engines: _Engines | None = None


def _after_fork() -> None:
    if _engines is not None:
        _engines.set_aside()


os.register_at_fork(after_in_child=_after_fork)


def install() -> None:
    """Apply them to nbgrader in this process (idempotent)."""
    global _engines
    if _engines is None:
        from nbformat.v4 import nbbase
        from nbgrader import api
        from nbgrader.nbgraderformat import common
        from nbgrader.preprocessors import overwritecells, saveautogrades
        common.jsonschema = _CachedJsonschema()
        _engines = _Engines(api.create_engine)
        api.create_engine = _engines
        api.get_alembic_version = alembic_head
        overwritecells.Gradebook = saveautogrades.Gradebook = _prefetching_gradebook()
        _no_schema_check_for_copies(api.Base.metadata)
        _quick_opens_for_copies(api)
        nbbase.validate = _compiled_output_check()


def unsynced(url: str) -> None:
    """Write the gradebook at ``url`` without syncing; only for a copy that is thrown away, never
    for a gradebook anyone keeps. (Before its engine is made.)"""
    install()
    _engines.unsynced.add(url)


def scratch_copy(template, path) -> str:
    """Reset the throw-away gradebook at ``path`` to a copy of ``template``; its URL. Used again
    for the next submission, the same path keeps its engine."""
    from pathlib import Path

    url = f"sqlite:///{path}"
    install()
    _engines.release(url)   # no connection may see the file change under it
    _engines.courses -= {key for key in _engines.courses if key[0] == url}
    Path(path).write_bytes(Path(template).read_bytes())
    _engines.unsynced.add(url)
    _engines.copies.add(url)
    return url


def forget(url: str) -> None:
    """Drop the engine of a gradebook that is about to be deleted."""
    if _engines is not None:
        _engines.forget(url)
