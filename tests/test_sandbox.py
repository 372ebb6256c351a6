"""The sandbox's command line, run for real with bubblewrap."""

import subprocess
import sys

from course.sandbox import bwrap


def test_a_python_environment_under_tmp_stays_visible(tmp_path, monkeypatch):
    """A course (and its .venv) in a scratch folder under /tmp: the sandbox's private /tmp must
    not hide it, or every kernel fails to start."""
    env = tmp_path / "venv-like"
    env.mkdir()
    (env / "marker.txt").write_text("still here")
    paths = bwrap.python_paths()
    monkeypatch.setattr(bwrap, "python_paths", lambda: [*paths, env])
    work = tmp_path / "work"
    work.mkdir()
    inner = [sys.executable, "-c", f"print(open({str(env / 'marker.txt')!r}).read())"]
    proc = subprocess.run(bwrap.command(inner, work, work, bwrap.Limits()),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "still here"


def test_the_sandbox_tmp_is_private(tmp_path):
    """Beside the mounts it needs, the sandbox's /tmp is empty: no other file of the host's /tmp."""
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    submission, runtime = tmp_path / "submission", tmp_path / "runtime"
    submission.mkdir()
    runtime.mkdir()
    inner = [sys.executable, "-c", f"import os; print(os.path.exists({str(secret)!r}))"]
    proc = subprocess.run(bwrap.command(inner, submission, runtime, bwrap.Limits()),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert secret.exists() and proc.stdout.strip() == "False"
