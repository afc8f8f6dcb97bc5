"""Debian's nginx as a load balancer in front of servers on loopback ports (tests and bench).

The config is written into a folder of its own (pid, logs, temp files all inside it),
nginx runs in the foreground (``daemon off``) as a child process, and listens only on
127.0.0.1. Its responses carry ``X-Upstream`` (the ``$upstream_addr`` of every replica
tried, comma-separated) and ``X-Upstream-Status`` so a client can tell which replica
answered and whether nginx moved the request on to another one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port, system_program

# Requests nginx passes to the next replica: a connection that fails, a timeout, a 502 or
# 503 from the replica. A POST only while it was not sent yet (no ``non_idempotent``):
# see tests/scaleout/test_scaleout.py for why the prediction log makes that the safe choice.
NEXT_UPSTREAM = "error timeout http_502 http_503"


@dataclass(frozen=True)
class Balancing:
    """The knobs of the ``upstream`` block and of nginx itself."""

    max_fails: int = 1  # passive health check: failures within fail_timeout mark it down
    fail_timeout: str = "2s"  # ... for this long; then nginx tries it again
    keepalive: int = 0  # idle connections kept to the replicas (0: one connection a request)
    workers: int = 1  # nginx worker processes
    tries: int = 3  # replicas one request may be passed to


def nginx_binary() -> str:
    """Debian's nginx, or skip (fail in CI: .ci/run installs it)."""
    return system_program("nginx", "nginx", "/usr/sbin/nginx")


def render(root: Path, port: int, replicas: list[int], balancing: Balancing) -> str:
    """The nginx.conf of a load balancer on ``port`` in front of ``replicas`` (ports)."""
    servers = "\n".join(
        f"    server 127.0.0.1:{p} max_fails={balancing.max_fails}"
        f" fail_timeout={balancing.fail_timeout};"
        for p in replicas
    )
    # Idle connections are closed by nginx before uvicorn's own 5 s keep-alive timeout
    # closes them: a request never goes out on a connection the replica is closing.
    keepalive = (
        f"    keepalive {balancing.keepalive};\n    keepalive_timeout 4s;"
        if balancing.keepalive
        else ""
    )
    user = "user root;" if os.geteuid() == 0 else ""  # workers can read our private folder
    temps = "\n".join(
        f"  {kind}_temp_path {root}/{kind}_temp;"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes {balancing.workers};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {root}/access.log;
{temps}
  client_max_body_size 50m;
  client_body_buffer_size 1m;
  # the client's X-Request-ID, else nginx's own: the replica logs the prediction under it
  map $http_x_request_id $catdetector_request_id {{
    "" $request_id;
    default $http_x_request_id;
  }}
  upstream catdetector {{
{servers}
{keepalive}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://catdetector;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-ID $catdetector_request_id;
      proxy_next_upstream {NEXT_UPSTREAM};
      proxy_next_upstream_tries {balancing.tries};
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      add_header X-Upstream $upstream_addr always;
      add_header X-Upstream-Status $upstream_status always;
    }}
  }}
}}
"""


class Nginx:
    """One nginx process balancing over ``replicas``; :meth:`stop` ends it."""

    def __init__(self, root: Path, replicas: list[int], balancing: Balancing | None = None) -> None:
        self.binary = nginx_binary()
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = root / "nginx.conf"
        self.config.write_text(render(root, self.port, replicas, balancing or Balancing()))
        self.proc: subprocess.Popen[bytes] | None = None

    def error_log(self) -> str:
        """What nginx wrote to its error log so far."""
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, timeout: float = 30) -> None:
        """Check the config (``nginx -t``), start nginx, wait until it accepts connections."""
        argv = [self.binary, "-p", str(self.root), "-c", str(self.config)]
        check = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=60)
        if check.returncode != 0:
            raise AssertionError(f"nginx -t refused {self.config}:\n{check.stderr}")
        self.proc = subprocess.Popen(
            [*argv, "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited {self.proc.returncode}:\n{self.error_log()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError(f"nginx not listening after {timeout}s:\n{self.error_log()}")

    def stop(self) -> None:
        """SIGQUIT (graceful: finish the requests in progress), then wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.proc = None


def upstreams(header: str) -> list[str]:
    """The replicas an nginx response went through (``X-Upstream``), in order."""
    return [part.strip() for part in header.replace(" : ", ",").split(",") if part.strip()]
