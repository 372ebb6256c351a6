"""nbgrader's exchange over HTTP, through ngshare, for a class whose servers share no folder.

On Kubernetes (Zero to JupyterHub) every student's server is its own pod, so nbgrader's default
exchange, a shared folder, does not exist. ngshare (https://github.com/LibreTexts/ngshare), a
JupyterHub service, keeps releases, submissions and feedback instead, and decides from each
request's JupyterHub token who may see what. This package is the client side: one class per
nbgrader exchange action (``nbgrader.exchange.abc``), selected in ``nbgrader_config.py``::

    from course.ngshare import use_ngshare
    use_ngshare(c)                     # the URL from $COURSE_NGSHARE_URL (set by the hub)
    use_ngshare(c, "https://hub.example.org/services/ngshare")

Call it after ``course.nbgrader_ext.configure``, which selects the shared-folder collect.
Collect keeps the course's protections (``collect.py``). ``python -m course.ngshare enrol
ROSTER`` puts a class list into ngshare (``roster.py``). deploy/README.md shows a set-up.
"""

from __future__ import annotations

from course.ngshare.exchange import URL_VARIABLE

#: nbgrader's exchange actions (``ExchangeFactory`` settings) and the classes that do them here.
ACTIONS = {
    "exchange": "exchange.NgshareExchange",
    "release_assignment": "exchange.NgshareReleaseAssignment",
    "fetch_assignment": "exchange.NgshareFetchAssignment",
    "submit": "exchange.NgshareSubmit",
    "release_feedback": "exchange.NgshareReleaseFeedback",
    "fetch_feedback": "exchange.NgshareFetchFeedback",
    "list": "listing.NgshareList",
    "collect": "collect.NgshareCollect",
}


def use_ngshare(c, url: str | None = None) -> None:
    """Make every nbgrader exchange action in config ``c`` go through ngshare at ``url``."""
    for action, name in ACTIONS.items():
        setattr(c.ExchangeFactory, action, f"course.ngshare.{name}")
    if url:
        c.NgshareExchange.url = url


__all__ = ["ACTIONS", "URL_VARIABLE", "use_ngshare"]
