"""The themes catalogue and its coverage: every theme taught, tried, assessed and reflected on."""

import ast
import re
from collections import defaultdict

import pytest

from course import content, notebooks
from course.checks import form_problem
from course.submissions import keys

from conftest import ROOT

GRADE_ID = re.compile(r"^m\d_(q\d+|test_q\d+|r\d+)_[a-z0-9_]+$")


def test_catalogue_schema():
    ids = [t["id"] for t in content.themes()]
    assert len(ids) == len(set(ids)), "duplicate theme ids"
    module_ids = {m["id"] for m in content.modules()}
    assert module_ids == {"m1", "m2", "m3", "m4", "m5"}
    for t in content.themes():
        assert set(t) == {"id", "module", "title", "outcome"}, t["id"]
        assert t["module"] in module_ids and t["id"].startswith(t["module"] + ".")
        assert re.fullmatch(r"m\d\.[a-z0-9-]+", t["id"])
        assert len(t["outcome"]) > 40
    for m in content.modules():
        assert re.fullmatch(r"m\d_[a-z_]+", m["folder"]) and " " not in m["notebook"]
        assert len(content.themes(m["id"])) >= 5


def test_every_module_names_an_article_of_the_fingerprint(fingerprint):
    """One module per seed article, named by the fingerprint's file name (and so by its hash).

    tests/test_seed_fingerprint.py checks that each name's SHA-256 is the article's beside the clone.
    """
    named = [m["seed"] for m in content.modules()]
    unknown = [name for name in named if name not in fingerprint.articles]
    assert not unknown, (f"modules name articles that tests/seed_fingerprint.json does not hold: "
                         f"{unknown}; refresh it with `make seed-fingerprint` where the articles are")
    assert sorted(named) == sorted(fingerprint.articles), "every article is one module's, once"


def coverage(nb) -> dict:
    roles = defaultdict(set)
    for cell in nb.cells:
        meta = notebooks.course_meta(cell)
        for theme in meta.get("themes", []):
            roles[meta["role"]].add(theme)
    return roles


@pytest.mark.parametrize("role, meaning", [
    ("lesson", "taught in a lesson section"),
    ("try", "tried with a widget or a figure"),
    ("item", "assessed by an auto-graded item"),
    ("reflection", "reflected on"),
])
def test_every_theme_of_the_module_is_covered(module, source_nb, role, meaning):
    covered = coverage(source_nb)[role]
    missing = [t["id"] for t in content.themes(module["id"]) if t["id"] not in covered]
    assert not missing, f"{module['folder']}: themes not {meaning}: {missing}"


def test_cells_name_only_catalogued_themes_of_their_module(module, source_nb):
    allowed = {t["id"] for t in content.themes(module["id"])}
    for role, themes in coverage(source_nb).items():
        assert themes <= allowed, f"{role} cells name unknown themes: {themes - allowed}"


def test_module_size(module, source_nb):
    """At least six auto-graded items, two reflections, 1,500 words of lesson text."""
    roles = [notebooks.course_meta(c).get("role") for c in source_nb.cells]
    assert roles.count("item") >= 6
    assert roles.count("reflection") >= 2
    assert roles.count("rubric") == roles.count("reflection")
    words = sum(len(re.findall(r"[A-Za-z']+", c.source)) for c in source_nb.cells
                if c.cell_type == "markdown" and notebooks.course_meta(c).get("role") not in
                ("rubric", "reflection"))
    assert words >= 1500, f"only {words} words of lesson text"


def test_grade_ids_and_items_agree(module, source_nb):
    items = {it["id"]: it for it in content.items(module["id"])}
    answers = notebooks.answer_cells(source_nb)
    tests = notebooks.item_cells(source_nb)
    assert set(answers) == set(items) == set(tests)
    for cell in source_nb.cells:
        gid = notebooks.nbgrader_meta(cell).get("grade_id")
        if gid and notebooks.nbgrader_meta(cell).get("grade"):
            assert GRADE_ID.match(gid), gid
    for item_id, cell in tests.items():
        assert notebooks.nbgrader_meta(cell)["grade_id"] == item_id.replace("_q", "_test_q", 1)
        assert cell.source.startswith('"""'), "tests open with a one-line docstring"
        assert f'check_answer("{item_id}", {items[item_id]["var"]})' in cell.source


def test_solutions_and_hidden_tests_agree_and_are_well_formed(module, source_nb):
    """Like Neuromatch's check: the solution region and the hidden test hold the same key."""
    solution = keys(source_nb)
    for item_id, cell in notebooks.item_cells(source_nb).items():
        assert notebooks.hidden_key(cell) == solution[item_id], item_id
        assert type(notebooks.hidden_key(cell)) is type(solution[item_id])
        assert form_problem(content.item(item_id), solution[item_id]) is None, item_id


def test_every_reflection_has_a_rubric(module, source_nb):
    reflections = {notebooks.nbgrader_meta(c)["grade_id"] for c in source_nb.cells
                   if notebooks.course_meta(c).get("role") == "reflection"}
    rubrics = {notebooks.course_meta(c)["for"] for c in source_nb.cells
               if notebooks.course_meta(c).get("role") == "rubric"}
    assert reflections == rubrics


def toml_strings(tree, where: str, path: str = ""):
    """(where, text) for every string in a parsed TOML file, named by its path in the file."""
    if isinstance(tree, str):
        yield f"{where}: {path}", tree
    elif isinstance(tree, dict):
        for key, value in tree.items():
            yield from toml_strings(value, where, f"{path}.{key}" if path else key)
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from toml_strings(value, where, f"{path}[{i}]")


def notebook_texts(path):
    nb = notebooks.read(path)
    return [(f"{path.relative_to(ROOT)}, cell {c.get('id', i)}", c.source)
            for i, c in enumerate(nb.cells)]


def module_texts(module):
    """The module's lesson, item, feedback and rubric text: its notebook, its content file (items,
    options, scenarios with their consequences and coaching, widget data) and its themes."""
    yield from notebook_texts(notebooks.source_notebook(ROOT, module))
    yield from toml_strings(content.module_content(module["id"]), f"{module['folder']}.toml")
    for theme in content.themes(module["id"]):
        for field in ("title", "outcome"):
            yield f"themes.toml: {theme['id']} {field}", theme[field]


def package_texts():
    """Text of the course package's code (feedback the widgets and checks write, the report's notes
    to learners), the course-wide header and the catalogue's module titles."""
    for path in sorted((ROOT / "course").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.value
    yield from notebook_texts(ROOT / "source" / "header.ipynb")
    for module in content.modules():
        yield f"themes.toml: module {module['id']} title", module["title"]


def assert_original(fingerprint, texts):
    found = [f'  {where}: "{run}" (in {article})'
             for where, text in texts for run, article in fingerprint.copied_runs(text)]
    if found:
        pytest.fail("Runs of eight words copied from the seed articles; rewrite them in our own "
                    "words:\n" + "\n".join(found), pytrace=False)


def test_no_run_of_the_seeds_is_copied_into_the_module(module, fingerprint):
    """Original prose: no run of eight words of any seed article appears in the module's text."""
    assert_original(fingerprint, module_texts(module))


def test_no_run_of_the_seeds_is_copied_into_the_package(fingerprint):
    """The same for the package's feedback text, the header and the module titles."""
    assert_original(fingerprint, package_texts())


def test_the_originality_checks_read_every_kind_of_text():
    """The checks above see lessons, rubrics, items, options, scenario feedback, outcomes and the
    widgets' messages: a change that hid one of them from the checks would fail here."""
    texts = [t for m in content.modules() for t in module_texts(m)] + list(package_texts())
    where = "\n".join(w for w, _ in texts)
    for part in (", cell ", ": item[0].question", ": item[0].options.a", ".consequence",
                 ".coaching", " outcome", "course/widgets/", "course/report/feedback.py",
                 "header.ipynb"):
        assert part in where, f"no text from {part!r} reaches the originality checks"


def test_the_course_package_holds_no_answer_keys(module, source_nb):
    """Students can read the package: no key may sit in content files next to its item."""
    for item_id, key in keys(source_nb).items():
        item = content.item(item_id)
        assert "key" not in item and "answer" not in item and "solution" not in item
