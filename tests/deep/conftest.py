"""Fixtures of the pretrained-rung tests: one project trained on the real photos per session.

Every test here needs the ``deep`` extra (skips cleanly without it) and the real photos
in ../shared/data/dogscats-sample (skips when absent).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from catdetector.features.embed import CACHE_ENV
from tests.support import built_once, cli, git, read_json, run

EMBED_STATS = Path(".dvc/tmp/catdetector/embeddings/last-run.json")


def enable_pretrained(root: Path) -> None:
    """Uncomment the one line of params.yaml that adds the pretrained rung."""
    path = root / "params.yaml"
    text, count = re.subn(r"(?m)^  # - pretrained\b.*$", "  - pretrained", path.read_text())
    assert count == 1, "params.yaml has no commented-out pretrained rung"
    path.write_text(text)


@pytest.fixture(scope="session")
def deep_extra() -> None:
    """Skip unless torch, onnxruntime and the EfficientNet packages are installed."""
    for module in ("torch", "onnx", "onnxruntime", "efficientnet_lite_pytorch"):
        pytest.importorskip(module)


def _shared(factory: pytest.TempPathFactory) -> Path:
    """The temp folder every pytest-xdist worker of this run shares."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(autouse=True)
def shared_embed_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """One embedding cache (embeddings and the int8 file) for every worker of the run.

    Each worker has its own HOME, so the user cache folder differs from worker to worker;
    ``deep_project`` is built by one of them, and a test of its caches' reuse that ran on
    another found nothing to reuse.
    """
    path = _shared(tmp_path_factory) / "deep-embed-cache"
    monkeypatch.setenv(CACHE_ENV, str(path))
    return path


@pytest.fixture(scope="session")
def deep_project(
    deep_extra: None, real_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """init -> the 400 photos -> pretrained enabled -> dvc repro -> commit -> dvc push.

    Read-only for the tests (copy it to change it). Built once per run (``built_once``),
    even under pytest-xdist. Its first run's embedding stats are kept in
    ``first-embed-stats.json`` beside it.
    """

    def build(folder: Path) -> None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(CACHE_ENV, str(_shared(tmp_path_factory) / "deep-embed-cache"))
            _build(folder / "proj", real_data)

    return built_once(tmp_path_factory, "deep", build) / "proj"


def _build(root: Path, real_data: Path) -> None:
    cli("init", str(root), cwd=root.parent)
    for label in ("cat", "other"):
        (root / "data/raw" / label).mkdir(parents=True)
        for src in sorted((real_data / label).iterdir()):
            (root / "data/raw" / label / src.name).write_bytes(src.read_bytes())
    enable_pretrained(root)
    run(["dvc", "add", "-q", "data/raw"], root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "data: real photos, pretrained rung on", cwd=root)
    run(["dvc", "repro", "-q"], root, timeout=1200)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "train", cwd=root)
    run(["dvc", "push", "-q"], root)
    (root.parent / "first-embed-stats.json").write_text((root / EMBED_STATS).read_text())


def first_embed_stats(deep_project: Path) -> dict[str, int]:
    """Embedding counts of the fixture's first `dvc repro`."""
    return dict(read_json(deep_project.parent / "first-embed-stats.json"))


NETGUARD = Path(__file__).parent / "netguard"


def offline_env(tmp: Path) -> tuple[dict[str, str], Path]:
    """An environment in which every Python process refuses non-loopback sockets and
    lookups (and logs them), with proxies pointing at a closed port; and the log path."""
    log = tmp / "netguard.log"
    log.write_text("")
    closed = "http://127.0.0.1:9"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(NETGUARD), env.get("PYTHONPATH")])),
        NETGUARD_LOG=str(log),
        HTTP_PROXY=closed,
        HTTPS_PROXY=closed,
        ALL_PROXY=closed,
        http_proxy=closed,
        https_proxy=closed,
        NO_PROXY="127.0.0.1,localhost",
    )
    return env, log
