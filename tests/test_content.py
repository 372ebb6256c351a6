"""The themes catalogue and its coverage: every theme taught, tried, assessed and reflected on;
items generated from their specs; keys on the instructor's side only, in one place each."""

import ast
import re
from collections import defaultdict

import pytest

from course import cells, content, items, keys, notebooks
from course.items import literal

from conftest import MODULES, ROOT

GRADE_ID = re.compile(r"^m\d+_(q\d+|test_q\d+|r\d+)_[a-z0-9_]+$")


def test_catalogue_schema():
    ids = [t["id"] for t in content.themes()]
    assert len(ids) == len(set(ids)), "duplicate theme ids"
    module_ids = [m["id"] for m in content.modules()]
    assert len(module_ids) == len(set(module_ids)), "duplicate module ids"
    for t in content.themes():
        assert set(t) == {"id", "module", "title", "outcome"}, t["id"]
        assert t["module"] in module_ids and t["id"].startswith(t["module"] + ".")
        assert re.fullmatch(r"m\d+\.[a-z0-9-]+", t["id"])
        assert len(t["outcome"]) > 40
    for m in content.modules():
        assert re.fullmatch(r"m\d+", m["id"])
        assert re.fullmatch(r"m\d+_[a-z_]+", m["folder"]) and " " not in m["notebook"]
        assert m["folder"].startswith(m["id"] + "_")
        assert len(content.themes(m["id"])) >= 5


def test_every_module_names_an_article_of_the_fingerprint(fingerprint):
    """One module per seed article, named by the fingerprint's file name and its SHA-256, so an
    article changed under the same name cannot slip under a module unnoticed.

    tests/test_seed_fingerprint.py checks that each name's SHA-256 is the article's beside the clone.
    """
    named = [m["seed"] for m in content.modules()]
    unknown = [name for name in named if name not in fingerprint.articles]
    assert not unknown, (f"modules name articles that tests/seed_fingerprint.json does not hold: "
                         f"{unknown}; refresh it with `make seed-fingerprint` where the articles are")
    assert sorted(named) == sorted(fingerprint.articles), "every article is one module's, once"
    moved = [m["id"] for m in content.modules()
             if m.get("seed_sha256") != fingerprint.articles[m["seed"]]["sha256"]]
    assert not moved, (f"modules {moved}: seed_sha256 in themes.toml is not the article's in the "
                       "fingerprint; re-read the article, update the module, then its hash")


def test_every_catalogued_module_has_a_source_folder_and_no_folder_is_left_out():
    folders = {p.name for p in (ROOT / "source").iterdir() if p.is_dir()}
    assert folders == {m["folder"] for m in content.modules()}


def coverage(nb, module) -> dict:
    roles = defaultdict(set)
    for cell in nb.cells:
        meta = notebooks.course_meta(cell)
        if meta.get("role") in ("lesson", "try", "reflection"):
            roles[meta["role"]].update(meta.get("themes", []))
    # Assessed: the themes an item's points count towards (a skill check counts towards none).
    roles["item"] = {t for it in items.items(module["id"]) for t in it.mastery_themes}
    return roles


@pytest.mark.parametrize("role, meaning", [
    ("lesson", "taught in a lesson section"),
    ("try", "tried with a widget or a figure"),
    ("item", "assessed by an auto-graded item that is not a skill check"),
    ("reflection", "reflected on"),
])
def test_every_theme_of_the_module_is_covered(module, source_nb, role, meaning):
    covered = coverage(source_nb, module)[role]
    missing = [t["id"] for t in content.themes(module["id"]) if t["id"] not in covered]
    assert not missing, f"{module['folder']}: themes not {meaning}: {missing}"


def test_cells_name_only_catalogued_themes_of_their_module(module, source_nb):
    allowed = {t["id"] for t in content.themes(module["id"])}
    for role, themes in coverage(source_nb, module).items():
        assert themes <= allowed, f"{role} cells name unknown themes: {themes - allowed}"
    for it in items.items(module["id"]):
        assert set(it.themes) <= allowed, it.id


def test_module_size(module, source_nb):
    """At least six auto-graded items, two reflections, 1,500 words of lesson text."""
    roles = [notebooks.course_meta(c).get("role") for c in source_nb.cells]
    assert len(items.items(module["id"])) >= 6
    assert roles.count("reflection") >= 2
    assert roles.count("rubric") == roles.count("reflection")
    words = sum(len(re.findall(r"[A-Za-z']+", c.source)) for c in source_nb.cells
                if c.cell_type == "markdown" and notebooks.course_meta(c).get("role") not in
                ("rubric", "reflection", "prompt"))
    assert words >= 1500, f"only {words} words of lesson text"


def test_item_cells_are_generated_from_the_specs_and_keys(module, source_nb):
    """Each item's cells are exactly what `course build` writes from its spec and key: nothing
    about an item (id, number, points, themes, key) is kept by hand in the notebook."""
    fresh = cells.sync(source_nb, module, keys.load(ROOT, module))
    assert [c.source for c in fresh.cells] == [c.source for c in source_nb.cells], \
        "run `course build`: the item cells differ from their specs"
    assert [c.metadata for c in fresh.cells] == [c.metadata for c in source_nb.cells]
    specs = {it.id: it for it in items.items(module["id"])}
    assert set(notebooks.answer_cells(source_nb)) == set(specs) == set(notebooks.item_cells(source_nb))
    for cell in source_nb.cells:
        gid = notebooks.nbgrader_meta(cell).get("grade_id")
        if gid and notebooks.nbgrader_meta(cell).get("grade"):
            assert GRADE_ID.match(gid), gid
    for item_id, cell in notebooks.item_cells(source_nb).items():
        assert notebooks.nbgrader_meta(cell)["grade_id"] == specs[item_id].test_id
        assert notebooks.nbgrader_meta(cell)["points"] == specs[item_id].points
        assert cell.source.startswith('"""'), "tests open with a one-line docstring"


def test_every_key_fits_its_item_and_the_solution_earns_every_point(module):
    for item_id, key in keys.load(ROOT, module).items():
        spec = items.item(item_id)
        assert spec.key_problem(key) is None, item_id
        best = spec.solution(key)
        assert spec.form_problem(best) is None and spec.credit(best, key).share == 1, item_id


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
    for path in sorted((ROOT / "course" / "report" / "templates").glob("*.j2")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    # What a learner actually opens: the student versions nbgrader generated.
    for path in sorted((ROOT / "release").glob("*/*.ipynb")):
        yield from notebook_texts(path)


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
                 "header.ipynb", "course/report/templates/", "release/"):
        assert part in where, f"no text from {part!r} reaches the originality checks"


# ---------------------------------------------------------------- keys: the instructor's side only
def traces(key) -> list[str]:
    """Text that would give a key away if it stood in a student's file: a lone letter or number is
    no trace (every option has one), so only composite keys are looked for, as written."""
    if isinstance(key, (dict, list, set)) and len(key) > 1:
        return [literal(key), repr(key)]
    return []


def public_files():
    """Everything a student can read: the course package and the student versions."""
    for folder in ("course", "release"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def test_keys_never_reach_the_course_package_or_release():
    everything = {p: p.read_text(encoding="utf-8", errors="ignore") for p in public_files()}
    assert not [p for p in everything if p.name == keys.FILE], "a keys file outside source/"
    for module in MODULES:
        for item_id, key in keys.load(ROOT, module).items():
            for trace in traces(key):
                leaked = [str(p.relative_to(ROOT)) for p, text in everything.items() if trace in text]
                assert not leaked, f"the key of {item_id} appears in {leaked}"
    for path, text in everything.items():
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text \
            or path.suffix == ".py", path


def test_each_key_is_written_once_on_the_instructors_side(module, source_nb):
    """The keys file is the one place a key is written: in source/ it appears only there and in
    the cells generated from it (the solution region and the hidden test)."""
    text = keys.path(ROOT, module).read_text(encoding="utf-8")
    for item_id in keys.load(ROOT, module):
        assert len(re.findall(rf"^{item_id}\s*=", text, re.M)) == 1, item_id
    generated = {c.source for c in cells.sync(source_nb, module, keys.load(ROOT, module)).cells
                 if cells.placed_item(c)}
    others = [c.source for c in source_nb.cells if c.source not in generated]
    others += [p.read_text(encoding="utf-8", errors="ignore")
               for p in sorted((ROOT / "source" / module["folder"]).rglob("*"))
               if p.is_file() and p.suffix != ".ipynb" and p.name != keys.FILE]
    for item_id, key in keys.load(ROOT, module).items():
        for trace in traces(key):
            assert not [o for o in others if trace in o], f"the key of {item_id} is copied by hand"


def test_the_readme_lists_the_modules_from_the_catalogue():
    """README's table of modules is written by `course build` from themes.toml, never by hand."""
    from course import build
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert build.README_START in text and build.README_END in text
    assert not build.sync_readme(ROOT, write=False), "run `course build`: the table has drifted"
    for m in content.modules():
        assert f"`{m['folder']}`" in text
