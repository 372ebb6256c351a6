"""A gradebook URL in a message (which ends up in logs) never shows its password, also when the URL
is one SQLAlchemy cannot parse: those are the ones an error most often names."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from course.gradebook import shown


@pytest.mark.parametrize("url, expected", [
    ("postgresql://grader:s3cret@db.example/course", "postgresql://grader:***@db.example/course"),
    # SQLAlchemy cannot parse these (a port that is not a number, a space in the scheme)
    ("postgresql://grader:s3cret@db:notaport/course", "postgresql://grader:***@db:notaport/course"),
    ("postgres ql://grader:s3cret@db/course", "postgres ql://grader:***@db/course"),
    # an unescaped @ in the password: SQLAlchemy would take part of it for the host
    ("postgresql://grader:s3@cr@et@db/course", "postgresql://grader:***@db/course"),
    ("mysql+pymysql://grader:p%40s3cret@db:3306/course", "mysql+pymysql://grader:***@db:3306/course"),
    ("postgresql://db/course?user=grader&password=s3cret&sslmode=require",
     "postgresql://db/course?user=grader&password=***&sslmode=require"),
])
def test_the_password_is_hidden(url, expected):
    assert shown(url) == expected
    assert "s3" not in shown(url) and "cret" not in shown(url)   # no piece of the password


@pytest.mark.parametrize("url", [
    "sqlite:///gradebook.db", "sqlite:////srv/course/a:b@c/gradebook.db",
    "postgresql://grader@db.example/course", "gradebook.db",
])
def test_a_url_without_a_password_is_shown_as_it_is(url):
    assert shown(url) == url


def test_sqlalchemys_own_rendering_would_leak_what_this_hides():
    """The control: rendering through SQLAlchemy (what shown() did before) leaks a password with an
    unescaped @ and fails outright on a port that is not a number."""
    assert "cr@et" in make_url("postgresql://grader:s3@cr@et@db/course").render_as_string(
        hide_password=True)
    with pytest.raises(ValueError):
        make_url("postgresql://grader:s3cret@db:notaport/course")
