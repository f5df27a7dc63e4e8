"""A throwaway PostgreSQL cluster of one test's own, which the test may stop and start again.

The fault tests take the database away for real. The shared server of .ci/services must never be
stopped (other engineers' tests use it), so a test starts its own: initdb into a new directory, a
free loopback port, trust authentication, no durability (fsync off), removed afterwards. initdb
and postgres refuse to run as root; as root every command runs as the postgres user (runuser) in
a directory that user owns. The directory is not under pytest's tmp_path: pytest makes its base
directory private to the current user (mode 0700), which the postgres user could not enter.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "yijian"


def postgres_bin() -> Path:
    """The server's bin directory, found as .ci/services finds it: Debian keeps one per major version
    (/usr/lib/postgresql/<version>/bin); elsewhere pg_config knows it, or initdb is on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if found:
        return found[-1]
    if shutil.which("pg_config"):
        return Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
    if initdb := shutil.which("initdb"):
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server not found (Debian: apt-get install postgresql)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgServer:
    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.home = Path(tempfile.mkdtemp(prefix="yijian-pg-"))
        self.data = self.home / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.home, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = (self.home / "server.log").read_text() if (self.home / "server.log").exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr}{done.stdout}\n{log[-2000:]}")

    def init(self) -> PgServer:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C.UTF-8")
        return self

    def start_first(self) -> PgServer:
        """The first start, on another free port if the chosen one was taken meanwhile."""
        for _ in range(3):
            try:
                self.start()
                return self
            except RuntimeError:
                self.port = free_port()
        self.start()
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.home / "server.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        """Like an outage: every connection is cut (fast shutdown), nothing accepts new ones."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        command = [str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        """Stop the server if it runs and delete its files."""
        if self.data.exists() and self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.home, ignore_errors=True)
