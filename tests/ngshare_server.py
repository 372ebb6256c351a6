"""Start ngshare 0.6.0, the exchange server, for the tests: on loopback, with SQLAlchemy 2.

Two changes to how it runs, nothing else:

* It listens on 127.0.0.1, as every server the tests start does. Run as a JupyterHub service,
  ngshare listens on every interface ("0.0.0.0", for a Kubernetes pod).
* What it releases and what students submit is saved. ngshare 0.6.0, the latest on PyPI, relies
  on SQLAlchemy 1's "cascade along backrefs", which SQLAlchemy 2 removed: with SQLAlchemy 2 a
  release or a submission is answered with success and never stored. Upstream fixed it after
  that release (LibreTexts/ngshare#170, issues #167 and #169) by adding the new assignment and
  the new submission to the database session explicitly; the listener below does the same, at
  the moment each is attached to its course or assignment. tests/test_ngshare_client.py shows
  the loss without it.

Arguments are ngshare's own (``python -m ngshare --help``); ``--as-released`` leaves out the
second change.
"""

import sys

from ngshare import ngshare as server
from ngshare.database import Assignment, Submission
from sqlalchemy import event
from sqlalchemy.orm import configure_mappers, object_session

_listen = server.HTTPServer.listen


def listen_on_loopback(self, port, address="", **kwargs):
    return _listen(self, port, "127.0.0.1", **kwargs)


def join_the_parents_session(child, parent, _old, _initiator):
    session = object_session(parent)
    if session is not None and child not in session:
        session.add(child)


def save_new_releases_and_submissions() -> None:
    configure_mappers()  # the backrefs (Assignment.course, Submission.assignment) exist after it
    event.listen(Assignment.course, "set", join_the_parents_session)
    event.listen(Submission.assignment, "set", join_the_parents_session)


if __name__ == "__main__":
    args = sys.argv[1:]
    server.HTTPServer.listen = listen_on_loopback
    if "--as-released" in args:
        args.remove("--as-released")
    else:
        save_new_releases_and_submissions()
    server.main(args)
