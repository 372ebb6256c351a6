"""The hostile class graded by `course grade` with stock ipykernel on ZeroMQ in the warm forks
(``c.SafeExecute.direct_kernel = False``), the supported alternative to direct kernels: every
protection the default gets proved by the same cases, on the other kind of kernel."""

import pytest

from hostile_kit import *  # noqa: F401,F403 (the shared checks and fixtures: hostile_kit.__all__)

pytestmark = pytest.mark.pipeline
GRADER = "course grade"
CONFIG = ["c.SafeExecute.direct_kernel = False"]


def test_the_class_was_graded_on_stock_kernels(graded):
    from course import course_config
    from course.safe_execute import SafeExecute
    from course.sandbox.warm_kernel import WarmKernelManager
    course = graded[0]
    config = course_config.load(course).config
    assert SafeExecute(config=config).kernel_manager_class is WarmKernelManager
