"""From the course structure and the gradebook to the report's tables (no drawing, no files)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from course.report import stats
from course.report.gather import ClassData
from course.report.learner_answers import UNREADABLE
from course.report.structure import Item, Module

NO_ANSWER, OTHER = "(no answer)", "(other)"
#: Submissions with unreadable answers named in the report's note (the rest are counted).
MAX_NAMED = 20


@dataclass
class ItemStats:
    module: Module
    item: Item
    n: int
    correct: int
    p: float | None
    r_pb: float | None
    d: float | None
    flags: list


@dataclass
class OptionShare:
    module: Module
    item: Item
    part: str          # the thing matched, for match items; "" otherwise
    option: str        # a letter, a value given (numbers, paths), NO_ANSWER or OTHER
    text: str
    count: int
    share: float
    is_key: bool
    is_distractor: bool
    rare: bool


@dataclass
class ThemeSummary:
    module: Module
    theme: object
    learners: int
    mean: float | None
    mastered: int        # learners at or above stats.MASTERY

    @property
    def share_mastered(self) -> float | None:
        return self.mastered / self.learners if self.learners else None


@dataclass
class ModuleScores:
    module: Module
    max_auto: float
    auto: list           # auto-graded points per submission
    submitted: int
    missing: int
    late: int
    summary: dict


@dataclass
class ReflectionProgress:
    module: Module
    reflection: object
    graded: int
    waiting: int
    blank: int


@dataclass
class Analysis:
    modules: list
    data: ClassData
    learners: list                                      # students with a submission, best first
    #: (student, theme id) -> (earned, possible): each graded cell's points, split equally among
    #: the themes it carries (a 4-point reflection on 4 themes weighs 1 point in each).
    mastery: dict = field(default_factory=dict)
    themes: list = field(default_factory=list)          # ThemeSummary, catalogue order
    items: list = field(default_factory=list)           # ItemStats
    options: list = field(default_factory=list)         # OptionShare
    scores: list = field(default_factory=list)          # ModuleScores
    reflections: list = field(default_factory=list)     # ReflectionProgress
    warnings: list = field(default_factory=list)
    disagreements: int = 0     # answers read whose rightness differs from their grade
    _overall: dict | None = field(default=None, repr=False)

    def theme_mastery(self, student: str, theme_id: str) -> float | None:
        earned, possible = self.mastery.get((student, theme_id), (0.0, 0.0))
        return stats.mastery(earned, possible)

    def overall(self, student: str) -> float:
        """Share of all theme-weighted points earned so far (sorts the heatmap's rows)."""
        if self._overall is None:
            totals: dict[str, list[float]] = {}
            for (s, _), (earned, possible) in self.mastery.items():
                pair = totals.setdefault(s, [0.0, 0.0])
                pair[0] += earned
                pair[1] += possible
            self._overall = {s: e / p if p else 0.0 for s, (e, p) in totals.items()}
        return self._overall.get(student, 0.0)


def analyse(modules: list[Module], data: ClassData) -> Analysis:
    present = [m for m in modules if m.folder in data.assignments]
    result = Analysis(present, data, [])
    for module in modules:
        if module not in present:
            result.warnings.append(
                f"{module.label} ({module.folder}) is in source/ but not in the gradebook yet: "
                "it is left out until it is released and graded.")
    for module in present:
        subs = data.submitted(module.folder)
        _mastery(result, module, subs)
        _items(result, module, subs)
        _options(result, module, subs)
        _scores(result, module, subs)
        _reflections(result, module, subs)
        if not subs:
            result.warnings.append(f"{module.label} has no submissions yet.")
    small = [(m, len(data.submitted(m.folder))) for m in present
             if 0 < len(data.submitted(m.folder)) < stats.MIN_COHORT]
    if small:
        counts = "; ".join(f"{m.label}: {n} submission{'s' * (n != 1)}" for m, n in small)
        result.warnings.append(
            f"Small cohort ({counts}): with fewer than {stats.MIN_COHORT} learners the item "
            "statistics are unstable, so read them as hints to look closer, not as verdicts.")
    _theme_summaries(result)
    active = {s.student for m in present for s in data.submitted(m.folder)}
    result.learners = sorted(active, key=lambda s: (-result.overall(s), s))
    if data.unreadable_learners:
        n = len(data.unreadable_learners)
        named = "; ".join(f"{student} in {folder}: {why}"
                          for student, folder, why in data.unreadable_learners[:MAX_NAMED])
        more = f"; and {n - MAX_NAMED} more" if n > MAX_NAMED else ""
        result.warnings.append(
            f"Answers unreadable for {n} submission{'s' * (n != 1)} ({named}{more}). Their grades "
            "stand as the autograder gave them; only their answers are left out of the option "
            "shares (counted as '(other)'), and everyone else's are read as usual.")
    if data.unreadable_answers:
        result.warnings.append(
            f"{data.unreadable_answers} answer{'s' * (data.unreadable_answers != 1)} could not "
            "be read as a plain value (typed as an expression, or saved in an answers file that "
            "could not be read); they count as '(other)' in the option shares.")
    if result.disagreements:
        result.warnings.append(
            f"{result.disagreements} answer{'s' * (result.disagreements != 1)} read from the graded "
            "notebooks disagree with the grade the autograder gave (an answer may have been changed "
            "again outside its answer cell): the option shares count what the answer cell says.")
    waiting = sum(r.waiting for r in result.reflections)
    if waiting:
        result.warnings.append(
            f"{waiting} reflection{'s' * (waiting != 1)} still wait{'s' * (waiting == 1)} for "
            "grading: theme mastery leaves them out, and the grade exports count them as 0 until "
            "they are graded.")
    return result


def item_score(sub, item: Item) -> float:
    """The fraction of the item's points earned (0 when the cell has no grade)."""
    grade = sub.grades.get(item.test_cell)
    if grade is None or not grade.max:
        return 0.0
    return (grade.score or 0.0) / grade.max


def _points(sub, item: Item) -> float:
    grade = sub.grades.get(item.test_cell)
    return (grade.score or 0.0) if grade else 0.0


def _mastery(result: Analysis, module: Module, subs) -> None:
    cells = module.graded_cells
    for sub in subs:
        for name, cell in cells.items():
            grade = sub.grades.get(name)
            if grade is None or grade.score is None or not cell.themes:
                continue   # a reflection still waiting for the instructor
            share = 1 / len(cell.themes)   # a cell's points are split among the themes it carries
            for theme in cell.themes:
                earned, possible = result.mastery.get((sub.student, theme), (0.0, 0.0))
                result.mastery[(sub.student, theme)] = (earned + share * grade.score,
                                                        possible + share * grade.max)


def _items(result: Analysis, module: Module, subs) -> None:
    totals = [sum(_points(s, item) for item in module.items) for s in subs]
    for item in module.items:
        scores = [item_score(s, item) for s in subs]
        rest = [total - _points(s, item) for total, s in zip(totals, subs)]
        p = stats.difficulty(scores)
        r_pb = stats.point_biserial(scores, rest)
        d = stats.upper_lower(scores, rest)
        result.items.append(ItemStats(module, item, len(subs), sum(x >= 1 for x in scores), p,
                                      r_pb, d, stats.item_flags(p, r_pb, d)))


def _category(item: Item, value) -> list[tuple[str, str]]:
    """(part, option) pairs an answer counts towards in the option shares."""
    parts = item.spec.report_parts()
    if value is None:
        return [(part, NO_ANSWER) for part in parts]
    if value is UNREADABLE:
        return [(part, OTHER) for part in parts]
    try:
        if item.spec.form_problem(value) is None:
            return item.spec.report_category(value)
    except Exception:  # a strange value the kind cannot read: counted as other
        pass
    return [(part, OTHER) for part in parts]


def _options(result: Analysis, module: Module, subs) -> None:
    n = len(subs)
    for item in module.items:
        spec = item.spec
        result.disagreements += _disagreements(item, subs)
        counts = Counter(pair for s in subs for pair in _category(item, s.answers.get(item.id)))
        for part in spec.report_parts():
            choices = spec.report_choices(part)
            if choices is None:   # the most common values given, and the key's place among them
                given = sorted((o for p, o in counts if p == part and o not in (NO_ANSWER, OTHER)),
                               key=lambda o: (-counts[(part, o)], o))
                choices = given[:8]
                key_label = _key_label(item, part)
                if key_label is not None and key_label not in choices:
                    choices.append(key_label)
            for option in [*choices, NO_ANSWER, OTHER]:
                count = counts.get((part, option), 0)
                if option in (NO_ANSWER, OTHER) and not count:
                    continue
                is_key = item.key is not None and spec.report_is_key(item.key, part, option)
                distractor = spec.lettered and option not in (NO_ANSWER, OTHER) and not is_key
                result.options.append(OptionShare(
                    module, item, part, option, spec.report_text(option), count,
                    count / n if n else 0.0, is_key, distractor,
                    distractor and spec.judges_distractors and stats.rare(count, n)))


def _key_label(item: Item, part: str) -> str | None:
    """The key's own label among a part's values (for kinds whose values are shown, not lettered)."""
    try:
        for p, option in item.spec.report_category(item.spec.solution(item.key)):
            if p == part:
                return option
    except Exception:
        return None
    return None


def _disagreements(item: Item, subs) -> int:
    """Answers read from the files whose credit differs from the grade the autograder gave
    (say, an answer changed again in another cell): the option shares then deserve a second look."""
    if item.key is None:
        return 0
    count = 0
    for sub in subs:
        value = sub.answers.get(item.id)
        if value is None or value is UNREADABLE or item.test_cell not in sub.grades:
            continue
        try:
            share = item.spec.credit(value, item.key).share
        except Exception:
            share = 0.0
        if abs(share - item_score(sub, item)) > 0.01:
            count += 1
    return count


def _scores(result: Analysis, module: Module, subs) -> None:
    auto = [sum(_points(s, item) for item in module.items) for s in subs]
    result.scores.append(ModuleScores(
        module, sum(item.points for item in module.items), auto, len(subs),
        len(result.data.students) - len(subs), sum(s.late for s in subs), stats.describe(auto)))


def _reflections(result: Analysis, module: Module, subs) -> None:
    for reflection in module.reflections:
        status = Counter(s.grades[reflection.id].status for s in subs if reflection.id in s.grades)
        result.reflections.append(ReflectionProgress(module, reflection, status["graded"],
                                                      status["waiting"], status["blank"]))


def _theme_summaries(result: Analysis) -> None:
    for module in result.modules:
        learners = [s.student for s in result.data.submitted(module.folder)]
        for theme in module.themes:
            values = [v for v in (result.theme_mastery(s, theme.id) for s in learners)
                      if v is not None]
            result.themes.append(ThemeSummary(
                module, theme, len(values), sum(values) / len(values) if values else None,
                sum(v >= stats.MASTERY for v in values)))
