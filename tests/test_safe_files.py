"""Reading a submission's files: regular files only, nothing followed, everything bounded.

Each test builds a folder the way an attacker would and checks what the readers take from it. The
controls show the same folder read the stock way (``shutil``) does reach what the link points at.
"""

import gc
import os
import shutil
import sys
import threading

import pytest

from course import safe_files
from course.safe_files import Bounds, UnsafeFile, copy_tree, read_regular, remove_tree, scan


@pytest.fixture()
def hostile(tmp_path):
    """A submission beside an instructor's secret: links, a pipe, a deep tree, a big file."""
    secret = tmp_path / "source" / "first_contact.ipynb"
    secret.parent.mkdir()
    secret.write_text("### BEGIN HIDDEN TESTS expect(...)")
    sub = tmp_path / "submitted" / "eve" / "m1"
    sub.mkdir(parents=True)
    (sub / "first_contact.ipynb").symlink_to(os.path.relpath(secret, sub))
    (sub / "m1_answers.json").symlink_to("/dev/zero")
    (sub / "stdin.txt").symlink_to("/dev/stdin")
    (sub / "source_dir").symlink_to(secret.parent)
    os.mkfifo(sub / "pipe.json")
    deep = sub / "deep"
    for _ in range(20):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (sub / "notes.txt").write_text("my own notes")
    return sub, secret


def test_scan_lists_regular_files_and_says_why_the_rest_was_ignored(hostile):
    sub, _ = hostile
    found = scan(sub)
    assert [rel for rel, _ in found.files] == ["notes.txt"]
    why = dict(found.ignored)
    assert "is a link" in why["first_contact.ipynb"]
    assert "is a link" in why["m1_answers.json"] and "is a link" in why["source_dir"]
    assert "named pipe" in why["pipe.json"]
    assert any("folders deep" in reason for reason in why.values())


def test_copy_tree_copies_nothing_a_link_points_at(hostile, tmp_path):
    sub, secret = hostile
    dest = tmp_path / "mirror"
    copy_tree(sub, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["deep", "notes.txt"]
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    assert "HIDDEN" not in "".join(p.read_text() for p in dest.rglob("*") if p.is_file())


def test_control_stock_copy_turns_the_link_into_the_secret(hostile, tmp_path):
    sub, _ = hostile
    dest = tmp_path / "stock"
    dest.mkdir()
    shutil.copy(sub / "first_contact.ipynb", dest / "first_contact.ipynb")
    assert "HIDDEN TESTS" in (dest / "first_contact.ipynb").read_text()


def test_read_regular_refuses_links_pipes_and_devices_without_blocking(hostile):
    sub, _ = hostile
    for name, words in [("first_contact.ipynb", "link"), ("m1_answers.json", "link"),
                        ("stdin.txt", "link"), ("pipe.json", "named pipe")]:
        with pytest.raises(UnsafeFile, match=words):
            read_regular(sub / name, 1024)
    with pytest.raises(UnsafeFile, match="device"):
        read_regular("/dev/zero", 1024)
    assert read_regular(sub / "notes.txt", 1024) == b"my own notes"
    with pytest.raises(UnsafeFile, match="more than"):
        read_regular(sub / "notes.txt", 4)


def test_control_a_plain_open_of_the_pipe_blocks(hostile):
    """The attack is real: opening the pipe the ordinary way waits for a writer for ever."""
    sub, _ = hostile
    opened = threading.Event()

    def reader():
        with open(sub / "pipe.json"):
            opened.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert not opened.wait(1.0)
    with open(sub / "pipe.json", "w"):   # release the reader
        pass
    thread.join(5)


def test_bounds_limit_entries_size_and_depth(tmp_path):
    for n in range(30):
        (tmp_path / f"f{n:02}.txt").write_bytes(b"x" * 100)
    found = scan(tmp_path, Bounds(entries=10, total_bytes=500, file_bytes=1000))
    assert len(found.files) == 5
    assert any("past" in why for _, why in found.ignored)
    assert any("first 10 entries" in why for _, why in found.ignored)


def deep_tree(top, levels: int = 1500) -> None:
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for _ in range(levels):   # folder by folder: os.makedirs itself recurses
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    os.chmod(fd, 0o500)
    os.close(fd)


def test_remove_tree_removes_a_tree_deeper_than_python_recursion(tmp_path):
    top = tmp_path / "deep"
    deep_tree(top)
    remove_tree(top)
    assert not top.exists()


class Finalized:
    """Cyclic garbage whose finalizer needs a few hundred frames of its own."""
    done = 0

    def __init__(self):
        self.me = self

    def __del__(self):
        def down(n):
            return n if n == 0 else down(n - 1)
        down(300)
        Finalized.done += 1


@pytest.mark.parametrize("ours", [True, False], ids=["remove_tree", "control-plain-rmtree"])
def test_no_finalizer_runs_at_the_depth_of_a_deep_removal(tmp_path, monkeypatch, ours):
    """A garbage collection set off deep in the removal (here: garbage made at the 800th
    level) would run finalizers with no stack left; each failed, as an unraisable exception
    (which once failed the test run that met it). remove_tree lets them run after, at ease.
    Control: shutil.rmtree alone."""
    top = tmp_path / "deep"
    deep_tree(top)
    failed = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: failed.append(u.exc_type))
    stock_scandir, calls = os.scandir, []

    def scandir(*args, **kwargs):
        calls.append(1)
        if len(calls) == 800:
            for _ in range(2000):
                Finalized()   # enough allocations to set a collection off, here
        return stock_scandir(*args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    Finalized.done = 0
    try:
        if ours:
            remove_tree(top)
        else:
            with pytest.raises(RecursionError):
                shutil.rmtree(top)
    finally:
        monkeypatch.undo()
        gc.collect()
        remove_tree(top)
    assert len(calls) > 800
    if ours:
        assert not failed and Finalized.done == 2000
    else:
        assert failed and set(failed) == {RecursionError}


def test_remove_tree_never_follows_a_link(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious").write_text("x")
    (tmp_path / "link").symlink_to(keep)
    remove_tree(tmp_path / "link")
    assert (keep / "precious").exists() and not (tmp_path / "link").exists()
    safe_files.remove_tree(tmp_path / "absent")   # and a missing folder is no error
