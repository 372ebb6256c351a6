"""course grade's workers start with their one-time work done (course.worker_warmup).

A worker of course grade's pool (forked from the grading process, ``worker_pool.context``)
compiles no schema for what it does at its first submission: installing nbgrader's patched
steps, reading a notebook and checking it strictly and relaxed; nor does it import IPython, which
jupyter_client asks where kernels are installed when the worker starts its first kernel. Control:
a worker that starts from nothing (spawned) does both itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def imports_to_find_kernels() -> int:
    """In a worker: how many modules finding the kernel a submission runs in imports."""
    from jupyter_client.kernelspec import KernelSpecManager
    before = len(sys.modules)
    KernelSpecManager().get_kernel_spec("python3")
    return len(sys.modules) - before


def asked_of_a_worker(context: str, asked: str = "schemas_compiled_at_first_submission",
                args: str = repr(str(NOTEBOOK))) -> int:
    """What ``asked`` (a function of this module) returns in a pool's worker, the pool made in a
    process of its own (this one has imported and compiled what other tests needed)."""
    code = ("import sys, test_worker_warmup as t; from concurrent.futures import "
            "ProcessPoolExecutor; from multiprocessing import get_context; "
            "from course import worker_pool\n"
            "if __name__ == '__main__':\n"
            f"    context = {context}\n"
            "    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:\n"
            f"        print(pool.submit(t.{asked}, {args}).result())\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, check=True,
                          capture_output=True, text=True)
    return int(done.stdout.split()[-1])


def test_a_worker_of_the_grading_pool_compiles_nothing_at_its_first_submission():
    assert asked_of_a_worker("worker_pool.context()") == 0


def test_control_a_worker_started_from_nothing_compiles_them_itself():
    assert asked_of_a_worker("get_context('spawn')") >= 3


def test_a_worker_of_the_grading_pool_imports_nothing_to_find_its_kernel():
    assert asked_of_a_worker("worker_pool.context()", "imports_to_find_kernels", "") == 0


def test_control_a_worker_started_from_nothing_imports_ipython_to_find_it():
    assert asked_of_a_worker("get_context('spawn')", "imports_to_find_kernels", "") > 50
