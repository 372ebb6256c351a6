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
from pathlib import Path

from course import items
from course.safe_files import UnsafeFile, read_regular

#: Larger files are not read: no honest answers file comes near this.
MAX_BYTES = 256 * 1024


def answers_path(module_id: str, directory: str | os.PathLike | None = None) -> Path:
    return Path(directory or os.getcwd()) / f"{module_id}_answers.json"


class AnswerStore:
    """The saved answers of one module, in one folder."""

    def __init__(self, module_id: str, directory: str | os.PathLike | None = None):
        self.module_id = module_id
        self.path = answers_path(module_id, directory)

    def load(self) -> dict:
        """Every saved answer; a damaged file gives a clear warning and counts as empty.

        The file is opened only if it is a regular file of a sensible size: a link (to a
        classmate's answers, say), a pipe or a device is never read.
        """
        try:
            text = read_regular(self.path, MAX_BYTES)
        except FileNotFoundError:
            return {}
        except UnsafeFile as err:
            if err.errno == errno.EFBIG:
                return self._unreadable("it is far larger than saved answers can be")
            return self._unreadable(str(err))
        except OSError as err:
            return self._unreadable(f"it cannot be opened ({err.strerror})")
        try:
            data = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._unreadable("it is not valid JSON")
        if not isinstance(data, dict):
            return self._unreadable("it does not hold a table of answers")
        return data

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


def saved_answer(item_id: str, directory: str | os.PathLike | None = None):
    """The answer saved by this item's widget, or None if nothing was clicked yet."""
    item = items.item(item_id)
    value = AnswerStore(item.module, directory).get(item_id)
    return None if value is None else item.from_json(value)
