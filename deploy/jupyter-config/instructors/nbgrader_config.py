"""nbgrader for an instructor's server: the course directory, with every protection of the course.

The formgrader reads only the Jupyter configuration folders, not the course directory, so the
course's own nbgrader_config.py (the grading sandbox, the student-version stubs, the header) is
loaded from here: formgrader's buttons then grade exactly as `nbgrader autograde` does.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)
# The hub links the shared course directory here; formgrader needs it inside the home.
root = os.path.expanduser("~/customer-service-in-security")
c.CourseDirectory.root = root
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
load_subconfig(os.path.join(root, "nbgrader_config.py"))  # noqa: F821 (provided by nbgrader)
