"""nbgrader configuration for the course.

Every setting lives in ``course.nbgrader_ext.configure`` so that the nbgrader CLI, formgrader's
buttons and the ``course`` command all get the same behaviour (and so that it is tested).
"""

import os

from course.nbgrader_ext import configure

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
configure(c, root=os.path.dirname(os.path.abspath(__file__)))
