"""`course check` on every module, with the real nbgrader CLI (a file of its own: it is one of the
longest, and `make test` runs each file on one worker)."""

import pytest

from course import verify

from conftest import MODULES, ROOT

pytestmark = pytest.mark.pipeline


@pytest.mark.parametrize("folder", [m["folder"] for m in MODULES], ids=[m["id"] for m in MODULES])
def test_course_check_solution_full_blank_zero_partial_exact_widget_equals_typed(folder):
    rows = verify.run(ROOT, [folder])
    print(verify.table(rows))
    assert rows and all(r.ok for r in rows)
    by = {r.student: r.got for r in rows}
    assert by["widget"] == by["solution"] > 0
    assert by["blank"] == 0
    assert 0 < by["partial"] < by["solution"]
    assert 0 < by["credit"] < by["solution"], "every module has an item that gives partial credit"
