"""Waiting for something that happens in another process, without a fixed sleep."""

from __future__ import annotations

import time


def until(condition, seconds: float = 60) -> bool:
    """Whether ``condition()`` came true within ``seconds`` (asked every tenth of a second)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()
