"""The answer report's wire format: a plain value as tagged JSON, and back.

The kernel side (``course.hidden_tests.emit``) encodes; the grader side (``course.verdicts``) decodes,
strictly. Kept apart from both so that neither imports the other.
"""

from __future__ import annotations

import json

ANSWER_MIME = "application/vnd.course.answer+json"
MAX_EMISSION_CHARS = 100_000
#: Deeper nesting than this is refused (no answer of this course nests beyond three levels).
MAX_DEPTH = 20


def encode(value):
    """Kernel side: a plain value as tagged JSON (raises TypeError for anything else)."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return {"t": kind.__name__, "v": value}
    if kind in (list, tuple, set, frozenset):
        items = [encode(v) for v in value]
        if kind in (set, frozenset):
            items.sort(key=lambda e: json.dumps(e, sort_keys=True))
        return {"t": kind.__name__, "v": items}
    if kind is dict:
        return {"t": "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"not a plain value: {kind.__name__}")


_SCALARS = {"str": str, "int": int, "float": float, "bool": bool, "NoneType": type(None)}


def decode(data, depth: int = 0):
    """Grader side: rebuild a plain value, refusing anything that is not exactly our encoding."""
    if depth > MAX_DEPTH or not isinstance(data, dict) or set(data) != {"t", "v"}:
        raise ValueError("malformed answer report")
    tag, raw = data["t"], data["v"]
    if tag in _SCALARS:
        if type(raw) is not _SCALARS[tag] and not (tag == "float" and type(raw) is int):
            raise ValueError("malformed scalar")
        return float(raw) if tag == "float" else raw
    if tag in ("list", "tuple", "set", "frozenset"):
        if type(raw) is not list:
            raise ValueError("malformed sequence")
        items = [decode(v, depth + 1) for v in raw]
        if tag in ("set", "frozenset"):
            if not all(type(v) in _SCALARS.values() for v in items):
                raise ValueError("unhashable set member")
            return set(items) if tag == "set" else frozenset(items)
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        if type(raw) is not list or not all(type(p) is list and len(p) == 2 for p in raw):
            raise ValueError("malformed dict")
        out = {}
        for k, v in raw:
            key = decode(k, depth + 1)
            if type(key) not in _SCALARS.values():
                raise ValueError("unhashable dict key")
            out[key] = decode(v, depth + 1)
        return out
    raise ValueError(f"unknown type tag {tag!r}")
