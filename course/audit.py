"""The item-quality audit: every item of every module against published item-writing guidelines.

The guidelines are those of Haladyna, Downing and Rodriguez (2002), "A review of multiple-choice
item-writing guidelines for classroom assessment", Applied Measurement in Education 15(3),
309-333, as far as a program can read them. Each finding names the guideline, the item and what to
change. The audit reads keys (from ``source/``), so it runs on the instructor's side: in the tests
and for authors, never in a learner's kernel.

What it cannot judge (is a distractor plausible, is there one defensible key, is the content safe)
stays with the author and a reviewer; CONTRIBUTING.md says how to write items that pass both.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from course import content, items, keys, notebooks
from course.items import Item

#: guideline id -> what it asks, in the words the findings use.
GUIDELINES = {
    "length": "options of comparable length: the key is not the longest by a margin",
    "key-position": "keys spread over the positions (not one letter, not the listed order)",
    "multi-keys": "multi-select keys that vary in size and position across items",
    "determiners": "no specific determiners (always, never, only, ...) in the options",
    "justification": "no justification clause that only distractors carry",
    "one-question": "one question per stem",
    "negative-stem": "a stem worded positively (no NOT or EXCEPT)",
    "clang": "no option that repeats the stem, no pair matched by a shared word",
    "above": "no 'all of the above' or 'none of the above'",
    "practice-copy": "no graded item that copies a practice case or a lesson example",
}

#: A key this much longer than the mean of the other options stands out.
KEY_LENGTH_RATIO = 1.3
#: The longest option of an item at most this many times the shortest.
SPREAD_RATIO = 2.0
#: No letter is the key of more than this share of a module's (or the course's) choice items.
POSITION_SHARE = 0.5
#: Words shared in a row with the stem before an option "repeats" it.
CLANG_WORDS = 4
#: Words shared in a row with practice material before a graded item "copies" it.
COPY_WORDS = 6

DETERMINERS = re.compile(
    r"\b(always|never|ever|only|completely|absolutely|entirely|totally|no exceptions?|without "
    r"exception|every single|at all times|under no circumstances|no matter what|whatever happens)\b",
    re.I)
JUSTIFICATION = re.compile(r"\b(so that|in order to|so as to|because|to make sure|to show "
                           r"(that|them|him|her|everyone))\b", re.I)
#: Two question marks, "..., and what ...", or two things asked for at once ("the explanation
#: and the first step", "the best reading and the best next step").
TWO_QUESTIONS = re.compile(
    r"\?.*\?|,? and (what|which|how|why|who|when)\b|\band the (best|first|next)\b|"
    r"\b(explanation|reading|reason|result|cause)s? and (the )?(best |first |next )?"
    r"(step|move|action|response|reply)s?\b", re.I)
NEGATIVE = re.compile(r"\b(not|except|never|least)\b", re.I)
ABOVE = re.compile(r"\b(all|none|both) of the (above|others|options)\b|\ball of these\b", re.I)
STOPWORDS = set("""a about after again all also an and any are as at be been before being both
but by can could did do does each even for from get gets had has have he her here him his how if
in into is it its just may me more most must my no not now of off on one only or other our out
over same she should so some such than that the their them then there these they this those to
too up us very was we were what when where which while who why will with would you your""".split())


@dataclass(frozen=True)
class Finding:
    guideline: str
    where: str        # an item id, or a module or the course for the cross-item guidelines
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {GUIDELINES[self.guideline]}: {self.message}"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def runs(text: str, n: int) -> set[str]:
    w = words(text)
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def _options(item: Item) -> dict:
    return dict(getattr(item, "options", {}) or {})


def _keyed(item: Item, key) -> set[str]:
    """The option letters the key picks, for a one-part lettered item."""
    return {o for o in _options(item) if item.report_is_key(key, "", o)}


def graded_text(item: Item) -> str:
    """Everything a learner reads for a graded item (for a scenario item, the whole scenario)."""
    parts = [item.context, item.question, *_options(item).values(),
             *(getattr(item, "parts", {}) or {}).values()]
    if hasattr(item, "graph"):
        graph = item.graph()
        for node in graph.nodes.values():
            parts.append(node.get("says", ""))
            parts += [c.get("text", "") + " " + c.get("consequence", "")
                      for c in node.get("choice", {}).values()]
    return "\n".join(parts)


# ---------------------------------------------------------------- one item at a time
def item_findings(item: Item, key, practice: str = "") -> list[Finding]:
    found: list[Finding] = []

    def add(guideline: str, message: str) -> None:
        found.append(Finding(guideline, item.id, message))

    options = _options(item)
    stem = f"{item.context}\n{item.question}"
    if TWO_QUESTIONS.search(item.question):
        add("one-question", f"the question asks two things: {item.question!r}")
    if NEGATIVE.search(item.question):
        add("negative-stem", f"the question is worded negatively: {item.question!r}")
    for letter, text in options.items():
        if DETERMINERS.search(text):
            add("determiners", f"option {letter} says {DETERMINERS.search(text).group(0)!r}")
        if ABOVE.search(text):
            add("above", f"option {letter} is {ABOVE.search(text).group(0)!r}")
        shared = runs(text, CLANG_WORDS) & runs(stem, CLANG_WORDS)
        if shared:
            add("clang", f"option {letter} repeats the stem ({sorted(shared)[0]!r})")
    if item.judges_distractors:
        keyed = _keyed(item, key)
        lengths = {o: len(t) for o, t in options.items()}
        others = [n for o, n in lengths.items() if o not in keyed]
        key_mean = sum(lengths[o] for o in keyed) / len(keyed)
        if others and key_mean > KEY_LENGTH_RATIO * (sum(others) / len(others)):
            add("length", f"the key is {key_mean / (sum(others) / len(others)):.1f} times as long "
                          "as the other options on average")
        if max(lengths.values()) > SPREAD_RATIO * min(lengths.values()):
            longest, shortest = max(lengths, key=lengths.get), min(lengths, key=lengths.get)
            add("length", f"option {longest} is more than {SPREAD_RATIO:g} times as long as "
                          f"option {shortest}")
        justified = {o for o, t in options.items() if JUSTIFICATION.search(t)}
        if justified - keyed and not justified & keyed:
            add("justification", "only distractors give reasons (" +
                ", ".join(sorted(justified - keyed)) + "): a reason reads as a cue")
    parts = getattr(item, "parts", None)
    if parts and isinstance(key, dict):
        for part, label in parts.items():
            text = options.get(key.get(part), "")
            shared = {w for w in words(label) if len(w) > 3 and w not in STOPWORDS} & \
                {w for w in words(text) if len(w) > 3 and w not in STOPWORDS}
            if shared:
                add("clang", f"{part!r} and its answer share the word {sorted(shared)[0]!r}")
        letters = list(options)
        if [key[p] for p in parts] == letters[:len(parts)]:
            add("key-position", "the key matches the parts to the options in the order listed")
    if isinstance(key, list) and options and key == list(options):
        add("key-position", "the key is the options in the order listed")
    if practice and not item.skill_check:   # a skill check is about the practice figure
        copied = runs(graded_text(item), COPY_WORDS) & runs(practice, COPY_WORDS)
        if copied:
            add("practice-copy", f"it repeats practice material: {sorted(copied)[0]!r}")
    return found


# ---------------------------------------------------------------- across items
def spread_findings(entries: list[tuple[Item, object]], where: str) -> list[Finding]:
    """Key positions and multi-select keys across a set of items (a module, or the course)."""
    found = []
    singles = [(it, key) for it, key in entries
               if it.judges_distractors and len(_keyed(it, key)) == 1 and not isinstance(key, set)]
    if len(singles) >= 3:
        letters = Counter(next(iter(_keyed(it, key))) for it, key in singles)
        letter, count = letters.most_common(1)[0]
        if count / len(singles) > POSITION_SHARE:
            found.append(Finding("key-position", where, f"{count} of {len(singles)} single-choice "
                                                        f"keys are {letter!r}"))
        longest = [it.id for it, key in singles
                   if max(_options(it), key=lambda o: len(_options(it)[o])) in _keyed(it, key)]
        if len(longest) / len(singles) > POSITION_SHARE:
            found.append(Finding("length", where, f"the key is the longest option in "
                                                  f"{len(longest)} of {len(singles)} items"))
    multis = [(it, key) for it, key in entries if isinstance(key, set)]
    if len(multis) >= 2:
        sizes = {len(key) for _, key in multis}
        if len(sizes) == 1:
            found.append(Finding("multi-keys", where, f"every multi-select key has {sizes.pop()} "
                                                      "options"))
        common = set.intersection(*(set(key) for _, key in multis))
        if common:
            found.append(Finding("multi-keys", where, f"every multi-select key holds option "
                                                      f"{sorted(common)[0]!r}"))
    return found


def module_findings(specs, module_keys: dict, practice: str = "", where: str = "") -> list[Finding]:
    found = [f for it in specs for f in item_findings(it, module_keys[it.id], practice)]
    return found + spread_findings([(it, module_keys[it.id]) for it in specs], where)


# ---------------------------------------------------------------- the course on disk
def practice_text(root: Path, module: dict) -> str:
    """What a learner practises on before the graded items: the module's widget and practice
    data, its practice scenarios and its lesson prose (not the items, not graded scenarios)."""
    data = dict(content.module_content(module["id"]))
    data.pop("item", None)
    graded = {getattr(it, "scenario", None) for it in items.items(module["id"])}
    data["scenario"] = {k: v for k, v in data.get("scenario", {}).items() if k not in graded}
    texts = []

    def walk(value) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data)
    nb = notebooks.read(notebooks.source_notebook(Path(root), module))
    texts += [c.source for c in nb.cells if c.cell_type == "markdown"
              and notebooks.course_meta(c).get("role") not in ("prompt", "rubric", "reflection")]
    return "\n".join(texts)


def audit(root: Path) -> list[Finding]:
    """Every finding for the course in ``root``: each module, then the course as a whole."""
    found, everything = [], []
    for module in notebooks.modules_in(Path(root)):
        specs, module_keys = items.items(module["id"]), keys.load(Path(root), module)
        found += module_findings(specs, module_keys, practice_text(root, module), module["folder"])
        everything += [(it, module_keys[it.id]) for it in specs]
    return found + spread_findings(everything, "the course")
