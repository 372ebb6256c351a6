"""A fingerprint of the seed articles: what the originality tests need, without the articles' text.

The five source articles are not part of this repository; a course team keeps them beside its
checkout, in ``../shared/seeds``. The tests only need to know whether a run of eight words in our
text also stands in an article, so ``tests/seed_fingerprint.json`` keeps, for each article, its
file name, the SHA-256 of its bytes and a salted hash of every run of eight words: no words.

How a text becomes runs: Unicode NFKC, case-folded; apostrophes dropped (``officer’s`` and
``officers`` are one word); a word is a stretch of letters or digits, so punctuation, Markdown and
line breaks separate words and nothing else; every eight consecutive words make one run. A run's
hash is the first 16 hex digits of SHA-256(salt + the run's words joined by single spaces). The
salt is random, made once and kept in the file, so that refreshing the fingerprint after an article
changes only rewrites that article's hashes.

Refresh it (after an article changes or is added; then commit the JSON file):

    .venv/bin/python tests/seed_fingerprint.py           # or: make seed-fingerprint
    .venv/bin/python tests/seed_fingerprint.py --check   # exit 1 when the file and articles differ

Both read the articles from the first of: ``$COURSE_SEEDS``, ``../shared/seeds`` beside the
checkout, ``/work/shared/seeds`` (the course team's machines). ``COURSE_SEEDS`` set but empty means
"no articles here", as on a bare clone. ``tests/test_seed_fingerprint.py`` checks the file's
integrity always and compares it with the articles whenever they are found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import sys
import unicodedata
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINGERPRINT = ROOT / "tests" / "seed_fingerprint.json"
WORDS_PER_RUN = 8
HASH_DIGITS = 16
FORMAT = 1
#: Where the articles may be, after $COURSE_SEEDS: beside the checkout, then the team's machines.
SEED_FOLDERS = tuple(dict.fromkeys((ROOT.parent / "shared" / "seeds", Path("/work/shared/seeds"))))

_APOSTROPHES = dict.fromkeys(map(ord, "'’‘ʼ′`"), None)
_WORD = re.compile(r"[^\W_]+")


class FingerprintError(ValueError):
    """The fingerprint file or the articles folder cannot be used, with what to do about it."""


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return _WORD.findall(text)


def runs(text: str) -> list[str]:
    """Every run of eight consecutive words of ``text``, normalised, in order."""
    w = words(text)
    return [" ".join(w[i:i + WORDS_PER_RUN]) for i in range(len(w) - WORDS_PER_RUN + 1)]


def run_hash(salt: str, run: str) -> str:
    return hashlib.sha256((salt + run).encode("utf-8")).hexdigest()[:HASH_DIGITS]


def digest(hashes: list[str]) -> str:
    """One checksum over an article's sorted hashes: a lost or edited line shows."""
    return hashlib.sha256("\n".join(hashes).encode("ascii")).hexdigest()


def article_entry(name: str, data: bytes, salt: str) -> dict:
    text = data.decode("utf-8")
    hashes = sorted({run_hash(salt, r) for r in runs(text)})
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "words": len(words(text)),
            "digest": digest(hashes), "runs": hashes}


def build(folder: Path, salt: str) -> dict:
    articles = sorted(folder.glob("*.txt"))
    if not articles:
        raise FingerprintError(f"No articles (*.txt) in {folder}.")
    return {
        "about": "Salted hashes of every run of eight words of each seed article, made by "
                 "tests/seed_fingerprint.py (its docstring says how and how to refresh it). "
                 "No text of the articles is kept.",
        "format": FORMAT,
        "words_per_run": WORDS_PER_RUN,
        "hash_digits": HASH_DIGITS,
        "salt": salt,
        "articles": [article_entry(p.name, p.read_bytes(), salt) for p in articles],
    }


def dumps(fingerprint: dict) -> str:
    return json.dumps(fingerprint, indent=1, ensure_ascii=False) + "\n"


def seed_folder(environ=os.environ) -> Path | None:
    """The folder of seed articles, or None where there is none (a bare clone)."""
    if "COURSE_SEEDS" in environ:
        if not environ["COURSE_SEEDS"]:
            return None
        folder = Path(environ["COURSE_SEEDS"])
        if not folder.is_dir():
            raise FingerprintError(f"COURSE_SEEDS is {folder}, which is not a folder. Point it at "
                                   "the seed articles, or set it empty to do without them.")
        return folder
    return next((f for f in SEED_FOLDERS if f.is_dir()), None)


class Fingerprint:
    """The parsed fingerprint file: its articles, and the runs of a text found in them."""

    def __init__(self, data: dict):
        self.data = data

    @classmethod
    def load(cls, path: Path = FINGERPRINT) -> Fingerprint:
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise FingerprintError(f"{path} is missing: restore it from git, or rebuild it with "
                                   "`make seed-fingerprint` where the seed articles are.") from None
        except json.JSONDecodeError as err:
            raise FingerprintError(f"{path} is not valid JSON ({err}): restore it from git, or "
                                   "rebuild it with `make seed-fingerprint`.") from None

    @property
    def salt(self) -> str:
        return self.data["salt"]

    @property
    def articles(self) -> dict[str, dict]:
        return {a["name"]: a for a in self.data["articles"]}

    @cached_property
    def article_of(self) -> dict[str, str]:
        """hash -> the name of the (first) article with that run."""
        found: dict[str, str] = {}
        for a in self.data["articles"]:
            for h in a["runs"]:
                found.setdefault(h, a["name"])
        return found

    def copied_runs(self, text: str) -> list[tuple[str, str]]:
        """(our run, article name) for every run of ``text`` that also stands in an article."""
        hits = ((r, self.article_of.get(run_hash(self.salt, r))) for r in runs(text))
        return [(r, name) for r, name in hits if name]

    def integrity_problems(self) -> list[str]:
        """What is wrong with the file itself (empty when nothing), needing no article."""
        d = self.data
        problems = []
        expected = {"format": FORMAT, "words_per_run": WORDS_PER_RUN, "hash_digits": HASH_DIGITS}
        for key, value in expected.items():
            if d.get(key) != value:
                problems.append(f"{key} is {d.get(key)!r}, but this script makes {value!r}")
        if not re.fullmatch(r"[0-9a-f]{32}", str(d.get("salt", ""))):
            problems.append("the salt is not 32 hex digits")
        names = [a.get("name") for a in d.get("articles", [])]
        if not names:
            problems.append("no articles")
        if len(names) != len(set(names)) or names != sorted(names):
            problems.append(f"article names are not unique and sorted: {names}")
        for a in d.get("articles", []):
            hashes = a.get("runs", [])
            where = a.get("name")
            if set(a) != {"name", "sha256", "words", "digest", "runs"}:
                problems.append(f"{where}: fields {sorted(a)}")
                continue
            if not re.fullmatch(r"[0-9a-f]{64}", a["sha256"]):
                problems.append(f"{where}: sha256 is not 64 hex digits")
            if hashes != sorted(set(hashes)):
                problems.append(f"{where}: hashes are not unique and sorted")
            if any(not re.fullmatch(rf"[0-9a-f]{{{HASH_DIGITS}}}", h) for h in hashes):
                problems.append(f"{where}: a hash is not {HASH_DIGITS} hex digits")
            if not 0 < len(hashes) <= a["words"] - WORDS_PER_RUN + 1:
                problems.append(f"{where}: {len(hashes)} hashes for {a['words']} words")
            if digest(hashes) != a["digest"]:
                problems.append(f"{where}: the hashes do not match their digest (edited or cut)")
        return problems


def disagreements(fingerprint: Fingerprint, folder: Path) -> list[str]:
    """How the fingerprint and the articles in ``folder`` differ (empty when they agree)."""
    fresh = build(folder, fingerprint.salt)
    ours, theirs = fingerprint.articles, {a["name"]: a for a in fresh["articles"]}
    found = [f"{name}: in {folder} but not in the fingerprint"
             for name in sorted(theirs.keys() - ours.keys())]
    found += [f"{name}: in the fingerprint but not in {folder}"
              for name in sorted(ours.keys() - theirs.keys())]
    for name in sorted(ours.keys() & theirs.keys()):
        if ours[name] != theirs[name]:
            changed = [k for k in ("sha256", "words", "runs") if ours[name][k] != theirs[name][k]]
            found.append(f"{name}: the article differs from its fingerprint ({', '.join(changed)})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare the fingerprint with the articles; exit 1 if they differ")
    parser.add_argument("--new-salt", action="store_true", help="draw a new salt (rewrites every hash)")
    parser.add_argument("--out", type=Path, default=FINGERPRINT, help=f"default: {FINGERPRINT}")
    args = parser.parse_args(argv)
    try:
        folder = seed_folder()
        if folder is None:
            if "COURSE_SEEDS" in os.environ:
                raise FingerprintError("COURSE_SEEDS is set empty, which means no articles. Set "
                                       "COURSE_SEEDS to their folder.")
            looked = ", ".join(str(f) for f in SEED_FOLDERS)
            raise FingerprintError(f"No seed articles found (looked in {looked}). Set "
                                   "COURSE_SEEDS to their folder.")
        old = Fingerprint.load(args.out) if args.out.exists() else None
        if args.check:
            if old is None:
                raise FingerprintError(f"{args.out} does not exist: run without --check to make it.")
            problems = old.integrity_problems() or disagreements(old, folder)
            for p in problems:
                print(p, file=sys.stderr)
            print(f"{args.out} and {folder}: " + ("differ; run `make seed-fingerprint` and commit"
                                                   if problems else "agree"))
            return 1 if problems else 0
        salt = old.salt if old is not None and not args.new_salt else secrets.token_hex(16)
        fresh = build(folder, salt)
        args.out.write_text(dumps(fresh), encoding="utf-8")
        total = sum(len(a["runs"]) for a in fresh["articles"])
        print(f"Wrote {args.out}: {len(fresh['articles'])} articles from {folder}, {total} runs.")
        return 0
    except FingerprintError as err:
        print(err, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
