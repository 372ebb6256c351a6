"""Answers given through widgets, saved beside the notebook so they survive everything.

A click on a question widget writes the answer to ``<module>_answers.json`` in the notebook's
folder (the kernel's working directory). The answer cell reads it back with ``saved_answer``, so the
same value is found after a kernel restart, after closing and reopening the notebook, in the copy
that nbgrader submits and collects, and when the autograder re-executes the notebook without a
browser. The file holds plain JSON, so what it gives back is always a plain built-in value.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from course import items
from course.safe_files import UnsafeFile, read_regular

#: Larger files are not read: no honest answers file comes near this.
MAX_BYTES = 256 * 1024


def answers_path(module_id: str, directory: str | os.PathLike | None = None) -> Path:
    return Path(directory or os.getcwd()) / f"{module_id}_answers.json"


@dataclass(frozen=True)
class Saved:
    """What a module's answers file gave: the answers, or why a file that is there gave none.

    ``problem`` is None both when the answers were read and when there is no file yet (nothing
    clicked); it names the damage when the file is there but cannot count (a link, a pipe, too
    large, not JSON, not a table). The report needs that difference; a learner's notebook does not.
    """

    answers: dict
    problem: str | None = None


class AnswerStore:
    """The saved answers of one module, in one folder."""

    def __init__(self, module_id: str, directory: str | os.PathLike | None = None):
        self.module_id = module_id
        self.path = answers_path(module_id, directory)

    def read(self) -> Saved:
        """The saved answers, telling a damaged file from an absent one; never warns or raises.

        The file is opened only if it is a regular file of a sensible size: a link (to a
        classmate's answers, say), a pipe or a device is never followed, read or waited on.
        """
        try:
            text = read_regular(self.path, MAX_BYTES)
        except FileNotFoundError:
            return Saved({})
        except UnsafeFile as err:
            if err.errno == errno.EFBIG:
                return Saved({}, "it is far larger than saved answers can be")
            return Saved({}, str(err))
        except OSError as err:
            return Saved({}, f"it cannot be opened ({err.strerror or err})")
        try:
            data = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return Saved({}, "it is not valid JSON")
        if not isinstance(data, dict):
            return Saved({}, "it does not hold a table of answers")
        return Saved(data)

    def load(self) -> dict:
        """Every saved answer; a damaged file gives a clear warning and counts as empty."""
        saved = self.read()
        if saved.problem is not None:
            return self._unreadable(saved.problem)
        return saved.answers

    def get(self, item_id: str):
        return self.load().get(item_id)

    def save(self, item_id: str, value) -> None:
        """Store one answer; the write is atomic, so a crash never leaves half a file."""
        data = self.load()
        data[item_id] = value
        text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".answers-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _unreadable(self, why: str) -> dict:
        warnings.warn(
            f"Your saved answers in {self.path.name} could not be read: {why}. "
            "Answer by clicking again, or type your answers in the answer cells.",
            stacklevel=3,
        )
        return {}


def progress_key(item_id: str) -> str:
    """The key under which an unfinished answer to ``item_id`` (a graded scenario played part of
    the way) is kept in the answers file. No item id holds a dot, so ``saved_answer``, grading and
    the report, which read items' own keys only, never take it for an answer."""
    return f"{item_id}.unfinished"


def saved_answer(item_id: str, directory: str | os.PathLike | None = None):
    """The answer saved by this item's widget, or None if nothing was clicked yet."""
    item = items.item(item_id)
    value = AnswerStore(item.module, directory).get(item_id)
    return None if value is None else item.from_json(value)
