"""The bench's registry (trained on the real photos), its servers and request bodies."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.servebench import config


def _photos() -> list[Path]:
    return sorted(config.REAL.glob("cat/*.jpg")) + sorted(config.REAL.glob("other/*.jpg"))


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    exe = str(config.BIN / args[0]) if (config.BIN / args[0]).exists() else args[0]
    proc = subprocess.run(
        [exe, *args[1:]], cwd=cwd, capture_output=True, text=True, env=env, timeout=900
    )
    if proc.returncode != 0:
        raise SystemExit(f"{args} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


def _set_params(root: Path, section: str, **values: Any) -> None:
    import yaml

    path = root / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params[section].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def train_project(work: Path, env: dict[str, str], **ladder: Any) -> Path:
    """A project trained on the real photos (copied into ``work``); ``ladder`` params on top."""
    proj = work / "proj"
    _run(["catdetector", "init", str(proj)], work, env)
    if ladder:
        _set_params(proj, "ladder", **ladder)
    for photo in _photos():
        dest = proj / "data" / "raw" / photo.parent.name / photo.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, dest)
    _run(["dvc", "add", "-q", "data/raw"], proj, env)
    _run(["git", "add", "-A"], proj, env)
    _run(["git", "commit", "-qm", "data: the 400 photos"], proj, env)
    _run(["dvc", "repro", "-q"], proj, env)
    _run(["git", "add", "-A"], proj, env)
    _run(["git", "commit", "-qm", "train"], proj, env)
    return proj


def build_registry(work: Path, env: dict[str, str]) -> dict[str, Any]:
    """A project trained on the real photos (copied into ``work``), a bare origin, v1 and v2."""
    proj = train_project(work, env)
    origin = work / "origin.git"
    _run(["git", "init", "-q", "--bare", str(origin)], work, env)
    _run(["git", "remote", "add", "origin", str(origin)], proj, env)
    _run(["git", "push", "-q", "origin", "main"], proj, env)
    _run(["dvc", "push", "-q"], proj, env)
    v1 = json.loads(_run(["catdetector", "register", "--push", "--json"], proj, env))["version"]
    _set_params(proj, "train", label_noise=0.3)
    _run(["dvc", "repro", "-q"], proj, env)
    _run(["git", "add", "-A"], proj, env)
    _run(["git", "commit", "-qm", "train with label noise"], proj, env)
    _run(["dvc", "push", "-q"], proj, env)
    v2 = json.loads(_run(["catdetector", "register", "--push", "--json"], proj, env))["version"]
    _run(["catdetector", "promote", v1, "--stage", "prod", "--push"], proj, env)
    chosen = json.loads((proj / "models/catdetector/model.json").read_text())["chosen_rung"]
    return {"proj": proj, "origin": origin, "v1": v1, "v2": v2, "rung_v2": chosen}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def code_env(model: str, work: Path, env: dict[str, str]) -> dict[str, str]:
    """The environment of a server of process model ``model``.

    ``current``: this checkout; ``gunicorn``: the same, gunicorn even for one worker;
    anything else is a git ref, whose ``src/catdetector`` is extracted into ``work`` and
    put first on PYTHONPATH (same venv and dependencies: only the server's code differs).
    """
    if model == "current":
        return env
    if model == "gunicorn":  # this checkout, gunicorn even for one worker
        return {**env, "CATDETECTOR_PROCESS_MANAGER": "gunicorn"}
    dest = work / f"code-{model.replace('/', '_')}"
    if not dest.exists():
        dest.mkdir()
        tar = subprocess.run(
            ["git", "-C", str(config.REPO), "archive", model, "src/catdetector"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)
    return {**env, "PYTHONPATH": str(dest / "src")}


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def tree_pss_mb(pid: int) -> float:
    """Summed Pss (MB) of ``pid`` and its children (shared pages counted once in all)."""
    total = 0
    for one in [pid, *_children(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return total / 1024


class Proc:
    """A server subprocess in its own process group, its log in a file."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str], cwd: Path) -> None:
        self.log = log
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_http(self, url: str, timeout: float = 120) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"{url} not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._fh.close()


def write_bodies(path: Path, kind: str) -> Path:
    """The request bodies of every photo, for the load generator."""
    photos = [p.read_bytes() for p in _photos()]
    if kind == "catdetector":
        doc = {
            "path": "/v1/predict",
            "ctype": "image/jpeg",
            "expect": '"version"',
            "bodies": [base64.b64encode(b).decode() for b in photos],
        }
    else:
        doc = {
            "path": "/invocations",
            "ctype": "application/json",
            "expect": "predictions",
            "bodies": [
                base64.b64encode(
                    json.dumps(
                        {
                            "dataframe_split": {
                                "columns": ["image"],
                                "data": [[base64.b64encode(b).decode()]],
                            }
                        }
                    ).encode()
                ).decode()
                for b in photos
            ],
        }
    path.write_text(json.dumps(doc))
    return path


def isolated_env(work: Path) -> dict[str, str]:
    """The environment of every command the bench runs: a HOME and git identity in ``work``."""
    home = work / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Bench\n\temail = bench@catdetector.test\n[init]\n\tdefaultBranch = main\n"
    )
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CATDETECTOR_")},
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "DVC_NO_ANALYTICS": "1",
        "PATH": f"{config.BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_PROXY": "127.0.0.1,localhost",
    }
