"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, listening on a
Unix socket only, stopped and removed afterwards. Needs the server programs (initdb, pg_ctl;
scripts/install-test-tools.sh installs them) and the psycopg driver (the dev extra)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def bindir() -> Path | None:
    """The folder of initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def missing() -> str | None:
    """Why a server cannot be started here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install -e '.[dev]')"
    if bindir() is None:
        return "the PostgreSQL server programs are not installed; run scripts/install-test-tools.sh"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb refuses root"
    return None


@contextmanager
def server(database: str = "utilbill") -> Iterator[str]:
    """A running server with an empty `database`; yields its SQLAlchemy URL."""
    bin_ = bindir()
    root = Path(tempfile.mkdtemp(prefix="utilbill-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server will not run as root: it runs as the postgres user
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]

    def run(*argv: str) -> None:
        subprocess.run([*as_user, *argv], check=True, capture_output=True, text=True, timeout=120)

    port = "5439"
    try:
        run(str(bin_ / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        run(str(bin_ / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
            "-o", f"-k {sock} -c listen_addresses='' -p {port} -F", "start")
        try:
            import psycopg

            with psycopg.connect(host=str(sock), port=port, user="postgres", dbname="postgres",
                                 autocommit=True) as con:
                con.execute(f'CREATE DATABASE "{database}"')
            yield f"postgresql+psycopg://postgres@/{database}?host={sock}&port={port}"
        finally:
            run(str(bin_ / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
