"""Running untrusted student code during autograding, inside a bubblewrap sandbox.

The kernel sees only a read-only copy of its own submission (copied into a small private tmpfs to
work in) and the read-only Python environment: no course directory, no gradebook, no other student,
no home directory, no network. CPU time, memory, processes, file sizes and open files are bounded by
resource limits set inside the sandbox, where the kernel cannot raise them again.

Where no sandbox can be made, grading stops with a clear message unless the instructor opts out
explicitly (``COURSE_ALLOW_UNSANDBOXED=1`` or ``c.SafeExecute.require_sandbox = False``), and then it
warns loudly on every notebook.
"""

from course.sandbox.bwrap import Limits, SandboxUnavailable, probe

__all__ = ["Limits", "SandboxUnavailable", "probe"]
