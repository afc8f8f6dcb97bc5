"""CPU of start-up costs: a `catdetector serve --bundle` start to ready, one `env check`.

Each cost is measured in fresh processes, for every source tree given (e.g. the main
checkout's ``src`` before a change and a worktree's after it), interleaved round by round
so that a busy machine shifts every side alike; the figures are medians of CPU seconds
(user + system of the process and its children), not wall time.

    .venv/bin/python bench/startup.py --project PROJ --src ../main/src --src src --rounds 5
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CLI = [sys.executable, "-c", "from catdetector.cli import main; main()"]


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(src: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(src.resolve())
    return env


def serve_cpu(src: Path, project: Path) -> float:
    """CPU seconds of one `catdetector serve --bundle` from start to /readyz answering."""
    port = _free_port()
    before = _child_cpu()
    args = ["serve", "--bundle", "models/catdetector", "--port", str(port), "--no-log"]
    proc = subprocess.Popen(
        [*CLI, *args], cwd=project, env=_env(src),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited {proc.returncode} before it was ready")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)  # polling a server that is not listening yet
        else:
            raise SystemExit("the server was not ready after 300 s")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return _child_cpu() - before


def env_check_cpu(src: Path, project: Path) -> float:
    """CPU seconds of one `catdetector env check` in the project."""
    before = _child_cpu()
    subprocess.run(
        [*CLI, "env", "check"], cwd=project, env=_env(src), capture_output=True, check=False
    )
    return _child_cpu() - before


def main() -> None:
    """Interleaved rounds over the source trees; medians per cost and tree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True, help="a trained project")
    parser.add_argument("--src", type=Path, action="append", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    costs = {"serve start to ready": serve_cpu, "env check": env_check_cpu}
    seen: dict[tuple[str, Path], list[float]] = {}
    for _ in range(opts.rounds):
        for name, cost in costs.items():
            for src in opts.src:
                seen.setdefault((name, src), []).append(cost(src, opts.project))
    print(f"load average {os.getloadavg()[0]:.1f}; {opts.rounds} rounds; CPU seconds")
    for (name, src), values in seen.items():
        spread = f"{min(values):.2f}-{max(values):.2f}"
        print(f"{name:22} {src!s:40} median {statistics.median(values):.2f} ({spread})")


if __name__ == "__main__":
    main()
