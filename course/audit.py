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
from course.items import ChoiceSet, Item

#: guideline id -> what it asks, in the words the findings use.
GUIDELINES = {
    "length": "options of comparable length: the key is not the longest by a margin",
    "clauses": "options of comparable build: the key is not the most complete (most clauses)",
    "key-position": "keys spread over the positions (not one letter, not the listed order)",
    "multi-keys": "multi-select keys that vary in size and position across items",
    "match-options": "match options that each fit at most one part and are of comparable length",
    "determiners": "no specific determiners (always, never, only, ...) in the options",
    "justification": "no justification clause that only distractors carry",
    "one-question": "one question per stem",
    "negative-stem": "a stem worded positively (no NOT or EXCEPT)",
    "clang": "no option that repeats the stem, no pair matched by a shared word",
    "above": "no 'all of the above' or 'none of the above'",
    "practice-copy": "no graded item that copies a practice case or a lesson example",
    "blind-play": "no blind strategy (always one letter, the longest, the shortest, the most or "
                  "fewest clauses) earns marks in a scenario played step by step",
}

#: A key this much longer than the mean of the other options stands out.
KEY_LENGTH_RATIO = 1.3
#: The longest option of an item (or of a scenario's step) at most this many times the shortest.
SPREAD_RATIO = 2.0
#: No letter is the key of more than this share of a module's (or the course's) choice items; nor
#: is the key the longest, or the most complete, option in more than this share (of a module's or
#: the course's choice items, or of a graded scenario's steps).
POSITION_SHARE = 0.5
#: Sets of options needed before a share across them means anything.
MIN_SETS = 3
#: A key with this many more clauses than every other option is "the most complete option".
KEY_CLAUSE_MARGIN = 2
#: No option of a set has this many more clauses than another (a list of four things beside one
#: plain statement).
CLAUSE_SPREAD = 3
#: Across the course, distractors may carry a cue (absolute words, a reason) at most this many
#: times as often as keys, once at least CUE_RATE_FLOOR of the distractors carry it.
CUE_RATE_RATIO = 1.5
CUE_RATE_FLOOR = 0.1
#: Words shared in a row with the stem before an option "repeats" it.
CLANG_WORDS = 4
#: Words shared in a row with practice material before a graded item "copies" it.
COPY_WORDS = 6

DETERMINERS = re.compile(
    r"\b(always|never|ever|only|completely|absolutely|entirely|totally|altogether|fully|"
    r"no exceptions?|without exception|without fail|every single|at all times|at once|in full|"
    r"under no circumstances|on no account|no matter what|whatever happens|whether or not|"
    r"at any cost|at all costs|for good|once and for all|the end of it|"
    r"everyone|everybody|everything|nothing|nobody|no one|none at all)\b", re.I)
#: Broader than DETERMINERS: quantifiers a single option may use, but that read as a cue when
#: distractors use them far more often than keys (compared across the course).
SWEEPING = re.compile(DETERMINERS.pattern + r"|\b(all|any|every|none|anyone|anything|anybody)\b",
                      re.I)
JUSTIFICATION = re.compile(
    r"\b(so that|in order to|so as to|because|since|as long as|to make sure|that way|after all|"
    r"otherwise|or else|which (means|shows|keeps|saves)|to show (that|them|him|her|everyone))\b"
    r"|, so\b"
    r"|\w[:;—–]\s*[a-z]",   # "Leave him to it: he is a patient" (a reason after a colon)
    re.I)
#: What separates the clauses of an option: "the most complete option" has the most of them.
CLAUSE_BREAKS = re.compile(r"[,;:—–]|\s-\s|\b(and|then)\b", re.I)
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


def clauses(text: str) -> int:
    """How many clause breaks an option has (commas, colons, dashes, "and", "then")."""
    return len(CLAUSE_BREAKS.findall(text))


def most_complete(options: dict[str, str]) -> str:
    """The option a test-wise learner picks blind: the most clauses, ties by length."""
    return max(options, key=lambda o: (clauses(options[o]), len(options[o])))


def blind_strategies() -> dict:
    """How a test-wise learner picks at each step without reading for meaning: name -> choose."""
    def letter(n):
        return lambda options: list(options)[min(n, len(options) - 1)]
    return {
        **{f"always {chr(97 + n)!r}": letter(n) for n in range(4)},
        "always the longest": lambda o: max(o, key=lambda k: (len(o[k]), k)),
        "always the shortest": lambda o: min(o, key=lambda k: (len(o[k]), k)),
        "always the most clauses": most_complete,
        "always the fewest clauses": lambda o: min(o, key=lambda k: (clauses(o[k]), len(o[k]))),
    }


def blind_findings(item: Item, key) -> list[tuple[str, str]]:
    """Each blind strategy that earns marks when the item is played step by step."""
    found = []
    for name, choose in blind_strategies().items():
        answer = item.play_blind(choose)
        if answer is not None and item.credit(answer, key).share > 0:
            found.append(("blind-play", f"{name} ({answer}) earns "
                                        f"{item.credit(answer, key).share:.0%} of the points"))
    return found


def graded_text(item: Item) -> str:
    """Everything a learner reads for a graded item (for a scenario item, the whole scenario)."""
    return "\n".join(item.reading())


def _discriminating(sets: list[ChoiceSet]) -> list[ChoiceSet]:
    """The sets where the key picks some options and not others."""
    return [cs for cs in sets if cs.keyed and set(cs.options) - cs.keyed]


# ---------------------------------------------------------------- one set of options
def set_findings(cs: ChoiceSet) -> list[tuple[str, str]]:
    """(guideline, message) for one set of options: the key against its distractors."""
    found = []
    at = f"{cs.where}: " if cs.where else ""
    lengths = {o: len(t) for o, t in cs.options.items()}
    counts = {o: clauses(t) for o, t in cs.options.items()}
    if max(lengths.values()) > SPREAD_RATIO * min(lengths.values()):
        longest, shortest = max(lengths, key=lengths.get), min(lengths, key=lengths.get)
        found.append(("length", f"{at}option {longest} is more than {SPREAD_RATIO:g} times as long "
                                f"as option {shortest}"))
    if max(counts.values()) - min(counts.values()) >= CLAUSE_SPREAD:
        most, fewest = max(counts, key=counts.get), min(counts, key=counts.get)
        found.append(("clauses", f"{at}option {most} has {counts[most]} clause breaks and option "
                                 f"{fewest} {counts[fewest]}: write options of the same build"))
    others = [o for o in cs.options if o not in cs.keyed]
    if not cs.keyed or not others:
        return found
    key_mean = sum(lengths[o] for o in cs.keyed) / len(cs.keyed)
    other_mean = sum(lengths[o] for o in others) / len(others)
    if key_mean > KEY_LENGTH_RATIO * other_mean:
        found.append(("length", f"{at}the key is {key_mean / other_mean:.1f} times as long as the "
                                "other options on average"))
    key_fewest, other_most = min(counts[o] for o in cs.keyed), max(counts[o] for o in others)
    if key_fewest >= other_most + KEY_CLAUSE_MARGIN:
        found.append(("clauses", f"{at}the key has {key_fewest} clause breaks and no other "
                                 f"option more than {other_most}: the most complete option reads "
                                 "as right"))
    justified = {o for o, t in cs.options.items() if JUSTIFICATION.search(t)}
    if justified - cs.keyed and not justified & cs.keyed:
        found.append(("justification", f"{at}only distractors give reasons (" +
                      ", ".join(sorted(justified - cs.keyed)) + "): a reason reads as a cue"))
    return found


def cue_shares(sets: list[ChoiceSet], what: str) -> list[tuple[str, str]]:
    """(guideline, message) when the blind rules "pick the longest" or "pick the most complete"
    find the key in more than POSITION_SHARE of ``sets`` (``what`` names them)."""
    sets = _discriminating(sets)
    if len(sets) < MIN_SETS:
        return []
    found = []
    longest = [cs for cs in sets if max(cs.options, key=lambda o: len(cs.options[o])) in cs.keyed]
    if len(longest) / len(sets) > POSITION_SHARE:
        found.append(("length", f"the key is the longest option in {len(longest)} of {len(sets)} "
                                f"{what}"))
    complete = [cs for cs in sets if most_complete(cs.options) in cs.keyed]
    if len(complete) / len(sets) > POSITION_SHARE:
        found.append(("clauses", f"picking the option with the most clauses (ties: the longest) "
                                 f"finds the key in {len(complete)} of {len(sets)} {what}"))
    return found


# ---------------------------------------------------------------- one item at a time
def item_findings(item: Item, key, practice: str = "") -> list[Finding]:
    found: list[Finding] = []

    def add(guideline: str, message: str) -> None:
        found.append(Finding(guideline, item.id, message))

    options = item.listed_options()
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
    sets = item.choice_sets(key)
    for cs in sets:
        for guideline, message in set_findings(cs):
            add(guideline, message)
    if len(sets) > 1:   # a graded scenario: the best move is not systematically the longest
        for guideline, message in cue_shares(sets, "steps where the best move differs from "
                                                   "the rest"):
            add(guideline, message)
    found += match_findings(item, key)
    for guideline, message in blind_findings(item, key):
        add(guideline, message)
    sequence = item.key_sequence(key)
    if sequence and len(sequence) > 1:
        places = [list(options).index(letter) for letter in sequence]
        if all(a < b for a, b in zip(places, places[1:])):
            add("key-position", "the key gives the options in the order they are listed")
    if practice and not item.skill_check:   # a skill check is about the practice figure
        copied = runs(graded_text(item), COPY_WORDS) & runs(practice, COPY_WORDS)
        if copied:
            add("practice-copy", f"it repeats practice material: {sorted(copied)[0]!r}")
    return found


def match_findings(item: Item, key) -> list[Finding]:
    """A match item's pairs: no shared word gives a pair away, no option answers two parts, and
    no option is so short beside the others that it stands out."""
    pairs = item.matched_parts(key)
    if not pairs:
        return []
    options, found = item.listed_options(), []
    for label, letter in pairs:
        shared = {w for w in words(label) if len(w) > 3 and w not in STOPWORDS} & \
            {w for w in words(options.get(letter, "")) if len(w) > 3 and w not in STOPWORDS}
        if shared:
            found.append(Finding("clang", item.id, f"{label!r} and its answer share the word "
                                                   f"{sorted(shared)[0]!r}"))
    uses = Counter(letter for _, letter in pairs)
    for letter, count in sorted(uses.items()):
        if count > 1:
            found.append(Finding("match-options", item.id, f"option {letter} is the answer for "
                                                           f"{count} parts: make it fit one"))
    lengths = {o: len(t) for o, t in options.items()}
    longest, shortest = max(lengths, key=lengths.get), min(lengths, key=lengths.get)
    if lengths[longest] > SPREAD_RATIO * lengths[shortest]:
        found.append(Finding("match-options", item.id, f"option {shortest} is less than half as "
                                                       f"long as option {longest}"))
    return found


# ---------------------------------------------------------------- across items
def spread_findings(entries: list[tuple[Item, object]], where: str) -> list[Finding]:
    """Key positions, the longest and most complete keys, and multi-select keys across a set of
    items (a module, or the course)."""
    found = []
    singles = [(it, it.single_key(key), it.choice_sets(key)) for it, key in entries
               if it.single_key(key) is not None]
    if len(singles) >= MIN_SETS:
        letters = Counter(letter for _, letter, _ in singles)
        letter, count = letters.most_common(1)[0]
        if count / len(singles) > POSITION_SHARE:
            found.append(Finding("key-position", where, f"{count} of {len(singles)} single-choice "
                                                        f"keys are {letter!r}"))
        sets = [cs for _, _, item_sets in singles for cs in item_sets]
        found += [Finding(g, where, m) for g, m in cue_shares(sets, "single-choice items")]
    multis = [it.multi_key(key) for it, key in entries if it.multi_key(key) is not None]
    if len(multis) >= 2:
        sizes = {len(key) for key in multis}
        if len(sizes) == 1:
            found.append(Finding("multi-keys", where, f"every multi-select key has {sizes.pop()} "
                                                      "options"))
        common = frozenset.intersection(*multis)
        if common:
            found.append(Finding("multi-keys", where, f"every multi-select key holds option "
                                                      f"{sorted(common)[0]!r}"))
    return found


def rate_findings(entries: list[tuple[Item, object]], where: str) -> list[Finding]:
    """Across many items: do distractors carry absolute words, or reasons, far more often than
    keys? One such option per item passes the item's own checks; fifty of them teach a rule."""
    keyed, distractors = [], []
    for it, key in entries:
        for cs in _discriminating(it.choice_sets(key)):
            keyed += [t for o, t in cs.options.items() if o in cs.keyed]
            distractors += [t for o, t in cs.options.items() if o not in cs.keyed]
    if len(keyed) < MIN_SETS:
        return []
    found = []
    for guideline, cue, what in (
            ("determiners", SWEEPING, "absolute or sweeping words (all, any, every, nothing, ...)"),
            ("justification", JUSTIFICATION, "a reason (because, so that, a colon and why, ...)")):
        in_keys = sum(bool(cue.search(t)) for t in keyed) / len(keyed)
        in_others = sum(bool(cue.search(t)) for t in distractors) / len(distractors)
        if in_others >= CUE_RATE_FLOOR and in_others > CUE_RATE_RATIO * in_keys:
            found.append(Finding(guideline, where, f"{in_others:.0%} of distractors carry {what}, "
                                                   f"against {in_keys:.0%} of keys"))
    return found


def course_findings(entries: list[tuple[Item, object]], where: str) -> list[Finding]:
    """The guidelines that only a whole course shows."""
    return spread_findings(entries, where) + rate_findings(entries, where)


def module_findings(specs, module_keys: dict, practice: str = "", where: str = "") -> list[Finding]:
    found = [f for it in specs for f in item_findings(it, module_keys[it.id], practice)]
    return found + spread_findings([(it, module_keys[it.id]) for it in specs], where)


# ---------------------------------------------------------------- the course on disk
def practice_text(root: Path, module: dict) -> str:
    """What a learner practises on before the graded items: the module's widget and practice
    data, its practice scenarios and its lesson prose (not the items, not graded scenarios)."""
    data = dict(content.module_content(module["id"]))
    data.pop("item", None)
    graded = items.graded_scenarios(module["id"])
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
    return found + course_findings(everything, "the course")
