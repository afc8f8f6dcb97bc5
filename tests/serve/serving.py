"""Helpers of the serve tests: a real `catdetector serve` process and a real GTO registry."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from tests.support import BIN, cli, free_port, git, run

POLL = 0.5  # --poll-interval of every test server
MODEL_DIR = Path("models/catdetector")
LIVE: list[Server] = []  # servers running now, whose logs a failing test shows


def client(base_url: str, timeout: float = 20) -> httpx.Client:
    """An HTTP client for a loopback server (no proxies from the environment)."""
    return httpx.Client(base_url=base_url, timeout=timeout, trust_env=False)


def clean_env(**extra: str) -> dict[str, str]:
    """The test environment without CATDETECTOR_* serve settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("CATDETECTOR_") and k != "CATDETECTOR_DATA_DIR")
    }
    env.update(extra)
    return env


class Server:
    """A `catdetector serve` subprocess on 127.0.0.1, its log in a file."""

    def __init__(
        self,
        args: list[str],
        workdir: Path,
        env: dict[str, str] | None = None,
        port: int | None = None,
        cache_dir: Path | bool = True,
    ) -> None:
        # cache_dir: a folder (a restart can share it), True for one of its own, False for
        # the server's default cache folder
        self.port = port or free_port()  # a port of its own, or the one a restart takes again
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.log_path = workdir / f"serve-{self.port}.log"
        self.cache_dir = (
            cache_dir if isinstance(cache_dir, Path) else workdir / f"cache-{self.port}"
        )
        argv = [
            str(BIN / "catdetector"),
            "serve",
            *args,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--poll-interval",
            str(POLL),
            *(["--cache-dir", str(self.cache_dir)] if cache_dir is not False else []),
        ]
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env=env or clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: workers die with it
        )
        self.http = client(self.url)
        LIVE.append(self)

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60, path: str = "/readyz") -> dict[str, Any]:
        """Block until ``path`` answers 200; fail with the log if the server dies or is slow."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.TransportError):
                resp = self.http.get(path, timeout=2)
                if resp.status_code == 200:
                    return dict(resp.json())
            time.sleep(0.05)
        raise AssertionError(f"server not ready on {path} after {timeout}s:\n{self.log()}")

    def wait_log(self, text: str, timeout: float = 30) -> None:
        """Block until the log holds ``text``."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the log after {timeout}s:\n{self.log()}")
            time.sleep(0.05)

    def model(self) -> dict[str, Any]:
        """GET /v1/model."""
        resp = self.http.get("/v1/model")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def predict(self, image: bytes, ctype: str = "image/png") -> httpx.Response:
        """POST one image as the raw body."""
        return self.http.post("/v1/predict", content=image, headers={"content-type": ctype})

    def wait_version(self, version: str, timeout: float = 30) -> float:
        """Seconds until /v1/predict answers with ``version`` (polling every 20 ms)."""
        start = time.monotonic()
        image = tiny_png()
        while True:
            resp = self.predict(image)
            if resp.status_code == 200 and resp.json()["version"] == version:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(
                    f"still {resp.status_code} {resp.text[:200]} after {timeout}s, "
                    f"waiting for {version}:\n{self.model()}\n{self.log()}"
                )
            time.sleep(0.02)

    def wait_check(self, version: str, timeout: float = 30) -> dict[str, Any]:
        """The /v1/model view once the last load check is about ``version``."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.model()
            if (info.get("last_check") or {}).get("version") == version:
                return info
            if time.monotonic() > deadline:
                raise AssertionError(f"no check of {version} after {timeout}s:\n{info}")
            time.sleep(0.05)

    def wait_polls(self, count: int, timeout: float = 60) -> None:
        """Block until the registry watcher has polled ``count`` more times."""
        start = int(self.model()["polls"])
        deadline = time.monotonic() + timeout
        while int(self.model()["polls"]) < start + count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} polls in {timeout}s:\n{self.model()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server and any workers (its own process group), then close the log."""
        self.http.close()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()
        if self in LIVE:
            LIVE.remove(self)


@contextlib.contextmanager
def serving(args: list[str], workdir: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A started and ready server, stopped on exit."""
    server = Server(args, workdir, env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Registry:
    """A bare origin with two registered versions; ``proj`` is a working clone that pushes."""

    origin: Path
    proj: Path
    storage: Path
    v1: str
    v2: str
    c1: str
    c2: str

    @property
    def url(self) -> str:
        """What `catdetector serve --registry` gets."""
        return str(self.origin)

    def cli(self, *args: str) -> dict[str, Any]:
        """Run a catdetector command with --json in the working clone."""
        return dict(json.loads(cli(*args, "--json", cwd=self.proj).stdout))

    def promote(self, version: str, reason: str = "serve test") -> dict[str, Any]:
        """promote --force --reason --push (v2 fails the gate on purpose)."""
        return self.cli(
            "promote", version, "--stage", "prod", "--force", "--reason", reason, "--push"
        )

    def rollback(self) -> dict[str, Any]:
        """rollback --push."""
        return self.cli("rollback", "--stage", "prod", "--push")

    def prod(self) -> str | None:
        """What plain `gto show` says prod holds, read from the origin the server follows."""
        out = run(["gto", "show", "--json", "-r", str(self.origin)], self.proj).stdout
        return json.loads(out).get("catdetector", {}).get("stage", {}).get("prod")

    def bundle_md5(self, commit: str) -> str:
        """The DVC hash of the model that dvc.lock records at ``commit``."""
        import yaml

        lock = yaml.safe_load(git("show", f"{commit}:dvc.lock", cwd=self.proj))
        outs = lock["stages"]["train"]["outs"]
        md5 = next(o["md5"] for o in outs if o["path"] == str(MODEL_DIR))
        return str(md5).removesuffix(".dir")

    def private_copy(self, dest: Path) -> Registry:
        """A copy of the origin and the working clone (the DVC remote is shared)."""
        dest.mkdir(parents=True, exist_ok=True)
        origin = dest / "origin.git"
        proj = dest / "proj"
        shutil.copytree(self.origin, origin, symlinks=True)
        shutil.copytree(self.proj, proj, symlinks=True)
        git("remote", "set-url", "origin", str(origin), cwd=proj)
        return replace(self, origin=origin, proj=proj)

    def publish(self, message: str, edit: Callable[[Path], None]) -> str:
        """A candidate: v1's bundle edited by ``edit``, committed, pushed, registered, promoted.

        ``dvc commit -f`` records the edited bundle in dvc.lock, exactly as a user who
        changed the model by hand would; the registry and the DVC remote hold it.
        """
        git("checkout", "-q", self.c1, cwd=self.proj)
        run(["dvc", "checkout", "-q", "--force"], self.proj)
        bundle = self.proj / MODEL_DIR
        edit(bundle)
        run(["dvc", "commit", "-f", "-q"], self.proj)
        git("add", "dvc.lock", cwd=self.proj)
        git("commit", "-qm", message, cwd=self.proj)
        run(["dvc", "push", "-q"], self.proj)
        version = str(self.cli("register", "--push")["version"])
        self.promote(version, message)
        return version


def rewrite(path: Path, data: bytes) -> None:
    """Replace a file by a new inode (never write through a link into the DVC cache)."""
    path.unlink()
    path.write_bytes(data)


def edit_meta(bundle: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change model.json of a bundle."""
    meta = json.loads((bundle / "model.json").read_text())
    change(meta)
    rewrite(bundle / "model.json", (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())


def build_registry(trained_project: Path, work: Path) -> Registry:
    """From a trained project: a bare origin, v1 (good) and v2 (shuffled labels), prod = v1."""
    from tests.support import copy_project, publish, retrain

    proj = copy_project(trained_project, work)
    storage = work / f"{proj.name}.dvc-storage"
    # The server fetches with the committed DVC config: point it at this folder.
    run(["dvc", "remote", "modify", "storage", "url", str(storage)], proj)
    (proj / ".dvc" / "config.local").unlink(missing_ok=True)
    git("add", ".dvc/config", cwd=proj)
    git("commit", "-qm", "remote: the serve tests' storage", cwd=proj)
    origin = publish(proj, work)
    c1 = git("rev-parse", "HEAD", cwd=proj)
    v1 = json.loads(cli("register", "--push", "--json", cwd=proj).stdout)["version"]
    c2 = retrain(proj, "train on shuffled labels", train={"label_noise": 1.0})
    git("push", "-q", "origin", "main", cwd=proj)
    v2 = json.loads(cli("register", "--push", "--json", cwd=proj).stdout)["version"]
    reg = Registry(origin, proj, storage, v1, v2, c1, c2)
    cli("promote", v1, "--stage", "prod", "--push", cwd=proj)
    return reg


# ---------------------------------------------------------------- images


def png(width: int = 64, height: int = 64, seed: int = 0) -> bytes:
    """A valid RGB PNG of noise."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


_TINY: list[bytes] = []


def tiny_png() -> bytes:
    """One fixed valid 64x64 PNG (cached)."""
    if not _TINY:
        _TINY.append(png(64, 64, seed=7))
    return _TINY[0]


def jpeg(width: int = 96, height: int = 96, seed: int = 1) -> bytes:
    """A valid JPEG of noise."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=90)
    return out.getvalue()


def encoded(fmt: str, size: tuple[int, int] = (64, 64), **kw: Any) -> bytes:
    """A solid image in any format Pillow writes."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(out, format=fmt, **kw)
    return out.getvalue()


def png_header_bomb(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels, with almost no data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
