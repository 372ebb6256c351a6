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
course_config = os.path.join(root, "nbgrader_config.py")
# load_subconfig skips a missing file without a word, and formgrader would then grade with none
# of the course's protections: stop instead.
if not os.path.isfile(course_config):
    raise FileNotFoundError(
        f"{course_config} is missing, so nbgrader would run without the course's protections "
        f"(grading sandbox, keys kept out of release/). {root} must be the course directory "
        "that holds it: the hub links it there as the server starts (if the link is broken or "
        "a folder is in its way, fix that and restart the server); on Kubernetes, mount the "
        "course's volume there (deploy/README.md).")
load_subconfig(course_config)  # noqa: F821 (provided by nbgrader)
