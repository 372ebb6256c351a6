"""Where each notebook's grading time goes, measured as it is graded (bench/grade_bench.py prints it).

SafeExecute times the sandbox (made and torn down), the kernel's start until it answers, the cells
that only import (the course's imports) and the learner's other cells; ``course grade`` adds the
rest of its worker's time (nbgrader's own steps) and the parent's merging. The records are kept
for the last thousand notebooks graded in a process, so a long run costs no memory.
"""

from __future__ import annotations

import ast
import time
from collections import deque

PARTS = ("sandbox", "kernel start", "imports", "cells")
#: One dict per notebook graded in this process, the newest last.
RECENT: deque = deque(maxlen=1000)


def new() -> dict:
    record = dict.fromkeys(PARTS, 0.0)
    RECENT.append(record)
    return record


def since(record: dict, part: str, started: float) -> None:
    record[part] += time.perf_counter() - started


def only_imports(source: str) -> bool:
    """A code cell whose every statement is an import (the course's set-up cell)."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        return False
    return bool(body) and all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in body)
