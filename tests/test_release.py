"""The student versions: generated, in sync, clean, and free of anything graded."""

import json

import pytest

from course import build, notebooks
from course.nbgrader_ext import CODE_STUB, TEXT_STUB
from course.submissions import keys

from conftest import ROOT


def all_notebooks():
    return sorted(ROOT.glob("source/**/*.ipynb")) + sorted(ROOT.glob("release/**/*.ipynb"))


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_notebooks_have_no_outputs_and_sane_names(path):
    assert " " not in str(path.relative_to(ROOT))
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell.get("id")


def test_release_holds_nothing_graded(source_nb, release_nb):
    text = json.dumps(release_nb)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "expect(", "Rubric"):
        assert marker not in text, marker
    assert not [c for c in release_nb.cells if notebooks.course_meta(c).get("role") == "rubric"]
    for cell in notebooks.answer_cells(release_nb).values():
        assert CODE_STUB in cell.source
    reflections = [c for c in release_nb.cells if notebooks.course_meta(c).get("role") == "reflection"]
    assert reflections and all(c.source == TEXT_STUB for c in reflections)
    assert set(keys(source_nb)) == set(notebooks.answer_cells(release_nb))


def test_release_starts_with_the_course_header(release_nb):
    assert release_nb.cells[0].source.startswith("# Customer Service in Security")


@pytest.mark.pipeline
def test_release_is_in_sync_with_source():
    """`course build` is deterministic and release/ was regenerated after the last source change."""
    assert build.drift(ROOT) == []


def test_every_release_notebook_is_in_a_browser_shard():
    """The browser checks are dealt over SHARDS files; each shard needs its file, or notebooks
    would go unchecked in a browser without a failure."""
    import re
    kit = (ROOT / "tests" / "browser" / "lab_kit.py").read_text(encoding="utf-8")
    shards = int(re.search(r"^SHARDS = (\d+)$", kit, re.M).group(1))
    files = sorted((ROOT / "tests" / "browser").glob("test_lab_shard_*.py"))
    assert [f.stem for f in files] == [f"test_lab_shard_{n}" for n in range(shards)]
    for n, path in enumerate(files):
        assert f"opened = opened_fixture({n})" in path.read_text(encoding="utf-8"), path.name
