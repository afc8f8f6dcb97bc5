"""Fetch a version's bundle from the DVC remote into a local cache keyed by content hash."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from catdetector.core import layout, tools
from catdetector.core.errors import BundleError, RemoteError
from catdetector.registry.artifact import model_md5


class BundleFetcher:
    """A bare mirror of the registry repo plus a cache of bundles by DVC md5."""

    def __init__(
        self, registry_url: str, cache_dir: Path, remote_config: list[str] | None = None
    ) -> None:
        self.url = registry_url
        self.remote_config = remote_config or []
        self.cache_dir = cache_dir
        self.mirror = cache_dir / "mirror.git"
        self.bundles = cache_dir / "bundles"
        self.bundles.mkdir(parents=True, exist_ok=True)

    def _git(self, *args: str, check: bool = True) -> str:
        proc = tools.run(["git", "--git-dir", str(self.mirror), *args], None, check=False)
        if check and proc.returncode != 0:
            raise RemoteError(
                f"git {' '.join(args)} failed on the registry mirror: {proc.stderr.strip()}"
            )
        return proc.stdout

    def ensure_commit(self, commit: str) -> None:
        """Have ``commit`` in the local mirror; fetch from the registry only when missing."""
        if not self.mirror.exists():
            tmp = Path(tempfile.mkdtemp(prefix=".mirror.", dir=self.cache_dir))
            tools.run(
                ["git", "clone", "-q", "--bare", self.url, str(tmp / "m.git")],
                None,
                error=RemoteError,
                timeout=300,
            )
            os.replace(tmp / "m.git", self.mirror)
            shutil.rmtree(tmp, ignore_errors=True)
        if self._git("cat-file", "-t", commit, check=False).strip() == "commit":
            return
        tools.run(
            [
                "git",
                "--git-dir",
                str(self.mirror),
                "fetch",
                "-q",
                "--tags",
                "origin",
                "+refs/heads/*:refs/heads/*",
            ],
            None,
            error=RemoteError,
            timeout=300,
        )
        if self._git("cat-file", "-t", commit, check=False).strip() != "commit":
            raise RemoteError(f"commit {commit[:12]} is not in the registry {self.url}")

    def model_hash(self, commit: str) -> str:
        """The DVC md5 of the model output recorded in dvc.lock at ``commit``."""
        md5 = model_md5(self._git("show", f"{commit}:{layout.DVC_LOCK}", check=False))
        if md5:
            return md5.removesuffix(".dir")
        raise BundleError(f"dvc.lock at {commit[:12]} records no {layout.MODEL_DIR} output")

    def cached(self, md5: str) -> Path | None:
        """The cached bundle folder for ``md5``, when complete."""
        path = self.bundles / md5
        return (
            path if (path / "model.json").is_file() and (path / "model.skops").is_file() else None
        )

    def evict(self, md5: str) -> None:
        """Drop a cached bundle (it failed verification)."""
        shutil.rmtree(self.bundles / md5, ignore_errors=True)

    def fetch(self, commit: str) -> tuple[Path, str, bool]:
        """The bundle folder of ``commit``: (path, md5, came_from_network)."""
        self.ensure_commit(commit)
        md5 = self.model_hash(commit)
        hit = self.cached(md5)
        if hit is not None:
            return hit, md5, False
        tmp = Path(tempfile.mkdtemp(prefix=f".{md5}.", dir=self.bundles))
        try:
            tools.run(
                [
                    "dvc",
                    "get",
                    str(self.mirror),
                    str(layout.MODEL_DIR),
                    "--rev",
                    commit,
                    "-o",
                    str(tmp / "bundle"),
                    *(["--remote-config", *self.remote_config] if self.remote_config else []),
                ],
                None,
                error=RemoteError,
                timeout=600,
            )
            if not (tmp / "bundle" / "model.json").is_file():
                raise BundleError(f"the fetched bundle of {commit[:12]} is incomplete")
            dest = self.bundles / md5
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp / "bundle", dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest, md5, True
