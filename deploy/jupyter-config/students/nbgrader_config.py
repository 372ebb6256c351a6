"""nbgrader for a student's server: where the course's assignments and feedback are exchanged.

The student id is the student's own login (nbgrader reads it from the operating system).
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.course_id = "customer-service-in-security"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
