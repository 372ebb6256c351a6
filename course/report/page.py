"""The report as one self-contained HTML page: inline CSS, figures as base64 PNG, no scripts.

Nothing on the page is fetched from elsewhere, so it opens the same offline, from an e-mail
attachment or from a learning platform. Links point only at the CSV files written beside it. The
page is a Jinja2 template (``templates/report.html.j2``), autoescaped: a learner's id, a comment or
an option's text is always shown as text.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from functools import lru_cache

import jinja2
from markupsafe import Markup
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


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The report's templates (``course/report/templates``), autoescaped."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("course.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["pct"] = _pct
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    env.globals["plural"] = lambda n: "s" * (n != 1)
    return env


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


FILE_LABELS = {
    "items": "item analysis", "options": "option shares (with keys)",
    "themes_class": "class mastery per theme", "theme_mastery": "mastery per learner and theme",
    "scores": "score summary per module", "grading": "manual grading progress",
    "lms": "plain gradebook for an LMS (student, assignment, score, max, percent, late)",
    "nbgrader": "nbgrader's own grade export",
}


def render(a: Analysis, figures: list, files: dict, feedback_count: int) -> str:
    figs = {f.name: f for f in figures}
    below = sorted((t for t in a.themes if t.mean is not None and t.mean < stats.MASTERY),
                   key=lambda t: t.mean)
    waiting = sum(r.waiting for r in a.reflections)
    late = sum(s.late for s in a.scores)
    flagged = [s for s in a.items if s.flags]
    plural = environment().globals["plural"]
    cards = [
        (len(below), f"theme{plural(len(below))} below the {stats.MASTERY:.0%} mastery line"),
        (len(flagged), f"of {len(a.items)} items flagged for review"),
        (waiting, f"reflection{plural(waiting)} waiting for grading"),
        (late, f"late submission{plural(late)}"),
    ]
    return environment().get_template("report.html.j2").render(
        a=a, stats=stats, css=Markup(CSS), figs=figs, cards=cards, below=below,
        now=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        source=describe_gradebook(a.data.db_url),
        theme_rows=[[t.module.label, Markup("<code>{}</code>").format(t.theme.id), t.theme.title,
                     t.learners, _pct(t.mean), _pct(t.share_mastered), "; ".join(t.theme.sections)]
                    for t in a.themes],
        theme_flags=[t.mean is not None and t.mean < stats.MASTERY for t in a.themes],
        item_modules=[_item_module(a, m, figs) for m in a.modules],
        score_rows=[[s.module.label, s.submitted, s.missing, s.late, f"{s.max_auto:g}",
                     *(_num(s.summary[k], "{:.1f}") for k in ("mean", "median", "sd", "min", "max"))]
                    for s in a.scores],
        grading_rows=[[r.module.label, r.reflection.label, r.graded, r.waiting, r.blank]
                      for r in a.reflections],
        grading_flags=[r.waiting > 0 for r in a.reflections],
        files=[(path.name, FILE_LABELS.get(key, key)) for key, path in files.items()],
        feedback_count=feedback_count)


def _item_module(a: Analysis, module, figs: dict) -> dict:
    rows = [s for s in a.items if s.module is module]
    shares = [o for o in a.options if o.module is module]
    return {
        "module": module,
        "rows": [[Markup("{}<br><code>{}</code>").format(s.item.label, s.item.id),
                  s.item.kind + (" (skill check)" if s.item.spec.skill_check else ""),
                  ", ".join(s.item.themes), s.n, _num(s.p), _num(s.r_pb), _num(s.d),
                  Markup('<span class="flag">{}</span>').format("; ".join(s.flags))]
                 for s in rows],
        "flagged": [bool(s.flags) for s in rows],
        "figure": figs.get(f"options_{module.id}"),
        "rare": [o for o in shares if o.rare],
        "shares": [[o.item.label, o.part, o.option, o.text, f"{o.count} ({_pct(o.share)})",
                    "key" if o.is_key else ""] for o in shares],
        "shares_rare": [o.rare for o in shares],
    }
