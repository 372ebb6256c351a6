"""ngshare for the tests: the real server, started on loopback, and who its tokens belong to.

ngshare asks JupyterHub who owns each request's token (GET <hub>/hub/api/user). The hub test runs
a real JupyterHub with ngshare as its service; the client's unit tests run the real ngshare with
``HubIdentity`` instead, a stand-in for that one JupyterHub call (a token -> a user name), so
that they need no hub, proxy or browser.
"""

from __future__ import annotations

import json
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from browser_kit import Server
from conftest import free_port

SERVER = Path(__file__).with_name("ngshare_server.py")
PREFIX = "/services/ngshare/"


def ngshare_command(base: Path, admins: list[str], as_released: bool = False) -> list[str]:
    """ngshare's command line (tests/ngshare_server.py), its database and files in ``base``."""
    return [sys.executable, str(SERVER), "--database", f"sqlite:///{base / 'ngshare.db'}",
            "--storage", str(base / "files"), "--admins", ",".join(admins),
            *(["--as-released"] if as_released else [])]


@contextmanager
def hub_identity(tokens: dict[str, str]):
    """JupyterHub's GET /hub/api/user, for ``tokens`` (token -> name): yields the API's URL."""

    class Identity(BaseHTTPRequestHandler):
        def do_GET(self):
            token = self.headers.get("Authorization", "").removeprefix("token ")
            name = tokens.get(token) if self.path == "/hub/api/user" else None
            body = json.dumps({"name": name} if name else {"status": 403}).encode()
            self.send_response(200 if name else 403)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Identity)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hub/api"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def ngshare_alone(base: Path, tokens: dict[str, str], admins: list[str], as_released=False):
    """The real ngshare, outside any hub, trusting ``tokens``: yields its URL."""
    base.mkdir(parents=True, exist_ok=True)
    with hub_identity(tokens) as api:
        port = free_port()
        env = {"PATH": "/usr/bin:/bin", "JUPYTERHUB_API_URL": api,
               "JUPYTERHUB_API_TOKEN": "unused-outside-a-hub",
               "JUPYTERHUB_CLIENT_ID": "service-ngshare", "JUPYTERHUB_SERVICE_PREFIX": PREFIX,
               "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}"}
        server = Server(ngshare_command(base, admins, as_released), cwd=base, env=env,
                        log=base / "ngshare.log")
        url = f"http://127.0.0.1:{port}{PREFIX.rstrip('/')}"
        try:
            server.wait_for(f"{url}/healthz", timeout=60)
            yield url
        finally:
            server.stop()
