"""`course report`: statistics on a hand-checked fixture, the page, its figures, feedback, exports."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from course import cli, items, notebooks
from course import report as report_mod
from course.build import nbgrader, scratch_course
from course.report import analysis, feedback, gather, learner_answers, structure, synthetic
from course.report.structure import Item, Module, Reflection, Theme

from conftest import ROOT
from figure_kit import assert_not_blank

DUE = datetime(2026, 3, 6, 17, 0)


# ---------------------------------------------------------------- a class small enough to check by hand
def tiny_module() -> Module:
    themes = tuple(Theme(f"m1.t{k}", "m1", f"Theme {k}", f"Do thing {k} well.", (f"{k}. Part {k}",))
                   for k in (1, 2, 3))
    specs = [items.build({"id": f"m1_q{k}_x", "kind": "choice", "question": f"Q{k}?", "points": 1,
                          "themes": [f"m1.t{k}"], "options": {
                              "a": f"Alpha {k}", "b": f"Bravo {k}", "c": f"Charlie {k}",
                              "d": f"Delta {k}"}}, "the tiny module") for k in (1, 2, 3)]
    module_items = tuple(Item(spec, "b", (f"{k}. Part {k}",)) for k, spec in zip((1, 2, 3), specs))
    reflection = Reflection("m1_r1_x", "m1", "Reflection 1: a moment", 4.0, ("m1.t1", "m1.t2"),
                            ("1. Part 1", "2. Part 2"))
    return Module("m1", "m1_tiny", "tiny", "A tiny module", module_items, (reflection,), themes)


#: Points per item for learners A..F (item 1, 2, 3). Totals: 3, 2, 2, 1, 0, 1.
POINTS = {"A": (1, 1, 1), "B": (1, 1, 0), "C": (1, 0, 1), "D": (0, 1, 0), "E": (0, 0, 0),
          "F": (0, 0, 1)}
#: What each learner gave for item 1 (the key is "b"); F left it blank.
ITEM1 = {"A": "b", "B": "b", "C": "b", "D": "a", "E": "a", "F": None}
REFLECTIONS = {"A": ("graded", 4, "A vivid example."), "B": ("waiting",), "C": ("blank",)}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    course_dir = tmp_path_factory.mktemp("tiny")
    module = tiny_module()
    subs = []
    for student, points in POINTS.items():
        sub = synthetic.FakeSubmission(
            student, module, {i.id: p for i, p in zip(module.items, points)},
            {"m1_r1_x": REFLECTIONS.get(student, ("waiting",))},
            DUE + timedelta(days=1) if student == "D" else DUE - timedelta(hours=3))
        for item, p in zip(module.items, points):
            sub.answers[item.id] = "b" if p else "c"
        sub.answers["m1_q1_x"] = ITEM1[student]
        sub.typed = {"m1_q1_x"} if student in "ACE" else set()   # the others clicked
        subs.append(sub)
    url = f"sqlite:///{course_dir / 'gradebook.db'}"
    synthetic.write_gradebook(url, [module], subs, {module.folder: DUE}, students=[*POINTS, "G"])
    synthetic.write_answers(course_dir, subs)
    data = gather.read_gradebook(url)
    gather.read_answers(data, [module], course_dir)
    result = analysis.analyse([module], data)
    built = report_mod.write(result, course_dir / "report")
    return built


def by_item(result, item_id):
    return next(s for s in result.items if s.item.id == item_id)


def test_item_statistics_match_the_hand_computation(tiny):
    a = tiny.analysis
    one = by_item(a, "m1_q1_x")
    # item 1 scores 1,1,1,0,0,0; rest scores 2,1,1,1,0,1: r = 1 / sqrt(1.5 * 2); groups of 2:
    # top = (A 1 + half of the four tied at rest 1, mean 0.5) / 2 = 0.75; bottom = (E 0 + 0.5) / 2
    assert (one.n, one.correct, one.p) == (6, 3, 0.5)
    assert one.r_pb == pytest.approx(1 / 3 ** 0.5)
    assert one.d == pytest.approx(0.5)
    assert one.flags == []
    three = by_item(a, "m1_q3_x")
    # item 3 scores 1,0,1,0,0,1 against rest 2,2,1,1,0,0: no relation at all
    assert three.p == 0.5 and three.r_pb == pytest.approx(0) and three.d == pytest.approx(0)
    assert three.flags[0].startswith("weak discrimination")


def test_theme_mastery_splits_a_cells_points_among_its_themes(tiny):
    a = tiny.analysis
    assert a.theme_mastery("A", "m1.t1") == 1.0            # 1 + 4/2 of 1 + 4/2
    assert a.theme_mastery("B", "m1.t1") == 1.0            # the reflection waits: left out
    assert a.theme_mastery("C", "m1.t1") == pytest.approx(1 / 3)   # blank reflection scores 0
    assert a.theme_mastery("E", "m1.t3") == 0.0
    assert "G" not in a.learners                            # no submission, no row
    t3 = next(t for t in a.themes if t.theme.id == "m1.t3")
    assert t3.mean == pytest.approx(0.5) and t3.mastered == 3


def test_option_shares_come_from_typed_and_clicked_answers(tiny):
    shares = {o.option: o for o in tiny.analysis.options if o.item.id == "m1_q1_x"}
    assert shares["b"].count == 3 and shares["b"].is_key and not shares["b"].rare
    assert shares["a"].count == 2 and shares["a"].is_distractor
    assert shares[analysis.NO_ANSWER].count == 1
    assert shares["c"].rare and shares["d"].rare and not shares["a"].rare
    assert tiny.analysis.disagreements == 0


def test_scores_late_grading_progress_and_small_cohort_warning(tiny):
    a = tiny.analysis
    (scores,) = a.scores
    assert scores.auto == [3, 2, 2, 1, 0, 1] and scores.submitted == 6 and scores.missing == 1
    assert scores.late == 1
    (progress,) = a.reflections
    assert (progress.graded, progress.waiting, progress.blank) == (1, 4, 1)
    assert any("fewer than 30 learners" in w for w in a.warnings)
    assert "fewer than 30 learners" in tiny.html.read_text()


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.pipeline
def test_nbgrader_csv_holds_exactly_what_nbgrader_export_writes(tiny, tmp_path):
    course_dir = tiny.out.parent
    theirs = tmp_path / "theirs.csv"
    nbgrader(tmp_path, "export", "--to", str(theirs),
             f"--CourseDirectory.db_url=sqlite:///{course_dir / 'gradebook.db'}",
             "--CourseDirectory.course_id=synthetic-course")
    ours = read_csv(tiny.files["nbgrader"])
    assert list(ours[0]) == list(read_csv(theirs)[0])
    key = lambda r: (r["assignment"], r["student_id"])   # noqa: E731 (rows tied on names: any order)
    assert sorted(ours, key=key) == sorted(read_csv(theirs), key=key)


def test_exports_agree_with_nbgrader(tiny):
    lms = {(r["student"], r["assignment"]): r for r in read_csv(tiny.files["lms"])}
    assert list(next(iter(lms.values()))) == ["student", "assignment", "score", "max", "percent",
                                             "late"]
    assert lms[("A", "m1_tiny")] == {"student": "A", "assignment": "m1_tiny", "score": "7",
                                     "max": "7", "percent": "100.0", "late": "no"}
    assert lms[("C", "m1_tiny")]["percent"] == "28.6" and lms[("D", "m1_tiny")]["late"] == "yes"
    assert lms[("G", "m1_tiny")]["score"] == "0"
    nbgrader_rows = read_csv(tiny.files["nbgrader"])
    assert len(nbgrader_rows) == len(lms) == 7
    for row in nbgrader_rows:
        mine = lms[(row["student_id"], row["assignment"])]
        assert float(mine["score"]) == pytest.approx(float(row["score"]))
        assert float(mine["max"]) == pytest.approx(float(row["max_score"]))
    themes = read_csv(tiny.files["theme_mastery"])
    assert len(themes) == 6 * 3
    row = next(r for r in themes if r["student"] == "C" and r["theme"] == "m1.t1")
    assert (row["points"], row["max_points"], row["mastery"], row["mastered"]) == \
        ("1", "3", "0.333", "no")
    items = {r["item"]: r for r in read_csv(tiny.files["items"])}
    assert (items["m1_q1_x"]["p"], items["m1_q1_x"]["point_biserial"]) == ("0.5", "0.577")


class Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.imgs, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        for name in ("src", "href", "srcset", "action", "data", "poster", "background"):
            if name in attrs:
                self.refs.append((tag, name, attrs[name]))
        if tag == "img":
            self.imgs.append(attrs)


def assert_self_contained(html: str, folder: Path) -> Refs:
    parser = Refs()
    parser.feed(html)
    for tag, name, value in parser.refs:
        if value.startswith("data:image/png;base64,"):
            continue
        assert tag == "a" and name == "href", (tag, name, value[:80])
        assert "/" not in value and ":" not in value and (folder / value).is_file(), value
    without_data = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    for bad in ("http:", "https:", "//", "@import", "url(", "<script", "<link", "<iframe"):
        assert bad not in without_data.lower(), bad
    return parser


def test_html_is_self_contained_and_every_figure_has_alt_text(tiny):
    html = tiny.html.read_text(encoding="utf-8")
    parser = assert_self_contained(html, tiny.out)
    assert len(parser.imgs) == len(tiny.figures) >= 6
    for img in parser.imgs:
        assert img["src"].startswith("data:image/png;base64,")
        assert len(img.get("alt", "")) > 60


def test_every_figure_exists_and_is_not_blank(tiny):
    names = {f.name for f in tiny.figures}
    assert {"theme_heatmap", "theme_class", "item_map", "options_m1", "score_distributions",
            "grading_progress"} <= names
    for fig in tiny.figures:
        path = tiny.out / "figures" / f"{fig.name}.png"
        assert path.read_bytes() == fig.png
        assert_not_blank(fig.png, fig.name)


def test_feedback_teaches_without_giving_answers(tiny):
    text = (tiny.out / "feedback" / "E.md").read_text()
    assert "Theme 1" in text and "section \"1. Part 1\"" in text and "Question 1" in text
    for item in tiny_module().items:
        for option_text in item.spec.options.values():
            assert option_text not in text
    assert "still being graded" in text
    a_text = (tiny.out / "feedback" / "A.md").read_text()
    assert "A vivid example." in a_text and "Every question right" in a_text
    assert (tiny.out / "feedback" / "E.html").is_file()
    assert "G.md" not in {p.name for p in tiny.feedback}


def test_study_guide_goes_into_nbgrader_feedback_once(tiny, tmp_path):
    page = tmp_path / "feedback" / "E" / "m1_tiny" / "tiny.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html><body><h1>tiny</h1></body></html>")
    for _ in range(2):
        changed = feedback.add_to_nbgrader_feedback(tiny.analysis, tmp_path / "feedback")
    assert changed == [page]
    html = page.read_text()
    assert html.count(feedback.GUIDE_START) == 1 and html.index("course-study-guide") < \
        html.index("</body>")
    assert "Theme 1" in html and "Bravo 1" not in html


def test_adding_to_feedback_that_was_never_generated_says_so(course):
    course_dir, _ = course
    asked = report_mod.build(course_dir, course_dir / "build" / "asked", add_to_feedback=True)
    assert asked.nbgrader_feedback == []
    assert "run `nbgrader generate_feedback <assignment>` first" in report_mod.summary(asked)
    plain = report_mod.build(course_dir, course_dir / "build" / "plain")
    assert "generate_feedback" not in report_mod.summary(plain)


def test_feedback_html_shows_ids_and_comments_as_text():
    html = feedback.to_html("# Your feedback, <img src=x>\n\n- **Theme**: see `a.ipynb`\n\nok <b>")
    assert "<img" not in html and "&lt;img src=x&gt;" in html and "&lt;b&gt;" in html
    assert "<li><strong>Theme</strong>: see <code>a.ipynb</code></li>" in html


# ---------------------------------------------------------------- answers read without running anything
def test_answer_cells_are_read_never_run(tmp_path):
    parse = learner_answers.parse_answer_cell
    assert parse('q1 = saved_answer("x")\n# YOUR ANSWER HERE', "q1") is learner_answers._SAVED
    assert parse('q1 = saved_answer("x")\nq1 = "c"', "q1") == "c"
    assert parse('q1 = saved_answer("x")\nq1 = {"a", "c"}', "q1") == {"a", "c"}
    marker = tmp_path / "ran"
    evil = f'q1 = __import__("pathlib").Path({str(marker)!r}).touch()'
    assert parse(evil, "q1") is learner_answers.UNREADABLE and not marker.exists()
    assert parse("q1 = (", "q1") is learner_answers.UNREADABLE
    assert parse("for q1 in 'ab': pass", "q1") is learner_answers.UNREADABLE
    assert parse("x = 1", "q1") is learner_answers._ABSENT


# ---------------------------------------------------------------- the real course's modules
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course directory with the real source/, config and a fictional graded class."""
    course_dir = tmp_path_factory.mktemp("course")
    mods = notebooks.modules_in(ROOT)   # whatever modules source/ holds today
    scratch_course(ROOT, course_dir, [m["folder"] for m in mods])
    modules = structure.load(course_dir)
    subs, duedates = synthetic.random_class(modules, 12, seed=3)
    synthetic.write_gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", modules, subs, duedates,
                              course_id="customer-service-in-security")
    synthetic.write_answers(course_dir, subs)
    return course_dir, modules


def test_course_report_command(course, capsys, monkeypatch):
    course_dir, modules = course
    monkeypatch.chdir(course_dir)
    out = course_dir / "build" / "report"
    assert cli.main(["report", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert str(out / "report.html") in printed
    html = (out / "report.html").read_text(encoding="utf-8")
    assert_self_contained(html, out)
    for module in modules:
        for theme in module.themes:
            assert theme.id in html
    assert len(read_csv(out / "grades_lms.csv")) == 12 * len(modules)
    options = read_csv(out / "options.csv")
    for module in modules:
        for item in module.items:   # every item has its shares, whatever its kind
            shares = [r for r in options if r["item"] == item.id]
            assert shares and sum(r["is_key"] == "yes" for r in shares) >= 1, item.id


def hidden_text(source_nb) -> list[str]:
    """Every line of hidden tests, solutions and rubrics in a source notebook (longer than a word)."""
    secret = []
    for cell in source_nb.cells:
        meta = notebooks.course_meta(cell)
        if meta.get("role") == "rubric":
            secret += cell.source.splitlines()
        for region in (notebooks.HIDDEN, notebooks.SOLUTION):
            for match in region.finditer(cell.source):
                secret += match.group(1).splitlines()
    return [s.strip() for s in secret if len(s.strip()) > 12]


def test_feedback_never_shows_a_key_hidden_test_or_option(course, monkeypatch):
    course_dir, modules = course
    built = report_mod.build(course_dir, course_dir / "build" / "fb")
    secrets = []
    # headings the feedback must name; an option that repeats one (match it to its section) is no key
    headings = [text for m in modules for t in m.themes for text in (t.title, t.outcome, *t.sections)]
    for module in modules:
        nb = notebooks.read(course_dir / "source" / module.folder / f"{module.notebook}.ipynb")
        secrets += hidden_text(nb)
        for item in module.items:
            secrets += [text for text in getattr(item.spec, "options", {}).values()
                        if not any(text in heading for heading in headings)]
            if isinstance(item.key, (dict, list, set)):   # a lone letter or number is no trace
                secrets += [repr(item.key), json.dumps(item.key, default=sorted)]
    assert secrets
    for path in built.feedback:
        text = path.read_text(encoding="utf-8") + path.with_suffix(".html").read_text()
        for secret in secrets:
            assert secret not in text, (path.name, secret)
        assert "expect(" not in text and "HIDDEN" not in text and "SOLUTION" not in text
        assert not re.search(r"\boption\s+[a-h]\b|answer (is|was)", text, re.I)


def test_modules_not_yet_in_the_gradebook_are_named(course):
    course_dir, modules = course
    later = Module("m9", "m9_later", "later", "Later", (), (), ())
    built = report_mod.build(course_dir, course_dir / "build" / "later",
                             modules=[*modules, later])
    assert any("m9_later" in w and "not in the gradebook" in w for w in built.analysis.warnings)


def test_clear_errors_and_a_safe_place_for_the_report(tmp_path, course, monkeypatch, capsys):
    course_dir, _ = course
    with pytest.raises(report_mod.ReportError, match="No gradebook"):
        gather.read_gradebook(f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(report_mod.ReportError, match="not a database URL"):
        gather.read_gradebook("gradebook.db")
    for url, why in [("bogus://", "NoSuchModuleError"),
                     ("postgresql+nosuchdriver://u@h/db", "NoSuchModuleError")]:
        with pytest.raises(report_mod.ReportError, match=f"Cannot open the gradebook .*{why}"):
            gather.read_gradebook(url)
    with pytest.raises(report_mod.ReportError) as shown:   # messages reach logs: no password
        gather.read_gradebook("postgresql+nosuchdriver://grader:s3cret@h/db")
    assert "s3cret" not in str(shown.value) and "grader:***@h/db" in str(shown.value)
    with pytest.raises(report_mod.ReportError, match="not a database URL") as shown:
        gather.read_gradebook("postgresql://grader:s3cret@h:notaport/db")   # SQLAlchemy: ValueError
    assert "s3cret" not in str(shown.value) and "grader:***@h:notaport/db" in str(shown.value)
    with pytest.raises(report_mod.ReportError, match="Refusing"):
        report_mod.build(course_dir, course_dir / "source" / "report")
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", empty)
    (empty / "source").mkdir()
    monkeypatch.chdir(empty)
    assert cli.main(["report"]) == 2
    assert "No gradebook" in capsys.readouterr().err


def test_item_map_labels_in_a_dense_cluster_do_not_cover_each_other():
    from matplotlib.figure import Figure
    from course.report.figures import _place_labels
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.4, 1.0)
    rng = np.random.default_rng(7)
    cluster = [(0.5 + rng.uniform(-0.02, 0.02), 0.3 + rng.uniform(-0.02, 0.02), f"m{n % 5 + 1} Q{n}",
                n % 3 == 0) for n in range(12)]
    _place_labels(ax, cluster, points=[(x, y) for x, y, _, _ in cluster])
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == len(cluster)
    overlapping = [(ax.texts[i].get_text(), ax.texts[j].get_text())
                   for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]
    assert not overlapping
    centres = [ax.transData.transform((x, y)) for x, y, _, _ in cluster]
    covered = [t.get_text() for t, box in zip(ax.texts, boxes)
               if any(box.contains(cx, cy) for cx, cy in centres)]
    assert not covered, "labels drawn over a marker"


def test_the_reports_colours_stay_apart_for_colour_vision_deficiencies():
    """Modules, keys and distractors are told apart by colour (and by marker or hatch as well):
    the palette keeps every pair apart under protanopia, deuteranopia and tritanopia."""
    from colour_vision import too_alike
    from course.report import figures
    assert not too_alike(figures.OKABE_ITO)
    assert not too_alike([figures.module_colour(i) for i in range(len(figures.OKABE_ITO))])
