"""course grade's workers start with their one-time work done (course.worker_warmup).

A worker forked from the pool's fork server compiles no schema for what it does at its first
submission: installing nbgrader's patched steps, reading a notebook and checking it strictly and
relaxed. Control: a worker that starts from nothing (spawned) compiles them itself."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from course import worker_pool

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "m1_first_contact" / "first_contact.ipynb"


def schemas_compiled_at_first_submission(notebook: str) -> int:
    """In a worker: how many schemas a first submission's checks compile."""
    import fastjsonschema
    import nbformat

    from course import nbgrader_speed, safe_autograde
    compiled = []
    stock = fastjsonschema.compile

    def counting(*args, **kwargs):
        compiled.append(1)
        return stock(*args, **kwargs)

    fastjsonschema.compile = counting
    try:
        safe_autograde.install()
        nbgrader_speed.install()
        nb = nbformat.read(notebook, as_version=4)   # checked as it is read
        nbformat.validate(nb, relax_add_props=True)
        nbformat.v4.new_output("stream", name="stdout", text="x")   # an output's own check
    finally:
        fastjsonschema.compile = stock
    return len(compiled)


def compiled_in(context) -> int:
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(schemas_compiled_at_first_submission, str(NOTEBOOK)).result()


def test_a_worker_from_the_fork_server_compiles_nothing_at_its_first_submission():
    assert compiled_in(worker_pool.fork_server()) == 0


def test_control_a_worker_started_from_nothing_compiles_them_itself():
    assert compiled_in(get_context("spawn")) >= 3
