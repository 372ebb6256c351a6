"""The real nbgrader CLI, end to end, in scratch course directories."""

import nbformat
import pytest
from nbclient import NotebookClient

from course import demo, items, notebooks
from course.gradebook import db_url, existing_course
from course.submissions import clicked, keys, typed

from conftest import MODULES, ROOT

pytestmark = pytest.mark.pipeline


def run_all(nb, folder):
    """Execute like JupyterLab's Run All on a fresh kernel: stop at the first error."""
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def printed(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_run_all_on_a_fresh_student_notebook_reaches_the_end(module, release_nb, tmp_path):
    nb = run_all(nbformat.from_dict(release_nb), tmp_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    assert printed(nb).count("not answered yet") == len(notebooks.item_cells(nb))


def test_clicked_answers_are_found_by_a_fresh_kernel(module, source_nb, release_nb, tmp_path):
    """What the autograder does: no browser, a new kernel, only the saved file."""
    answers = keys(source_nb)
    clickable = {i: v for i, v in answers.items() if items.item(i).widget}
    clicked(tmp_path, clickable)
    typed_only = {i: v for i, v in answers.items() if i not in clickable}
    for _ in range(2):  # and again, as after a kernel restart
        nb = run_all(typed(nbformat.from_dict(release_nb), typed_only), tmp_path)
        assert printed(nb).count("is recorded and will be marked") == len(answers)
        assert "not answered yet" not in printed(nb)


#: One learner of each kind in the demo's class (the full class of forty is `make demo`'s job).
SMALL_CLASS = [(name, kind) for name, kind in demo.CLASS
               if name in {"amara", "ben", "dara", "eli", "fatima", "gus", "ines"}]


#: The first and the last module of the catalogue; `course check` grades every module, and
#: `make demo` runs the whole course.
DEMO_MODULES = [MODULES[0]["folder"], MODULES[-1]["folder"]]


def test_demo_grades_a_fictional_class_and_exports_csv(tmp_path, capsys):
    assert {kind for _, kind in SMALL_CLASS} == set(demo.PROFILES)
    out = demo.run(ROOT, tmp_path / "demo", learners=SMALL_CLASS, modules=DEMO_MODULES)
    output = capsys.readouterr().out
    rows = demo.read_csv(out / "grades.csv")
    students = {r["student_id"] for r in rows}
    assert students == {name for name, _ in SMALL_CLASS}
    assert {r["assignment"] for r in rows} == set(DEMO_MODULES)
    for name, _ in SMALL_CLASS:
        assert name in output
    assert existing_course(db_url(out)) == "customer-service-in-security"
    report = out / "report" / "report.html"
    assert report.is_file() and f"Instructor report: {report}" in output
    score = {r["student_id"]: float(r["raw_score"]) for r in rows if r["assignment"] ==
             DEMO_MODULES[0]}
    assert score["fatima"] == 0                   # the blank submission
    assert score["amara"] > score["dara"]         # strong beats weak
