"""nbgrader's Validate button tells a learner everything still to do, in plain words.

Validate runs the student's notebook with NBGRADER_EXECUTION=validate and lists the graded cells
that failed. The course's check cells never raise (so Run All reaches the end), so under Validate
they write an unanswered or unmarkable question to stderr, which nbgrader counts as failed. Here
nbgrader's own Validator (what the button and `nbgrader validate` call) runs the release notebook
of every module blank, half answered, with answers that cannot be marked, and complete.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.validator import Validator

from course import items, notebooks, submissions

from conftest import ROOT

pytestmark = pytest.mark.pipeline


def reflections(nb) -> list:
    return [c for c in nb.cells if notebooks.course_meta(c).get("role") == "reflection"]


def validate(nb, folder: Path, name: str) -> list[str]:
    """The error text of every cell Validate lists as failed, for ``nb`` saved in ``folder``."""
    folder.mkdir(parents=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    results = Validator().validate(str(path))
    assert set(results) <= {"failed"}, results   # no changed cell types or checksums
    return [f["raw_error"] for f in results.get("failed", [])]


@pytest.fixture(scope="module", params=notebooks.modules_in(ROOT), ids=lambda m: m["id"])
def release(request):
    module = request.param
    return module, notebooks.read(notebooks.release_notebook(ROOT, module))


def label_lines(errors: list[str], phrase: str) -> set[str]:
    """The questions named with ``phrase`` in Validate's list (sentences are wrapped)."""
    found = set()
    for error in errors:
        flat = " ".join(error.split())
        if phrase in flat:
            found.add(flat.split(phrase)[0].strip())
    return found


def test_validate_lists_every_unanswered_question_and_empty_reflection(release, tmp_path):
    module, nb = release
    specs = items.items(module["id"])
    half = {it.id: it.example() for it in specs[::2]}
    errors = validate(submissions.typed(nb, half), tmp_path / "half", module["notebook"])
    unanswered = {it.label for it in specs if it.id not in half}
    assert label_lines(errors, " is not answered yet") == unanswered
    empty = [e for e in errors if "You did not provide a response" in e]
    assert len(empty) == len(reflections(nb))
    assert len(errors) == len(unanswered) + len(empty)

    blank = validate(nb, tmp_path / "blank", module["notebook"])
    assert label_lines(blank, " is not answered yet") == {it.label for it in specs}


def test_validate_names_every_answer_that_cannot_be_marked(release, tmp_path):
    module, nb = release
    specs = items.items(module["id"])
    bad = {it.id: it.malformed()[0] for it in specs}
    errors = validate(submissions.typed(nb, bad), tmp_path / "bad", module["notebook"])
    assert label_lines(errors, " cannot be marked as it is") == {it.label for it in specs}


def test_validate_passes_a_complete_notebook(release, tmp_path):
    """Answered (right or wrong does not matter to Validate) and reflected on: nothing listed."""
    module, nb = release
    done = submissions.typed(nb, {it.id: it.example() for it in items.items(module["id"])})
    for cell in reflections(done):
        cell.source = "A short, honest paragraph about a shift on the front desk."
    assert validate(done, tmp_path / "done", module["notebook"]) == []


def test_control_without_stderr_validate_would_list_no_question(release, tmp_path, monkeypatch):
    """What the issue found: with the checks printing to stdout only, Validate names nothing but
    the reflections, so the test above is known to be able to fail."""
    module, nb = release
    folder = tmp_path / "control"
    folder.mkdir()
    path = folder / f"{module['notebook']}.ipynb"
    nbformat.write(nb, str(path))
    # The kernel is another process: make it see the switched-off check through a sitecustomize.
    (folder / "sitecustomize.py").write_text(
        "import course.checks\ncourse.checks.validating = lambda: False\n")
    monkeypatch.setenv("PYTHONPATH", str(folder))
    errors = [f["raw_error"] for f in Validator().validate(str(path)).get("failed", [])]
    assert label_lines(errors, " is not answered yet") == set()
    assert len(errors) == len(reflections(nb))
    shutil.rmtree(folder)
