"""Nothing a student wrote may run in a grader's browser.

Formgrader shows graded notebooks on the instructor's own Jupyter origin, where a script could act
with the instructor's session (open a terminal, read every file): that would bypass the sandbox
entirely. Feedback pages reach other people too. Two layers keep student content inert:

1. ``InertViews``, the last autograde step, rewrites the graded notebook itself: outputs keep only
   plain text, tracebacks and PNG/JPEG images (checked to be base64); every markdown or raw cell
   that is not the instructor's own text, word for word, becomes a plain-text block; attachments,
   odd metadata and tags that could reach an HTML attribute are dropped.
2. ``markdown2html`` replaces nbconvert's filter of that name in every HTML export (formgrader and
   ``generate_feedback``), and ``sanitize_html`` is switched on, so whatever HTML reaches a page is
   cleaned by bleach with a short allow-list (no scripts, no event attributes, http/https/mailto
   links only).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import re

import bleach
import nbformat
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbgrader.preprocessors import NbGraderPreprocessor

KEPT_DATA = ("text/plain", "image/png", "image/jpeg")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SAFE_TAG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DROPPED_NOTE = ("[output of another kind (HTML, script, SVG, ...) is not kept in graded "
                "notebooks]\n")


def fenced(text: str) -> str:
    """``text`` as a Markdown block shown exactly as written, never rendered."""
    longest = max((len(run) for run in re.findall(r"~+", text)), default=0)
    fence = "~" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _is_base64(value) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9+/=\s]*", value):
        return False
    try:
        base64.b64decode(value.replace("\n", ""), validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def inert_output(out) -> tuple[object | None, bool]:
    """(the output made inert or None to drop it, whether something rich was removed)."""
    kind = out.get("output_type")
    if kind == "stream":
        return nbformat.v4.new_output("stream", name="stderr" if out.get("name") == "stderr"
                                      else "stdout", text=str(out.get("text", ""))), False
    if kind == "error":
        traceback = out.get("traceback") if isinstance(out.get("traceback"), list) else []
        return nbformat.v4.new_output("error", ename=str(out.get("ename", "")),
                                      evalue=str(out.get("evalue", "")),
                                      traceback=[str(line) for line in traceback]), False
    if kind in ("display_data", "execute_result"):
        data = out.get("data") if isinstance(out.get("data"), dict) else {}
        kept = {}
        for mime in KEPT_DATA:
            value = data.get(mime)
            if mime == "text/plain" and isinstance(value, (str, list)):
                kept[mime] = "".join(value) if isinstance(value, list) else value
            elif mime != "text/plain" and _is_base64(value):
                kept[mime] = value
        removed = any(m not in KEPT_DATA and m != WIDGET_VIEW for m in data)
        if not kept:
            return None, removed
        new = nbformat.v4.new_output(kind, data=kept)
        if kind == "execute_result":
            count = out.get("execution_count")
            new["execution_count"] = count if type(count) is int else None
        return new, removed
    return None, True


def _safe_metadata(meta) -> dict:
    meta = meta if isinstance(meta, dict) else {}
    kept = {k: meta[k] for k in ("nbgrader", "course") if isinstance(meta.get(k), dict)}
    for key in ("deletable", "editable"):
        if type(meta.get(key)) is bool:
            kept[key] = meta[key]
    jupyter = meta.get("jupyter")
    if isinstance(jupyter, dict):
        flags = {k: v for k, v in jupyter.items() if k in ("source_hidden", "outputs_hidden")
                 and type(v) is bool}
        if flags:
            kept["jupyter"] = flags
    tags = meta.get("tags")
    if isinstance(tags, list):
        safe = [t for t in tags if isinstance(t, str) and SAFE_TAG.match(t)]
        if safe:
            kept["tags"] = safe
    return kept


@functools.lru_cache(maxsize=32)
def _instructor_text(path: str, mtime: float) -> frozenset:
    """Every markdown cell's text in the instructor's source notebook."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    return frozenset("".join(c["source"]) if isinstance(c.get("source"), list) else c["source"]
                     for c in nb.get("cells", []) if c.get("cell_type") == "markdown")


def instructor_text(path: str | None) -> frozenset:
    if not path or not os.path.isfile(path):
        return frozenset()
    try:
        return _instructor_text(path, os.path.getmtime(path))
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def make_inert(nb, trusted_text: frozenset) -> int:
    """Rewrite a graded notebook so nothing in it can run in a browser; returns cells changed."""
    changed = 0
    language = {"name": "python"}
    nb.metadata = {k: v for k, v in {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": language}.items()}
    for cell in nb.cells:
        cell.metadata = _safe_metadata(cell.get("metadata"))
        cell.pop("attachments", None)
        if cell.cell_type == "code":
            outputs, removed = [], False
            for out in cell.get("outputs", []):
                new, dropped = inert_output(out)
                removed |= dropped
                if new is not None:
                    outputs.append(new)
            if removed:
                outputs.append(nbformat.v4.new_output("stream", name="stdout", text=DROPPED_NOTE))
                changed += 1
            cell.outputs = outputs
            if type(cell.get("execution_count")) is not int:
                cell.execution_count = None
        elif cell.cell_type in ("markdown", "raw"):
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            if cell.cell_type == "raw" or source not in trusted_text:
                cell.cell_type = "markdown"
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
                cell.source = fenced(source)
                changed += 1
    return changed


class InertViews(NbGraderPreprocessor):
    """Last autograde step: the graded notebook keeps nothing that could run in a browser."""

    def preprocess(self, nb, resources):
        from course.protections import Protections
        if not Protections(config=self.config).inert_views:
            return nb, resources
        info = resources.get("nbgrader", {})
        source = _source_notebook(self.config, info.get("assignment"), info.get("notebook"))
        make_inert(nb, instructor_text(source))
        return nb, resources


def _source_notebook(config, assignment, notebook) -> str | None:
    if not assignment or not notebook:
        return None
    from nbgrader.coursedir import CourseDirectory
    coursedir = CourseDirectory(config=config)
    return os.path.join(coursedir.format_path(coursedir.source_directory, ".", assignment),
                        f"{notebook}.ipynb")


# ---------------------------------------------------------------- layer 2: every HTML export
ALLOWED_TAGS = ["a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4",
                "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup",
                "table", "tbody", "td", "th", "thead", "tr", "ul"]
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "th": ["align"], "td": ["align"],
                      "*": ["class", "id"]}


def clean(html: str) -> str:
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=["http", "https", "mailto"], strip_comments=True)


def markdown2html(source) -> str:
    """nbconvert's Markdown filter, with the result cleaned (configured in nbgrader_config.py)."""
    return clean(markdown2html_mistune(str(source)))
