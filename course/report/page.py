"""The report as one self-contained HTML page: inline CSS, figures as base64 PNG, no scripts.

Nothing on the page is fetched from elsewhere, so it opens the same offline, from an e-mail
attachment or from a learning platform. Links point only at the CSV files written beside it.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from html import escape

from sqlalchemy.engine import make_url

from course.report import stats
from course.report.analysis import Analysis

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 1.5rem; color: #1a1a1a; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem;
     margin-top: 2.2rem; } h3 { margin-top: 1.6rem; }
.meta { color: #444; margin-top: 0; }
.warn { background: #fff4e0; border-left: 5px solid #E69F00; padding: 0.6rem 1rem; margin: 1rem 0; }
.glance { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 0.8rem; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.6rem 0.9rem; }
.card b { font-size: 1.5rem; display: block; }
figure { margin: 1.2rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #333; font-size: 0.92rem; margin-top: 0.3rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.45rem; text-align: left; vertical-align: top; }
th { background: #eef4fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fff4e0; } .flag { color: #8a4b00; }
details { margin: 0.6rem 0; } summary { cursor: pointer; font-weight: 600; }
code { background: #f3f3f3; padding: 0 0.2rem; }
"""


def _num(x, fmt: str = "{:.2f}") -> str:
    return "n/a" if x is None else fmt.format(x)


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
           flagged: list[bool] | None = None) -> str:
    """Rows of already-escaped cell HTML."""
    head = "".join(f"<th scope=\"col\">{escape(h)}</th>" for h in header)
    body = []
    for r, row in enumerate(rows):
        cls = " class=\"flagged\"" if flagged and flagged[r] else ""
        cells = "".join(f"<td class=\"num\">{c}</td>" if i in numeric else f"<td>{c}</td>"
                        for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(fig) -> str:
    data = base64.b64encode(fig.png).decode("ascii")
    return (f"<figure id=\"fig-{escape(fig.name)}\"><img src=\"data:image/png;base64,{data}\" "
            f"alt=\"{escape(fig.alt)}\"><figcaption><b>{escape(fig.title)}.</b> "
            f"{escape(fig.alt)}</figcaption></figure>")


def describe_gradebook(db_url: str) -> str:
    """Where the numbers come from, in words: no password, and no URL (the page links nowhere)."""
    try:
        url = make_url(db_url)
    except Exception:  # any unparsable URL: show nothing of it rather than a secret
        return "the gradebook"
    if url.get_backend_name() == "sqlite":
        return f"the SQLite gradebook {url.database or '(in memory)'}"
    where = f" on {url.host}" if url.host else ""
    return f"the {url.get_backend_name()} gradebook {url.database or ''}{where}".replace("  ", " ")


def render(a: Analysis, figures: list, files: dict, feedback_count: int) -> str:
    figs = {f.name: f for f in figures}
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Course report: theme mastery, item analysis, grading</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Course report</h1>",
        f"<p class=\"meta\">Generated {escape(now)} from {escape(describe_gradebook(a.data.db_url))}"
        f": {len(a.learners)} learners with submissions, "
        f"{len(a.modules)} module{'s' * (len(a.modules) != 1)} "
        f"({escape(', '.join(m.label for m in a.modules)) or 'none'}). This page is for instructors: "
        "it shows answer keys. Give learners only their files in <code>feedback/</code>.</p>",
    ]
    for warning in a.warnings:
        parts.append(f"<div class=\"warn\" role=\"note\"><b>Note:</b> {escape(warning)}</div>")
    parts += _glance(a)
    parts += _themes(a, figs)
    parts += _items(a, figs)
    parts += _scores(a, figs)
    parts += _grading(a, figs)
    parts += _files(files, feedback_count)
    parts += _method()
    parts.append("</body></html>")
    return "\n".join(parts)


def _glance(a: Analysis) -> list[str]:
    below = [t for t in a.themes if t.mean is not None and t.mean < stats.MASTERY]
    flagged = [s for s in a.items if s.flags]
    waiting = sum(r.waiting for r in a.reflections)
    late = sum(s.late for s in a.scores)
    cards = [
        (len(below), f"theme{'s' * (len(below) != 1)} below the {stats.MASTERY:.0%} mastery line"),
        (len(flagged), f"of {len(a.items)} items flagged for review"),
        (waiting, f"reflection{'s' * (waiting != 1)} waiting for grading"),
        (late, f"late submission{'s' * (late != 1)}"),
    ]
    out = ["<h2 id=\"glance\">At a glance</h2>", "<div class=\"glance\">"]
    out += [f"<div class=\"card\"><b>{n}</b>{escape(text)}</div>" for n, text in cards]
    out.append("</div>")
    if below:
        out.append("<h3>Themes the class has not yet grasped</h3><ul>")
        for t in sorted(below, key=lambda t: t.mean):
            where = "; ".join(t.theme.sections) or "no lesson section names it"
            out.append(f"<li><b>{escape(t.theme.title)}</b> ({escape(t.module.label)}): class mean "
                       f"{_pct(t.mean)}, {t.mastered} of {t.learners} learners at the line. "
                       f"Taught in: {escape(where)}.</li>")
        out.append("</ul>")
    return out


def _themes(a: Analysis, figs: dict) -> list[str]:
    out = ["<h2 id=\"themes\">Theme mastery</h2>",
           "<p>Each graded cell carries the themes it assesses. A learner's mastery of a theme is "
           "the share of those cells' points they earned; reflections count once graded.</p>"]
    out += [_figure(figs[name]) for name in ("theme_heatmap", "theme_class") if name in figs]
    rows = [[escape(t.module.label), f"<code>{escape(t.theme.id)}</code>", escape(t.theme.title),
             str(t.learners), _pct(t.mean), _pct(t.share_mastered),
             escape("; ".join(t.theme.sections))] for t in a.themes]
    out.append(_table(["module", "theme", "title", "learners", "class mean", "at the line",
                       "lesson sections"], rows, {3, 4, 5},
                      [t.mean is not None and t.mean < stats.MASTERY for t in a.themes]))
    return out


def _items(a: Analysis, figs: dict) -> list[str]:
    out = ["<h2 id=\"items\">Item analysis</h2>",
           f"<p>Difficulty <i>p</i> is the share correct; discrimination compares each item with "
           f"the rest of its module (point-biserial <i>r</i> and the upper-lower 27% index "
           f"<i>D</i>). Usual ranges: <i>p</i> from {stats.P_LOW:.2f} to {stats.P_HIGH:.2f}, "
           f"discrimination at least {stats.DISCRIMINATION_LOW:.2f}; a negative value usually "
           "means the key is wrong or the question misleads strong learners.</p>"]
    if "item_map" in figs:
        out.append(_figure(figs["item_map"]))
    for module in a.modules:
        rows = [s for s in a.items if s.module is module]
        out.append(f"<h3>{escape(module.label)}: {escape(module.title)}</h3>")
        out.append(_table(
            ["item", "kind", "themes", "n", "p", "r (pb)", "D (27%)", "flags"],
            [[f"{escape(s.item.label)}<br><code>{escape(s.item.id)}</code>", escape(s.item.kind),
              escape(", ".join(s.item.themes)), str(s.n), _num(s.p), _num(s.r_pb), _num(s.d),
              "<span class=\"flag\">" + escape("; ".join(s.flags)) + "</span>"] for s in rows],
            {3, 4, 5, 6}, [bool(s.flags) for s in rows]))
        if f"options_{module.id}" in figs:
            out.append(_figure(figs[f"options_{module.id}"]))
        out += _options(a, module)
    return out


def _options(a: Analysis, module) -> list[str]:
    shares = [o for o in a.options if o.module is module]
    if not shares:
        return []
    rare = [o for o in shares if o.rare]
    out = []
    if rare:
        out.append("<p><b>Distractors chosen by fewer than 5% of learners</b> (replace them with a "
                   "mistake people really make, or drop them):</p><ul>")
        out += [f"<li>{escape(o.item.label)}{' / ' + escape(o.part) if o.part else ''}, option "
                f"<b>{escape(o.option)}</b>: {escape(o.text)} ({_pct(o.share)})</li>" for o in rare]
        out.append("</ul>")
    out.append(f"<details><summary>Every option of {escape(module.label)}, with the share choosing "
               "it (the key is marked)</summary>")
    out.append(_table(["item", "part", "option", "text", "chosen by", "key"],
                      [[escape(o.item.label), escape(o.part), escape(o.option), escape(o.text),
                        f"{o.count} ({_pct(o.share)})", "key" if o.is_key else ""] for o in shares],
                      {4}, [o.rare for o in shares]))
    out.append("</details>")
    return out


def _scores(a: Analysis, figs: dict) -> list[str]:
    out = ["<h2 id=\"scores\">Scores</h2>"]
    if "score_distributions" in figs:
        out.append(_figure(figs["score_distributions"]))
    out.append(_table(["module", "submitted", "missing", "late", "max", "mean", "median", "sd",
                       "min", "max scored"],
                      [[escape(s.module.label), str(s.submitted), str(s.missing), str(s.late),
                        f"{s.max_auto:g}", *(_num(s.summary[k], "{:.1f}") for k in
                                             ("mean", "median", "sd", "min", "max"))]
                       for s in a.scores], set(range(1, 10))))
    return out


def _grading(a: Analysis, figs: dict) -> list[str]:
    out = ["<h2 id=\"grading\">Manual grading</h2>",
           "<p>Reflections are graded by hand in formgrader with the rubric in the source notebook. "
           "Blank answers scored 0 automatically and need no grading.</p>"]
    if "grading_progress" in figs:
        out.append(_figure(figs["grading_progress"]))
    out.append(_table(["module", "reflection", "graded", "waiting", "blank"],
                      [[escape(r.module.label), escape(r.reflection.label), str(r.graded),
                        str(r.waiting), str(r.blank)] for r in a.reflections], {2, 3, 4},
                      [r.waiting > 0 for r in a.reflections]))
    return out


def _files(files: dict, feedback_count: int) -> list[str]:
    labels = {
        "items": "item analysis", "options": "option shares (with keys)",
        "themes_class": "class mastery per theme", "theme_mastery": "mastery per learner and theme",
        "scores": "score summary per module", "grading": "manual grading progress",
        "lms": "plain gradebook for an LMS (student, assignment, score, max, percent, late)",
        "nbgrader": "nbgrader's own grade export",
    }
    out = ["<h2 id=\"files\">Files beside this page</h2><ul>"]
    out += [f"<li><a href=\"{escape(path.name)}\">{escape(path.name)}</a>: "
            f"{escape(labels.get(key, key))}</li>" for key, path in files.items()]
    out.append(f"<li><code>feedback/</code>: {feedback_count} learner feedback file"
               f"{'s' * (feedback_count != 1)}, one per learner, safe to hand out</li>")
    out.append("<li><code>figures/</code>: every figure above as a PNG file</li></ul>")
    return out


def _method() -> list[str]:
    return ["<h2 id=\"method\">How the numbers are made</h2><ul>",
            "<li>Item score: the share of the item's points earned (0 or 1 here). "
            "<i>p</i> is its mean.</li>",
            "<li>Rest score: the learner's auto-graded points in the module without this item, so "
            "an item is never correlated with itself.</li>",
            "<li>Point-biserial <i>r</i>: Pearson correlation of item score and rest score; "
            "undefined when either does not vary.</li>",
            "<li>Upper-lower <i>D</i>: mean item score of the top 27% by rest score minus that of "
            "the bottom 27% (learners tied at a boundary count in proportion).</li>",
            f"<li>Statistics from fewer than {stats.MIN_COHORT} learners are marked as unstable."
            "</li>",
            "<li>Answers are read from the graded notebooks without running them: the typed line "
            "in the answer cell, or else the click saved in the module's answers file.</li></ul>"]
