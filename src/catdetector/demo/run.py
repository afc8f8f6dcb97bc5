"""The demo's entry point: a work folder (temporary unless named) and the story in it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from catdetector.core.errors import UsageError
from catdetector.demo.results import DemoResult, Step
from catdetector.demo.story import Demo


def run_demo(
    workdir: Path | None = None,
    remote: str | None = None,
    endpoint_url: str | None = None,
    keep: bool = False,
    on_step: Callable[[Step], None] | None = None,
) -> DemoResult:
    """Run the story in ``workdir`` (a fresh temp folder by default; removed unless ``keep``)."""
    if workdir is None:
        root = Path(tempfile.mkdtemp(prefix="catdetector-demo-"))
    else:
        root = workdir.resolve()
        if root.exists() and any(root.iterdir()):
            raise UsageError(f"--workdir {root} is not empty: give a new or empty folder")
    try:
        return Demo(root, remote, endpoint_url, on_step).run()
    finally:
        if workdir is None and not keep:  # a --workdir the user named is theirs: never removed
            shutil.rmtree(root, ignore_errors=True)
