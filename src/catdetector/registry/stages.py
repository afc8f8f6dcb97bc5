"""Stages are declared once, in GTO's ``.gto`` (``stages: [...]``); others are refused.

A repository whose ``.gto`` declares no stages accepts any valid name, as ``gto`` does.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from catdetector.core import tools
from catdetector.core.errors import RegistryError, UsageError
from catdetector.formats import gto
from catdetector.registry.state import CANARY


def _stages(text_or_path: str | Path, where: str) -> list[str] | None:
    try:
        if isinstance(text_or_path, Path):
            return gto.stages_from_file(text_or_path)
        return gto.stages_from_text(text_or_path)
    except ValueError as exc:
        raise RegistryError(
            f"{where} is not a valid GTO config", hint="fix it (e.g. `stages: [staging, prod]`)"
        ) from exc


def declared(root: Path) -> list[str] | None:
    """The stages the project's ``.gto`` declares (None: no declaration)."""
    path = root / gto.CONFIG_FILE
    return _stages(path, str(gto.CONFIG_FILE)) if path.is_file() else None


def check(stage: str, known: list[str] | None, where: str = str(gto.CONFIG_FILE)) -> None:
    """Refuse an invalid stage name, or one that ``known`` does not list."""
    if not gto.is_valid_name(stage):
        raise UsageError(
            f"invalid stage name {stage!r}: use letters, digits, - and _"
            " (starting and ending with a letter or digit)"
        )
    if known is not None and stage not in known:
        raise UsageError(
            f"unknown stage {stage!r}: the stages of this registry are {', '.join(known)}",
            hint=f"use one of them, or declare {stage!r} in {where} (`stages: [...]`)",
        )


def check_project(root: Path, stage: str) -> None:
    """Refuse ``stage`` unless the project's ``.gto`` declares it."""
    check(stage, declared(root))


def remote_declared(url: str, timeout: float = 60) -> list[str] | None:
    """The stages the ``.gto`` of a remote registry's default branch declares.

    Cheap: one shallow fetch of the default branch's tip into a temporary bare
    repository (no history, no tags), then ``git show``. Raises RemoteError when the
    registry cannot be read.
    """
    from catdetector.core.errors import RemoteError

    tmp = Path(tempfile.mkdtemp(prefix="catdetector-gto-"))
    try:
        git = ["git", "--git-dir", str(tmp)]
        tools.run(["git", "init", "-q", "--bare", str(tmp)], None)
        fetched = tools.run(
            [*git, "fetch", "-q", "--depth", "1", "--no-tags", url, "HEAD"],
            None,
            timeout=timeout,
            check=False,
        )
        if fetched.returncode != 0:
            raise RemoteError(f"cannot read the registry: {tools.failure_text(fetched)}")
        shown = tools.run([*git, "show", f"FETCH_HEAD:{gto.CONFIG_FILE}"], None, check=False)
        if shown.returncode != 0:
            return None
        return _stages(shown.stdout, f"the registry's {gto.CONFIG_FILE}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_remote(url: str, stage: str) -> None:
    """Refuse ``stage`` unless the remote registry declares it (see :func:`remote_declared`).

    A registry that cannot be read now is not a reason to refuse: the server starts and
    keeps polling it; only the name itself is checked then.
    """
    from catdetector.core.errors import RemoteError

    try:
        known = remote_declared(url)
    except RemoteError:
        known = None
    check(stage, known, f"the registry's {gto.CONFIG_FILE}")


def check_share(stage: str, share: int | None) -> None:
    """A share only for the canary, and there a whole percentage from 1 to 100."""
    if stage != CANARY:
        if share is not None:
            raise UsageError(f"--share is only for --stage {CANARY} (got --stage {stage})")
        return
    if share is None:
        raise UsageError(
            f"--stage {CANARY} needs --share PERCENT: the share of requests it answers (1..100)"
        )
    if not 1 <= share <= 100:
        raise UsageError(f"--share must be a percentage from 1 to 100 (got {share})")
