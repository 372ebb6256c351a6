"""A PostgreSQL server for the tests that grade into a PostgreSQL gradebook.

Debian's server (`make test` installs the package on a fresh machine), started on loopback in a
scratch folder for one test module and stopped at its end, pass or fail. A test file takes
``postgres`` (the URL of one gradebook database) or ``postgres_server`` (to make several) with
`from postgres_kit import postgres, postgres_server`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import free_port


class PostgresServer:
    def __init__(self, bindir: Path, port: int, as_user: list[str]):
        self.bindir, self.port, self.as_user = bindir, port, as_user

    def run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True, text=True)

    def database(self, name: str) -> str:
        """Make an empty database; its SQLAlchemy URL (the form nbgrader's db_url takes)."""
        self.run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "grader", name)
        return f"postgresql+psycopg://grader@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="module")
def postgres_server():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert bins, "PostgreSQL server binaries are missing: `make test` installs Debian's postgresql."
    bindir = Path(bins[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="course-pg-"))
    as_user = []
    if os.getuid() == 0:  # the server refuses to run as root
        shutil.chown(data, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(bindir, free_port(), as_user)
    server.run(str(bindir / "initdb"), "-D", str(data / "db"), "-U", "grader", "--auth=trust")
    server.run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-w", "-l", str(data / "log"),
               "-o", f"-h 127.0.0.1 -p {server.port} -k {data}", "start")
    try:
        yield server
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres(postgres_server):
    return postgres_server.database("gradebook")
