"""The hostile class: every attack of the threat model, as a submission to grade.

Each case writes one learner's submission folder and says what it must score (what its honest
answers earn, usually zero), which words the graded notebook must show, and any further check on
the graded notebook. tests/hostile_kit.py grades them all, with two honest learners, in one run per
grader. COURSE_DESIGN.md section 7 is the threat model; docs/grading.md maps each attack to its
protection.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

from course import notebooks
from course import submissions as subs

FOLDER, NAME = "m1_first_contact", "first_contact"
HONEST = ("aaa_honest_typed", "zzz_honest_clicked")
#: From a submission folder (submitted/<student>/<assignment>/) up to the course folder.
TO_COURSE = "../../.."

@dataclass
class Case:
    build: Callable          # (release nb, keys, folder) -> None: writes the submission folder
    expected: float
    reason: str | tuple = ""  # words (or each of several) that the graded notebook must show
    check: Callable | None = None   # (graded notebook text) -> a problem, or None


def reasons(case: Case) -> tuple:
    return case.reason if isinstance(case.reason, tuple) else ((case.reason,) if case.reason else ())


def inject(nb, item_id: str, code: str):
    """Append code to an answer cell, as a learner typing into it would."""
    cell = notebooks.answer_cells(nb)[item_id]
    cell.source += "\n" + code
    return nb


def write(folder: Path, nb, clicks=None):
    subs.write_submission(folder.parent.parent, folder.parent.name, FOLDER, NAME, nb, clicks)


Q1 = "m1_q1_point_of_contact"
Q2 = "m1_q2_approachable_manner"
Q3 = "m1_q3_reporting"

THIEF = r'''
import glob, os, re, course
places = [os.path.dirname(os.path.dirname(course.__file__)), "/", "/tmp", "/root", "..", "../..", "."]
stolen = {}
for place in places:
    if stolen:
        break
    for path in glob.glob(os.path.join(place, "**", "*.ipynb"), recursive=True)[:500]:
        try:
            text = open(path, errors="ignore").read()
        except OSError:
            continue
        for item, key in re.findall(r'expect\(\\"(m1_q\d_\w+)\\", q\d, (.*?)\)\\n', text):
            stolen[item] = eval(key.replace('\\"', '"'))
print("thief found", sorted(stolen))
saved_answer = lambda item_id, *args: stolen.get(item_id)   # every later answer cell asks this
q1 = saved_answer("m1_q1_point_of_contact")
'''

HIDDEN_READER = r'''
import re
_ip = get_ipython()
def _steal(info):
    for var, key in re.findall(r'expect\("m1_q\d_\w+", (q\d), (.+)\)', info.raw_cell or ""):
        _ip.user_ns[var] = eval(key)
_ip.events.register("pre_run_cell", _steal)
'''

VANDAL = r'''
import glob, os, shutil, course
targets = glob.glob("/**/gradebook.db", recursive=True) + glob.glob("../**/*.ipynb", recursive=True)
targets += [os.path.join(os.path.dirname(os.path.dirname(course.__file__)), "gradebook.db")]
for t in targets:
    for attempt in (lambda: open(t, "w").write("gone"), lambda: os.remove(t)):
        try:
            attempt()
        except OSError:
            pass
for d in ["..", "../..", "../../..", "/tmp", os.path.dirname(course.__file__)]:
    shutil.rmtree(d, ignore_errors=True)
'''

CHEAT = r'''
class AlwaysEqual:
    def __eq__(self, other): return True
    def __hash__(self): return 0
class SneakyStr(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__
q1, q2, q3, q4, q5, q6, q7 = (SneakyStr("a"), {AlwaysEqual()}, AlwaysEqual(), AlwaysEqual(),
                              SneakyStr("b"), {"campus": AlwaysEqual()}, AlwaysEqual())
'''

SWALLOWER = r'''
_ip = get_ipython()
_ip.set_custom_exc((BaseException,), lambda *a, **k: None)
_ip.showtraceback = lambda *a, **k: None
'''

PATCHER = r'''
import builtins, course.hidden_tests, course.verdicts
course.hidden_tests.expect = lambda *a, **k: None
course.hidden_tests.same_plain = lambda *a, **k: True
course.hidden_tests.emit = lambda *a, **k: None
builtins.AssertionError = type("Nope", (Exception,), {})
'''

FAKE_RESULT = r'''
import sys
_ip = get_ipython()
def _fake(result):
    _ip.displayhook(1000)                       # nbgrader reads a number as partial credit
    from IPython.display import display
    display({"application/vnd.course.answer+json": {"item": "m1_q1_point_of_contact",
             "value": {"t": "str", "v": "b"}}}, raw=True)
_ip.events.register("post_run_cell", _fake)
'''


def network_payload(port: int) -> str:
    return f'''
import socket, urllib.request
for attempt in (lambda: urllib.request.urlopen("http://127.0.0.1:{port}/leak", timeout=3),
                lambda: socket.create_connection(("pypi.org", 443), timeout=3)):
    try:
        attempt()
        print("network reached")
    except Exception as err:
        print("no network:", type(err).__name__)
'''



LOCAL_THIEF = r"""
import glob, sqlite3
found = []
for path in glob.glob("**", recursive=True):
    try:
        if "BEGIN HIDDEN " + "TESTS" in open(path, errors="ignore").read():
            found.append(path)
    except OSError:
        pass
for db in glob.glob("*.db"):
    try:
        sqlite3.connect(db).execute("select source from source_cell").fetchall()
        found.append(db)
    except Exception:
        pass
print("local thief found", sorted(found))
"""

FILESYSTEM_FILLER = r"""
import errno, os
def fill(folder, limit_mb=400):
    written = 0
    try:
        os.makedirs(folder, exist_ok=True)
        for n in range(10_000):
            with open(os.path.join(folder, f"fill{n}.bin"), "wb") as f:
                for _ in range(16):
                    if written >= limit_mb:
                        return f"{folder}: wrote {written} MB"
                    f.write(b"x" * (1 << 20))
                    written += 1
    except OSError as err:
        return f"{folder}: stopped after {written} MB ({errno.errorcode.get(err.errno, err.errno)})"
for folder in ["/dev/shm/f", "/tmp/f", "/run/kernel/f", "/f", "/dev/f", "/home/student/work/f"]:
    print("FILL", fill(folder))
for line in open("/proc/self/mountinfo"):
    mount, options = line.split()[4], line.split()[5].split(",")
    if "rw" in options and not mount.startswith(("/proc", "/dev/pts")):
        print("FILL", fill(os.path.join(mount, "more"), 300))
"""

DEEP_TREES = r"""
import os
for base in ["/home/student/work", "/tmp"]:
    fd = os.open(base, os.O_RDONLY)
    for _ in range(1500):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
print("deep trees made")
"""

MEMORY_SPREAD = r"""
import subprocess, sys
hog = "b = bytearray(800 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\nimport time; time.sleep(4)"
kids = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(3)]
print(f"children done: {sum(k.wait() == 0 for k in kids)} of 3")
"""

OUTPUT_BOMB = r"""
from IPython.display import display
display({"text/plain": "x" * (100 << 20)}, raw=True)
"""

XSS_OUTPUT = r"""
from IPython.display import HTML, Javascript, Markdown, SVG, display
display(HTML('<script>window.__xss = "html"</script><img src=x onerror="window.__xss = 1">'))
display(Javascript('window.__xss = "js"'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>window.__xss = "svg"</script></svg>'))
display(Markdown('<img src=x onerror="window.__xss = 2">'))
display({"image/png": 'x" onerror="window.__xss = 3', "text/plain": "an image"}, raw=True)
"""

XSS_TEXT = ('Good question. <img src=x onerror="window.__xss = \'reflection\'"> '
            '[see this](javascript:window.__xss=5) <script>window.__xss = "md"</script>')

PACKAGE_PROBE = "import course\nprint('package at', course.__file__)"

#: Each capped file system, and the most that may be written there (MB); None: read-only.
WRITE_CAPS = {"/dev/shm/f": 64, "/tmp/f": 64, "/run/kernel/f": 1, "/f": None, "/dev/f": None,
              "/home/student/work/f": 256}


def filler_problem(text: str) -> str | None:
    lines = dict(re.findall(r"FILL (\S+): (.*?)(?:\\n|\n|$)", text))
    for folder, cap in WRITE_CAPS.items():
        line = lines.get(folder, "")
        if cap is None:
            if "EROFS" not in line:
                return f"{folder} was writable: {line!r}"
            continue
        written = re.search(r"(\d+) MB", line)
        if not written or int(written.group(1)) > cap or "wrote" in line:
            return f"{folder} took more than {cap} MB: {line!r}"
    return None


def process_count_problem(text: str) -> str | None:
    found = re.search(r"stopped at (\d+)", text)
    if not found or int(found.group(1)) > 64:
        return f"the process limit did not hold: {found.group(0) if found else 'no count'}"
    return None


def memory_problem(text: str) -> str | None:
    if "children done: 3 of 3" in text:
        return "three children of 800 MB each finished under a 2048 MB budget"
    if "children done:" not in text and "of memory in all" not in text:
        return "the memory spread left no trace"
    return None


def inert_problem(text: str) -> str | None:
    nb = json.loads(text)
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            rich = set(out.get("data", {})) - {"text/plain", "image/png", "image/jpeg"}
            if rich:
                return f"an output kept {sorted(rich)}"
            if "onerror" in json.dumps(out.get("data", {})):
                return "an output kept an event attribute"
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] in ("markdown", "raw") and re.search(r"<script|onerror|javascript:",
                                                                    source):
            if not source.startswith("~~~"):
                return f"a {cell['cell_type']} cell kept raw HTML: {source[:80]!r}"
    return None


def build_cases(port: int, sleep_seconds: int) -> dict:
    def answered(answers, extra=None):
        def build(rel, keys, folder):
            nb = subs.typed(rel, {k: keys[k] for k in answers})
            for item, code in (extra or {}).items():
                inject(nb, item, code)
            write(folder, nb)
        return build

    def raw(data: bytes, name=f"{NAME}.ipynb"):
        def build(rel, keys, folder):
            folder.mkdir(parents=True)
            (folder / name).write_bytes(data)
        return build

    def renamed(rel, keys, folder):
        folder.mkdir(parents=True)
        nbformat.write(subs.typed(rel, keys), str(folder / "my_work.ipynb"))

    def missing(rel, keys, folder):
        folder.mkdir(parents=True)

    def only_clicks(rel, keys, folder):
        folder.mkdir(parents=True)
        subs.clicked(folder, {Q1: keys[Q1]})

    def deleted_test(rel, keys, folder):
        nb = subs.typed(rel, keys)
        nb.cells = [c for c in nb.cells if notebooks.nbgrader_meta(c).get("grade_id")
                    != "m1_test_q1_point_of_contact"]
        write(folder, nb)

    def tampered_tests(rel, keys, folder):
        nb = subs.typed(rel, {})
        extra = []
        for cell in nb.cells:
            if notebooks.course_meta(cell).get("role") == "item":
                cell.source = "pass"
                twin = copy.deepcopy(cell)
                twin.id = cell.id + "-twin"
                extra.append(twin)
        nb.cells += extra
        write(folder, nb)

    def bonus_cell(rel, keys, folder):
        nb = subs.typed(rel, {})
        cell = nbformat.v4.new_code_cell("print('bonus')", id="bonus")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "points": 100, "grade_id": "m1_bonus", "schema_version": 3}
        nb.cells.append(cell)
        write(folder, nb)

    def big_file(rel, keys, folder):
        write(folder, subs.typed(rel, keys))
        with open(folder / "holiday_video.bin", "wb") as f:
            f.seek(100 * 2**20)
            f.write(b"\0")

    def future_format(rel, keys, folder):
        nb = subs.typed(rel, keys)
        data = json.loads(nbformat.writes(nb))
        data["nbformat"] = 99
        raw(json.dumps(data).encode())(rel, keys, folder)

    def huge(rel, keys, folder):
        nb = subs.typed(rel, keys)
        nb.cells.append(nbformat.v4.new_markdown_cell("x" * (21 * 2**20)))
        write(folder, nb)

    def utf16(rel, keys, folder):
        raw(nbformat.writes(subs.typed(rel, keys)).encode("utf-16"))(rel, keys, folder)


    def linked(links: dict, answers=(), extra=None):
        """A submission whose files include links (name -> target, relative to its folder)."""
        def build(rel, keys, folder):
            answered(answers, extra)(rel, keys, folder)
            for name, target in links.items():
                path = folder / name
                if path.exists() or path.is_symlink():
                    path.unlink()
                path.symlink_to(target.replace("{course}", TO_COURSE))
        return build

    def with_fifo(rel, keys, folder):
        answered([Q1])(rel, keys, folder)
        os.mkfifo(folder / "m1_answers.json")

    def with_file(name: str, data: bytes, answers):
        def build(rel, keys, folder):
            answered(answers)(rel, keys, folder)
            (folder / name).write_bytes(data)
        return build

    def deep_submission(rel, keys, folder):
        answered(list(keys))(rel, keys, folder)
        (folder / os.path.join(*["nest"] * 20)).mkdir(parents=True)

    def marks(change):
        """Every answer typed, and the nbgrader metadata of the graded cells changed (written as
        raw JSON: nbformat's writer would quietly repair some of it)."""
        def build(rel, keys, folder):
            nb = subs.typed(rel, keys)
            for cell in nb.cells:
                meta = notebooks.nbgrader_meta(cell)
                if meta.get("grade") or meta.get("solution"):
                    change(cell, meta)
            folder.mkdir(parents=True)
            (folder / f"{NAME}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        return build

    def schema(version):
        def change(cell, meta):
            meta["schema_version"] = version
        return change

    def garbage(cell, meta):
        meta.update(solution="yes" if meta.get("solution") else meta["solution"], extra=[1, 2],
                    points="lots" if meta.get("grade") else meta.get("points", 0))
        cell.id = "dup"

    def xss_reflection(rel, keys, folder):
        nb = subs.typed(rel, {})
        for cell in nb.cells:
            if notebooks.nbgrader_meta(cell).get("solution") and cell.cell_type == "markdown":
                cell.source = XSS_TEXT
        nb.cells.append(nbformat.v4.new_markdown_cell(XSS_TEXT))
        nb.cells.append(nbformat.v4.new_raw_cell('<script>window.__xss = "raw"</script>',
                                                 metadata={"format": "text/html"}))
        write(folder, nb)

    list_all = [Q1, Q2, Q3, "m1_q4_de_escalation", "m1_q5_trust_over_time", "m1_q6_every_setting",
                "m1_q7_safety_and_service"]
    source_nb = "{course}/source/" + f"{FOLDER}/{NAME}.ipynb"
    classmate = f"../../{HONEST[1]}/{FOLDER}/m1_answers.json"
    link_reason = "is a link (to somewhere else)"

    right = {Q1: None}
    return {
        "thief": Case(answered([], {Q1: THIEF}), 0, "not answered"),
        "hidden_test_reader": Case(answered([], {Q1: HIDDEN_READER}), 0, "not answered"),
        "gradebook_vandal": Case(answered([], {Q1: VANDAL}), 0, "not answered"),
        "equality_cheat": Case(answered([], {Q1: CHEAT}), 0, "not a plain value"),
        "exception_swallower": Case(answered([], {Q1: SWALLOWER}), 0, "not answered"),
        "checker_patcher": Case(answered([], {Q1: PATCHER}), 0, "no answer could be read"),
        "fake_results": Case(answered([], {Q1: FAKE_RESULT}), 0, "tampering"),
        "infinite_loop": Case(answered(right, {Q2: "while True:\n    pass"}), 1, "longer than"),
        "stubborn_sleeper": Case(answered(right, {Q2: (
            "import time\nwhile True:\n    try:\n        time.sleep(1)\n"
            "    except KeyboardInterrupt:\n        pass")}), 1, "longer than"),
        "kernel_killer": Case(answered(right, {Q2: "import os\nos.kill(os.getpid(), 9)"}), 1,
                              "kernel stopped"),
        "memory_bomb": Case(answered([Q1, Q2, Q3], {Q2: "hog = [0] * 2**36  # half a terabyte"}),
                            4, "MemoryError"),
        "output_flood": Case(answered([], {Q1: "for _ in range(200000):\n    print('x' * 1000)"}), 0,
                             "the rest was dropped"),
        "process_flood": Case(answered(right, {Q1: (
            "import subprocess\nkids = []\ntry:\n    for _ in range(2000):\n"
            f"        kids.append(subprocess.Popen(['sleep', '{sleep_seconds}']))\nexcept OSError as err:\n"
            "    print('stopped at', len(kids), type(err).__name__)")}), 1, "stopped at",
                               check=process_count_problem),
        "network_user": Case(answered(right, {Q1: network_payload(port)}), 1, "no network"),
        "invalid_json": Case(raw(b'{"cells": [ this is not json'), 0, "not a valid notebook"),
        "odd_encoding": Case(utf16, 0, "not UTF-8"),
        "future_nbformat": Case(future_format, 0, "not a valid notebook"),
        "huge_notebook": Case(huge, 0, "far larger"),
        "missing_notebook": Case(missing, 0, "no notebook named first_contact.ipynb",
                                 ),
        # The notebook is lost but the saved clicks are the learner's answers: they count.
        "lost_notebook_kept_clicks": Case(only_clicks, 1, "no notebook named first_contact.ipynb",
                                          ),
        "renamed_notebook": Case(renamed, 0, "found: my_work.ipynb"),
        "deleted_test_cell": Case(deleted_test, 9, "was missing from the submission"),
        "tampered_test_cells": Case(tampered_tests, 0, "not answered"),
        "bonus_cell": Case(bonus_cell, 0, "not answered"),
        "huge_extra_file": Case(big_file, 9, "holiday_video.bin is 100 MB, larger than 64 MB"),
        # Links and special files (never followed, never copied; the reason is recorded).
        "link_notebook": Case(linked({f"{NAME}.ipynb": source_nb}), 0,
                              f"{NAME}.ipynb {link_reason}"),
        "link_classmate_clicks": Case(linked({"m1_answers.json": classmate}), 0,
                                      f"m1_answers.json {link_reason}"),
        "link_keys_beside": Case(linked({"notes.txt": source_nb, "keys.ipynb": source_nb,
                                         "grades.db": "{course}/gradebook.db",
                                         "course_files": "{course}/source"},
                                        extra={Q1: LOCAL_THIEF}),
                                 0, ("notes.txt " + link_reason, "course_files " + link_reason)),
        "pipe_for_answers": Case(with_fifo, 1, "m1_answers.json is a named pipe"),
        "link_devices": Case(linked({"m1_answers.json": "/dev/stdin", "video.bin": "/dev/zero",
                                     "timestamp.txt": "/dev/zero"}, answers=[Q1]), 1,
                             ("video.bin " + link_reason, "timestamp.txt " + link_reason)),
        "bad_timestamp": Case(with_file("timestamp.txt", b"yesterday-ish", list_all), 9,
                              "timestamp.txt does not hold a date"),
        "deep_submission": Case(deep_submission, 9, "folders deep"),
        # Grading marks: a newer or older schema, garbage fields; students after still graded.
        "mmm_schema_future": Case(marks(schema(4)), 9),
        "mmm_schema_old": Case(marks(schema(1)), 9),
        "mmm_marks_garbage": Case(marks(garbage), 9),
        # Resource escapes inside the sandbox.
        "filesystem_filler": Case(answered(right, {Q2: FILESYSTEM_FILLER}), 1, "FILL",
                                  check=filler_problem),
        "deep_trees": Case(answered(right, {Q2: DEEP_TREES}), 1, "deep trees made"),
        "memory_spread": Case(answered(right, {Q2: MEMORY_SPREAD}), 1, check=memory_problem),
        "output_bomb": Case(answered([], {Q1: OUTPUT_BOMB}), 0, "larger than the 1 MB"),
        "package_probe": Case(answered(right, {Q2: PACKAGE_PROBE}), 1,
                              "package at /opt/course/lib/course/__init__.py"),
        # Script for the grader's browser: outputs and markdown are kept inert.
        "xss_output": Case(answered(right, {Q2: XSS_OUTPUT}), 1, "is not kept in graded notebooks",
                           check=inert_problem),
        "xss_reflection": Case(xss_reflection, 0, "window.__xss", check=inert_problem),

    }


