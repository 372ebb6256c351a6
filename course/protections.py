"""The grading protections, each one a setting that is on unless switched off on purpose.

They exist as settings so that the tests can switch exactly one off and show that its attack then
succeeds (a control): proof that the test guarding it can fail. Nobody grading a real class should
turn one off; every grading run with one off says so in its log.
"""

from __future__ import annotations

from traitlets import Bool
from traitlets.config import Configurable


class Protections(Configurable):
    """``c.Protections.<name> = False`` switches one protection off (tests only)."""

    regular_files_only = Bool(True, help=(
        "Grade, collect and report on a submission's regular files only: links, pipes, devices "
        "and sockets are never opened, followed or copied.")).tag(config=True)
    canonical_metadata = Bool(True, help=(
        "Replace the nbgrader metadata of every submitted cell with the assignment's own, so a "
        "forged schema version or grade mark cannot stop or skew grading.")).tag(config=True)
    capped_filesystems = Bool(True, help=(
        "Inside the sandbox, / and /dev are read-only and every writable file system has a size "
        "cap.")).tag(config=True)
    private_sockets = Bool(True, help=(
        "The kernel's sockets live on a small file system inside the sandbox, not in a folder of "
        "the host's disk that the kernel could fill.")).tag(config=True)
    shared_budget = Bool(True, help=(
        "Memory and processes are bounded for the kernel and all its children together (a cgroup "
        "where one can be made, else a watchdog), not per process.")).tag(config=True)
    bounded_messages = Bool(True, help=(
        "A message from the kernel larger than the grader keeps is refused before it is read "
        "into the grader's memory.")).tag(config=True)
    grader_package = Bool(True, help=(
        "The sandboxed kernel imports the very copy of the course package that the grader "
        "loaded.")).tag(config=True)
    sandboxed_workers = Bool(True, help=(
        "On a Dask cluster, a worker that cannot make the sandbox refuses to grade, whatever "
        "COURSE_ALLOW_UNSANDBOXED says on it.")).tag(config=True)
    fresh_namespaces = Bool(True, help=(
        "Each warm kernel (forked from the process that has the kernels' imports done) makes new "
        "namespaces and fresh file systems of its own before any student code runs, so nothing "
        "passes from one student's kernel to the next.")).tag(config=True)
    inert_views = Bool(True, help=(
        "Graded notebooks keep no student HTML or script, so nothing a student wrote runs in a "
        "grader's browser. (The second layer, sanitising every HTML page made from a notebook, is "
        "nbconvert's own c.HTMLExporter.sanitize_html with the course's markdown2html filter, and "
        "is switched off there.)")).tag(config=True)

    def switched_off(self) -> list[str]:
        return [name for name in self.trait_names(config=True) if not getattr(self, name)]

    def warn_if_any_off(self, log) -> None:
        off = self.switched_off()
        if off:
            log.warning("GRADING WITH PROTECTIONS SWITCHED OFF: %s. Never do this for a real "
                        "class.", ", ".join(off))
