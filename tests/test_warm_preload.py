"""What the warm process imports once so that each kernel does not (course.sandbox.zygote).

Every module a kernel imports at its start, or for the course's own cells, costs that kernel a
few milliseconds of its own CPU if the warm process has not already imported it; measured, about
16 ms per kernel outside the sandbox (numpy.random, imported by the reseed every kernel does, 7 ms
there and 10 ms inside it). Here a fork of a process that ran the warm process's preload makes a direct kernel as the
sandbox does and runs a cell like the notebooks' (the course's checks, a hidden test's import, a
figure): nothing new is imported but matplotlib's inline backend, which is imported in each
kernel on purpose (imported without a shell, it could not hook into one). The control shows the
check fails without the list of kernel imports. And reseeding still gives each kernel its own
random numbers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CELL = """
from course.checks import check_answer
from course.hidden_tests import PLAIN_SCALARS
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.show()
"""

FORKED = r"""
import json, os, socket, sys, threading
from course.sandbox import zygote
if sys.argv[1] == "control":
    zygote.KERNEL_IMPORTS = ()
zygote.preload()
from course.sandbox import runner
ours, theirs = socket.socketpair()
threading.Thread(target=lambda: [None for _ in iter(lambda: ours.recv(1 << 20), b"")],
                 daemon=True).start()
report = os.dup(1)   # the kernel's streams take over descriptors 1 and 2
pid = os.fork()
if pid == 0:
    before = set(sys.modules)
    zygote.fresh_random_state()
    wire = runner.Wire(theirs)
    kernel = runner.make_kernel(wire, ["--HistoryManager.hist_file=:memory:"])
    runner.handle(kernel, wire, {"msg_type": "execute_request", "msg_id": "1",
                                 "content": {"code": sys.argv[2], "silent": False}})
    os.write(report, json.dumps(sorted(set(sys.modules) - before)).encode())
    os._exit(0)
os.waitpid(pid, 0)
"""


def imported_by_a_fresh_kernel(mode: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", FORKED, mode, CELL], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return {name for name in json.loads(done.stdout)
            if not name.startswith("matplotlib_inline")}


def test_a_kernel_imports_nothing_the_warm_process_could_have():
    assert imported_by_a_fresh_kernel("preloaded") == set()


def test_control_without_the_kernel_imports_each_kernel_imports_them_itself():
    found = imported_by_a_fresh_kernel("control")
    assert {"numpy.random", "sqlite3", "course.checks", "IPython.core.completerlib"} <= found


RESEED = r"""
import os, sys
from course.sandbox import zygote
zygote.preload()
import numpy
draws = []
for _ in range(2):
    read, write = os.pipe()
    if os.fork() == 0:
        if sys.argv[1] == "reseed":
            zygote.fresh_random_state()
        os.write(write, repr(numpy.random.random()).encode())
        os._exit(0)
    os.close(write)
    draws.append(os.read(read, 100))
    os.wait()
print(draws[0] != draws[1])
"""


@pytest.mark.parametrize("mode, differ", [("reseed", "True"), ("control", "False")])
def test_each_fork_draws_its_own_random_numbers_only_when_reseeded(mode, differ):
    done = subprocess.run([sys.executable, "-c", RESEED, mode], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip() == differ, done.stderr[-2000:]
