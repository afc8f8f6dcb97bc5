"""Fetch a version's bundle from the DVC remote into a local cache keyed by content hash.

What is served is what was registered: a bundle enters the cache only when its
DVC hash is the one the registered commit's ``dvc.lock`` records and it holds every
file its own ``model.json`` lists (``model.skops``, or a custom rung's ONNX model),
and a cached copy is checked again each time it is used (a copy that differs is
evicted and fetched again). Remote options (``--remote-config``, keys included) reach
``dvc get`` in a private config file, never its argument list.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from catdetector.core import layout, redact, tools
from catdetector.core.errors import BundleError, IntegrityError, RemoteError
from catdetector.formats import dvcremote
from catdetector.model import content
from catdetector.model.bundle import read_meta
from catdetector.registry.artifact import model_md5

log = logging.getLogger("catdetector.serve")


def check_complete(folder: Path, what: str) -> None:
    """Refuse (BundleError) a bundle folder without ``model.json`` or a file it lists."""
    try:
        listed = read_meta(folder)["files"]
    except BundleError as exc:
        raise BundleError(f"{what} is incomplete: {exc.message}") from exc
    missing = sorted(str(name) for name in listed if not (folder / str(name)).is_file())
    if missing:
        raise BundleError(
            f"{what} is incomplete: its model.json lists {', '.join(missing)}, which it lacks",
            hint="the registered commit recorded a bundle without them; register a full one",
        )


class BundleFetcher:
    """A bare mirror of the registry repo plus a cache of bundles by DVC md5."""

    def __init__(
        self, registry_url: str, cache_dir: Path, remote_config: list[str] | None = None
    ) -> None:
        self.url = tools.remember_credentials(registry_url)
        self.remote_config = remote_config or []
        redact.register(*(item.split("=", 1)[1] for item in self.remote_config if "=" in item))
        self.cache_dir = cache_dir
        self.mirror = cache_dir / "mirror.git"
        self.bundles = cache_dir / "bundles"
        self.bundles.mkdir(parents=True, exist_ok=True)

    def _git(self, *args: str, check: bool = True) -> str:
        proc = tools.run(["git", "--git-dir", str(self.mirror), *args], None, check=False)
        if check and proc.returncode != 0:
            raise RemoteError(
                f"git {' '.join(args)} failed on the registry mirror: {tools.failure_text(proc)}"
            )
        return proc.stdout

    def ensure_mirror(self) -> None:
        """Have the local bare mirror of the registry (one clone, the first time)."""
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

    def tag_message(self, name: str) -> str:
        """The message of the registry's tag ``name`` (fetched into the mirror when missing).

        ``git ls-remote`` gives no messages; one tag is fetched only when it is new.
        """
        self.ensure_mirror()
        ref = f"refs/tags/{name}"
        if not self._git("for-each-ref", ref).strip():
            git = ["git", "--git-dir", str(self.mirror)]
            tools.run(
                [*git, "fetch", "-q", "--no-tags", self.url, f"+{ref}:{ref}"],
                None,
                error=RemoteError,
                timeout=120,
            )
        return self._git("for-each-ref", "--format=%(contents)", ref)

    def ensure_commit(self, commit: str) -> None:
        """Have ``commit`` in the local mirror; fetch from the registry only when missing."""
        self.ensure_mirror()
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
                self.url,  # the URL, not the remote's name: its credentials are found by URL
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
        """The cached bundle folder for ``md5``, when present, complete and still that content.

        A copy whose files differ from ``md5`` (edited, truncated, or put there by an
        older catdetector that did not check) is evicted and None returned. Complete
        means every file its own ``model.json`` lists, whatever the rung.
        """
        path = self.bundles / md5
        if not path.is_dir():
            return None
        try:
            content.verify(path, md5, what=f"the cached bundle {md5}")
            check_complete(path, f"the cached bundle {md5}")
        except (IntegrityError, BundleError) as exc:
            log.warning("evicted from the cache: %s", exc)
            self.evict(md5)
            return None
        return path

    def evict(self, md5: str) -> None:
        """Drop a cached bundle (it failed verification)."""
        shutil.rmtree(self.bundles / md5, ignore_errors=True)

    @contextlib.contextmanager
    def _dvc_options(self, commit: str) -> Iterator[list[str]]:
        """``dvc get`` options for the remote config: a private config file, removed after."""
        if not self.remote_config:
            yield []
            return
        config = self._git("show", f"{commit}:.dvc/config", check=False)
        remote = dvcremote.default_remote_name(config)
        if remote is None:
            raise BundleError(
                f".dvc/config at {commit[:12]} names no default remote for --remote-config"
            )
        from configobj import ConfigObj

        private = Path(tempfile.mkdtemp(prefix=".dvc-config.", dir=self.cache_dir))  # 0700
        try:
            path = private / "config"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            conf = ConfigObj(str(path))
            conf[f'remote "{remote}"'] = dict(
                item.split("=", 1) for item in self.remote_config if "=" in item
            )
            conf.write()
            yield ["--config", str(path)]
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def fetch(self, commit: str, version: str | None = None) -> tuple[Path, str, bool]:
        """The verified bundle folder of ``commit``: (path, md5, came_from_network).

        IntegrityError when the remote's files are not the ones dvc.lock records there
        (nothing then enters the cache).
        """
        self.ensure_commit(commit)
        md5 = self.model_hash(commit)
        hit = self.cached(md5)
        if hit is not None:
            return hit, md5, False
        name = f"{version} ({commit[:10]})" if version else commit[:12]
        tmp = Path(tempfile.mkdtemp(prefix=f".{md5}.", dir=self.bundles))
        try:
            with self._dvc_options(commit) as options:
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
                        *options,
                    ],
                    None,
                    error=RemoteError,
                    timeout=600,
                )
            content.verify(tmp / "bundle", md5, what=f"the fetched bundle of {name}")
            check_complete(tmp / "bundle", f"the fetched bundle of {name}")
            dest = self.bundles / md5
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp / "bundle", dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest, md5, True
