"""Lessons an officer can trust and read: the conventions of CONTRIBUTING.md's "Writing lessons".

Safety first on every tense situation, each source cited in full once per module, reflections
marked by levelled criteria with exemplars (never a checklist of the prompt's parts), a time for
the module and for each section, and the confidentiality a reflection on a real incident needs.
"""

from __future__ import annotations

import re

import pytest

from course import notebooks

from conftest import MODULES, ROOT

#: Kember, McKay, Sinclair & Wong (2008): the four levels of reflection, in order.
KEMBER_LEVELS = ["habitual action", "understanding", "reflection", "critical reflection"]
#: The modules whose seeds speak of de-escalation and safety teach the dynamic risk assessment.
SAFETY_MODULES = {"m1", "m3", "m5"}
#: The steps of a dynamic risk assessment, in the order the course teaches them.
SAFETY_STEPS = [r"\bassess", r"\bposition", r"\bcall(ing)? it in\b", r"\bengag", r"\bwithdraw"]
SECTION_TIME = re.compile(r"^\*About (\d+) minutes?\.\*$", re.M)
MODULE_TIME = re.compile(r"^\*This module takes about (\d+) minutes\b[^*]*\.\*$", re.M)
#: A year cited in the text: 1900-2029, not inside a longer number.
YEAR = re.compile(r"(?<![\d.,])(19\d\d|20[0-2]\d)(?![\d])")
SURNAME = re.compile(r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")


def cells_with_role(nb, *roles):
    return [c for c in nb.cells if notebooks.course_meta(c).get("role") in roles]


def learner_markdown(nb) -> list:
    """Markdown a learner reads: everything but the rubrics (instructor only)."""
    return [c for c in nb.cells if c.cell_type == "markdown"
            and notebooks.course_meta(c).get("role") != "rubric"]


# ---------------------------------------------------------------- safety first
@pytest.mark.parametrize("module_id", sorted(SAFETY_MODULES))
def test_tense_situations_are_approached_safety_first(module_id):
    """Modules on de-escalation teach the dynamic risk assessment, its steps in order: assess,
    position, call it in, engage, and know when to withdraw."""
    module = next(m for m in MODULES if m["id"] == module_id)
    source_nb = notebooks.read(notebooks.source_notebook(ROOT, module))
    for cell in cells_with_role(source_nb, "lesson"):
        text = cell.source.lower()
        places = [re.search(step, text) for step in SAFETY_STEPS]
        if all(places) and [p.start() for p in places] == sorted(p.start() for p in places):
            return
    pytest.fail(f"{module['folder']}: no lesson section teaches the steps of a dynamic risk "
                "assessment in order (assess, position, call it in, engage, withdraw)")


def test_no_lesson_tells_officers_to_step_between_people(module, source_nb):
    """Conflict-management training warns against standing between two people in a dispute."""
    between = re.compile(r"\b(step|stepping|stand|standing|get|getting|move|moving)\s+(in\s+)?"
                         r"between\b", re.I)
    warned = re.compile(r"\b(never|not|don't|do not|avoid|rather than|instead of)\b[^.]{0,40}$",
                        re.I)
    bad = [m.group(0) for c in learner_markdown(source_nb) for m in between.finditer(c.source)
           if not warned.search(c.source[:m.start()])]
    assert not bad, f"{module['folder']} tells officers to {bad[0]!r} people; teach distance"


# ---------------------------------------------------------------- sources
def references_cell(nb):
    found = [c for c in nb.cells if c.cell_type == "markdown"
             and c.source.lstrip().startswith("## References")]
    return found[0] if len(found) == 1 else None


def test_every_cited_year_has_its_full_reference_once(module, source_nb):
    """Each module ends its lesson with one "## References" cell; every author and year cited in
    its text is listed there in full, and every listed work is cited."""
    refs = references_cell(source_nb)
    texts = [c.source for c in learner_markdown(source_nb) if c is not refs]
    years = {y for t in texts for y in YEAR.findall(t)}
    if not years:
        assert refs is None or refs.source.count("\n- ") == 0
        return
    assert refs is not None, f"{module['folder']} cites sources but has no '## References' cell"
    entries = [e.strip() for e in refs.source.split("\n- ")[1:]]
    assert entries, "the References cell lists its works as '- ' items"
    missing = []
    for text in texts:
        for match in YEAR.finditer(text):
            before = text[max(0, match.start() - 80):match.start()]
            names = set(SURNAME.findall(before))
            if not any(match.group(1) in e and names & set(SURNAME.findall(e)) for e in entries):
                missing.append(f"{before[-40:]}{match.group(1)}")
    assert not missing, f"cited without a full reference in the module: {missing[:5]}"
    cited = " ".join(texts)
    unused = [e[:60] for e in entries if not any(y in cited for y in YEAR.findall(e))]
    assert not unused, f"listed but never cited: {unused}"


# ---------------------------------------------------------------- reflections
def rubric_for(nb, grade_id):
    return next(c for c in cells_with_role(nb, "rubric")
                if notebooks.course_meta(c).get("for") == grade_id)


def reflection_prompt(nb, cell):
    """The markdown cell just above a reflection: its prompt."""
    index = nb.cells.index(cell)
    return nb.cells[index - 1]


def test_rubrics_mark_levels_of_reflection_with_an_exemplar_each(module, source_nb):
    """Kember's four levels, each with what it looks like for this prompt and its points (rising to
    the reflection's points), and a short exemplar answer per level; not a checklist of parts."""
    for cell in cells_with_role(source_nb, "reflection"):
        gid = notebooks.nbgrader_meta(cell)["grade_id"]
        points = notebooks.nbgrader_meta(cell)["points"]
        rubric = rubric_for(source_nb, gid).source
        assert "Kember" in rubric, f"{gid}: name the levels' source (Kember et al., 2008)"
        rows = re.findall(r"^\|\s*(\d)\.\s*([^|]+?)\s*\|\s*(\d+(?:\.\d+)?)\s*\|\s*([^|]+?)\s*\|\s*$",
                          rubric, re.M)
        assert [int(r[0]) for r in rows] == [1, 2, 3, 4], f"{gid}: four numbered level rows"
        assert [r[1].strip().lower() for r in rows] == KEMBER_LEVELS, f"{gid}: {rows}"
        marks = [float(r[2]) for r in rows]
        assert marks == sorted(marks) and marks[-1] == points and marks[0] > 0, f"{gid}: {marks}"
        assert all(len(r[3].split()) >= 12 for r in rows), f"{gid}: say what each level looks like"
        exemplars = re.findall(r"^- \*Level (\d)[^*]*\*:?\s*(.+)$", rubric, re.M)
        assert [int(n) for n, _ in exemplars] == [1, 2, 3, 4], f"{gid}: one exemplar per level"
        assert all(len(text.split()) >= 25 for _, text in exemplars), f"{gid}: exemplars too short"
        assert "fictional" in rubric.lower(), f"{gid}: label the exemplars as fictional"
        assert not re.search(r"one (point )?per (row|part)", rubric, re.I), f"{gid}: a checklist"


def test_reflections_on_real_events_say_how_to_keep_them_confidential(module, source_nb):
    """Every reflection prompt says: no names or identifying details, and follow the employer's
    policy; one that asks for a tense or distressing incident also says where to find support."""
    for cell in cells_with_role(source_nb, "reflection"):
        prompt = reflection_prompt(source_nb, cell).source
        gid = notebooks.nbgrader_meta(cell)["grade_id"]
        assert "*Confidentiality:*" in prompt and "polic" in prompt, gid
        if notebooks.course_meta(cell).get("incident"):
            assert "*After a distressing incident:*" in prompt, gid


# ---------------------------------------------------------------- time
def test_the_module_and_each_section_say_how_long_they_take(module, source_nb):
    first = source_nb.cells[0].source
    total = MODULE_TIME.search(first)
    assert total, f"{module['folder']}: the first cell says '*This module takes about N minutes.*'"
    sections = []
    for cell in cells_with_role(source_nb, "lesson"):
        found = SECTION_TIME.search(cell.source)
        assert found, f"{module['folder']}: section {notebooks.course_meta(cell).get('section')!r} " \
                      "has no '*About N minutes.*' line"
        sections.append(int(found.group(1)))
    assert sum(sections) <= int(total.group(1)) <= sum(sections) + 60, (sum(sections), total[0])


# ---------------------------------------------------------------- a page that looks like a lesson
def test_learners_see_no_code_but_the_answer_cells(module, release_nb):
    """In the student version every code cell but the answer cells has its input hidden
    (JupyterLab's ``jupyter.source_hidden``; one click shows it), and answer cells stay open."""
    shown = [notebooks.course_meta(c).get("role") for c in release_nb.cells if c.cell_type == "code"
             and not c.metadata.get("jupyter", {}).get("source_hidden")]
    assert shown and set(shown) == {"answer"}, f"{module['folder']}: visible code cells {shown}"
    answers = [c for c in release_nb.cells if notebooks.course_meta(c).get("role") == "answer"]
    assert not any(c.metadata.get("jupyter", {}).get("source_hidden") for c in answers)


def test_no_jargon_reaches_learners(module, release_nb):
    """Plain words: no "well-formed" and nothing that calls an answer correct before grading."""
    text = "\n".join(c.source for c in release_nb.cells)
    assert "well-formed" not in text.lower() and "well formed" not in text.lower()
