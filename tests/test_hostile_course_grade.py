"""The hostile class graded by `course grade`: in parallel, sandboxed, with the course's config."""

import pytest

from hostile_kit import *  # noqa: F401,F403 (the shared checks and fixtures: hostile_kit.__all__)

pytestmark = pytest.mark.pipeline
GRADER = "course grade"
