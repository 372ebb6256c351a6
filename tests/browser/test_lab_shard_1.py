"""The release notebooks of browser shard 1 (see lab_kit.py), in JupyterLab in Chromium."""

import pytest

from lab_kit import *  # noqa: F401,F403 (the shared checks and fixtures: lab_kit.__all__)
from lab_kit import opened_fixture

pytestmark = pytest.mark.browser
opened = opened_fixture(1)
