"""The seed articles' fingerprint: intact, agreeing with the articles, and able to find a copy.

The originality tests (tests/test_content.py) read tests/seed_fingerprint.json, never the articles,
so that a bare clone passes. These tests keep that file honest.
"""

import json
import subprocess
import sys

import pytest

import seed_fingerprint as sf
from conftest import ROOT

ARTICLE = """Officers at the gate meet every visitor before anyone else does.

A calm greeting, a clear answer and a moment of patience turn a stranger into someone who will
tell you what they saw. That trust is built slowly, one ordinary conversation after another.
"""


def test_the_fingerprint_is_intact_and_agrees_with_the_articles_beside_the_clone(fingerprint):
    """Always: the file is whole. Where the articles are ($COURSE_SEEDS or ../shared/seeds, as in
    CI), it is exactly what the script makes from them; a bare clone has only the first check."""
    assert not fingerprint.integrity_problems(), fingerprint.integrity_problems()
    folder = sf.seed_folder()
    if folder is not None:
        differences = sf.disagreements(fingerprint, folder)
        assert not differences, ("tests/seed_fingerprint.json and the articles in "
                                 f"{folder} disagree; run `make seed-fingerprint` and commit the "
                                 "file:\n" + "\n".join(differences))


def test_the_file_keeps_no_text_of_the_articles(fingerprint):
    """Only hashes, names and checksums: not one run of eight words of an article is legible."""
    text = sf.FINGERPRINT.read_text(encoding="utf-8")
    assert fingerprint.copied_runs(text) == []
    for article in fingerprint.data["articles"]:
        assert all(len(h) == sf.HASH_DIGITS for h in article["runs"])


def test_runs_are_read_as_documented():
    """Case, curly apostrophes, punctuation and line breaks do not hide a copied run."""
    assert sf.words("The Officer’s “first” word—kind, clear.\nDE-ESCALATE") == [
        "the", "officers", "first", "word", "kind", "clear", "de", "escalate"]
    assert sf.runs("one two three four five six seven") == []
    assert sf.runs("one two three four five six seven eight nine") == [
        "one two three four five six seven eight", "two three four five six seven eight nine"]
    # A known answer (`printf %s 000…0one two … eight | sha256sum`): the hash may not change
    # silently, or every committed hash would stop matching.
    assert sf.run_hash("0" * 32, "one two three four five six seven eight") == "471ad95c4dba8132"


@pytest.fixture()
def seeds(tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "000_example.txt").write_text(ARTICLE, encoding="utf-8")
    return folder


def test_a_copied_sentence_is_found_and_a_paraphrase_is_not(seeds):
    fp = sf.Fingerprint(sf.build(seeds, "ab" * 16))
    assert not fp.integrity_problems()
    copied = "As the article says, a calm greeting, a CLEAR answer and a moment of patience help."
    assert fp.copied_runs(copied) == [
        ("a calm greeting a clear answer and a", "000_example.txt"),
        ("calm greeting a clear answer and a moment", "000_example.txt"),
        ("greeting a clear answer and a moment of", "000_example.txt"),
        ("a clear answer and a moment of patience", "000_example.txt")]
    paraphrase = "Greet people calmly, answer plainly and be patient: they will then talk to you."
    assert fp.copied_runs(paraphrase) == []


def test_integrity_problems_are_named(seeds):
    data = sf.build(seeds, "ab" * 16)
    cut = json.loads(json.dumps(data))
    del cut["articles"][0]["runs"][3]
    assert any("digest" in p for p in sf.Fingerprint(cut).integrity_problems())
    salted = json.loads(json.dumps(data))
    salted["salt"] = "pepper"
    assert any("salt" in p for p in sf.Fingerprint(salted).integrity_problems())


def test_a_changed_missing_or_new_article_is_a_disagreement(seeds):
    fp = sf.Fingerprint(sf.build(seeds, "ab" * 16))
    assert sf.disagreements(fp, seeds) == []
    (seeds / "000_example.txt").write_text(ARTICLE.replace("slowly", "quickly"), encoding="utf-8")
    (seeds / "001_new.txt").write_text("A new article of nine words, more or less.\n")
    assert sf.disagreements(fp, seeds) == [
        f"001_new.txt: in {seeds} but not in the fingerprint",
        "000_example.txt: the article differs from its fingerprint (sha256, runs)"]
    (seeds / "000_example.txt").unlink()
    assert f"000_example.txt: in the fingerprint but not in {seeds}" in sf.disagreements(fp, seeds)


def test_where_the_articles_are_looked_for(tmp_path, monkeypatch):
    assert sf.seed_folder({"COURSE_SEEDS": str(tmp_path)}) == tmp_path
    assert sf.seed_folder({"COURSE_SEEDS": ""}) is None, "set but empty: no articles, as a bare clone"
    with pytest.raises(sf.FingerprintError, match="not a folder"):
        sf.seed_folder({"COURSE_SEEDS": str(tmp_path / "nowhere")})
    monkeypatch.setattr(sf, "SEED_FOLDERS", (tmp_path / "absent", tmp_path))
    assert sf.seed_folder({}) == tmp_path
    assert sf.SEED_FOLDERS[0] != ROOT.parent / "shared" / "seeds"  # patched, not the real ones


def script(*args, env):
    return subprocess.run([sys.executable, str(ROOT / "tests" / "seed_fingerprint.py"), *args],
                          env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_the_script_makes_refreshes_and_checks_the_file(seeds, tmp_path):
    out = tmp_path / "fingerprint.json"
    env = {"COURSE_SEEDS": str(seeds), "PATH": "/usr/bin:/bin"}
    made = script("--out", str(out), env=env)
    assert made.returncode == 0 and "1 articles" in made.stdout, made.stderr
    salt = json.loads(out.read_text())["salt"]
    assert script("--out", str(out), "--check", env=env).returncode == 0
    (seeds / "000_example.txt").write_text(ARTICLE + "\nOne more sentence of our own here.\n")
    checked = script("--out", str(out), "--check", env=env)
    assert checked.returncode == 1 and "differs from its fingerprint" in checked.stderr
    assert "make seed-fingerprint" in checked.stdout
    assert script("--out", str(out), env=env).returncode == 0
    assert json.loads(out.read_text())["salt"] == salt, "a refresh keeps the salt: small diffs"
    assert script("--out", str(out), "--check", env=env).returncode == 0
    bare = script("--out", str(out), env={"COURSE_SEEDS": "", "PATH": "/usr/bin:/bin"})
    assert bare.returncode == 1 and "Set COURSE_SEEDS" in bare.stderr
