"""A real PostgreSQL server for the tests: Debian's binaries, a throw-away cluster in a
temporary directory, a free loopback port, trust authentication, no fsync.

Started once per test process (``server()``), stopped when the process exits; each test
gets a database of its own (``fresh_database``). As root (CI), the server runs as the
``postgres`` user, as PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from adapters.relay.dev_broker import free_port

_LOCK = threading.Lock()
_SERVER: PostgresServer | None = None


def binaries() -> Path | None:
    """Debian's PostgreSQL binaries (the newest installed), if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PostgresServer:
    directory: Path
    port: int
    bin: Path

    @property
    def as_user(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def url(self, database: str) -> str:
        """The ``--db`` / ``CRM_DB`` URL of one of its databases."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run_sql(self, sql: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
            check=True, capture_output=True, timeout=60,
        )

    def start(self) -> None:
        """Starts the cluster (again) with its options: listening on its port only."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-o",
             options, "-l", str(self.directory / "server.log"), "-w", "start"],
            # The server keeps the streams it is started with: none of the caller's.
            check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=120,
        )

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"),
             "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=60, check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def _start() -> PostgresServer:
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL is not installed: scripts/test.sh installs Debian's postgresql"
        )
    directory = Path(tempfile.mkdtemp(prefix="crm-pg-"))
    server = PostgresServer(directory, free_port(), bin_dir)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    subprocess.run(
        [*server.as_user, str(bin_dir / "initdb"), "-D", str(data), "--auth=trust",
         "--no-sync", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True, timeout=120,
    )
    server.start()
    return server


def server() -> PostgresServer:
    """This process's server, started on first use."""
    global _SERVER
    with _LOCK:
        if _SERVER is None:
            _SERVER = _start()
            atexit.register(_SERVER.stop)
        return _SERVER


def fresh_database() -> str:
    """The URL of a new, empty database on this process's server."""
    running = server()
    name = f"crm_{uuid.uuid4().hex[:12]}"
    running.run_sql(f"CREATE DATABASE {name}")
    return running.url(name)


def postgres_views_url() -> str:
    """A SQLAlchemy URL of a new database, for read models alone."""
    from adapters.settings import Settings

    return Settings(db=fresh_database()).read_models_url()
