"""A private PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir on a loopback port."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support import free_port

USER = "catdetector"


def pg_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (newest version), if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class Postgres:
    """One cluster of our own; as root, its processes run as the ``postgres`` user.

    initdb refuses to run as root, so the cluster files belong to that user and every
    pg_ctl call goes through ``setpriv``.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="catdetector-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = [
                "setpriv",
                f"--reuid={user.pw_uid}",
                f"--regid={user.pw_gid}",
                "--clear-groups",
                "--",
            ]
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cluster's ``postgres`` database."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> str:
        proc = subprocess.run(
            [*self._as, str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
        )
        if proc.returncode != 0:
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            raise AssertionError(f"{tool} {args} failed:\n{proc.stdout}\n{proc.stderr}\n{log}")
        return proc.stdout

    def start(self) -> None:
        """Start (or restart) the server on the same port; wait until it accepts connections."""
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        """Stop the server now (fast mode: clients are disconnected)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        """Whether the server process is up."""
        proc = subprocess.run(
            [*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True,
            text=True,
            cwd=self.root,
        )
        return proc.returncode == 0

    def destroy(self) -> None:
        """Stop if running, then delete the cluster."""
        if self.running():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
