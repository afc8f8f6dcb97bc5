"""params.yaml lists the pretrained rung commented out: one uncommented line enables it."""

from __future__ import annotations

from pathlib import Path

import yaml

from catdetector.core.config import Params, load_params
from tests.deep.conftest import enable_pretrained
from tests.support import cli


def test_init_lists_pretrained_commented_out(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    cli("init", str(root), cwd=tmp_path)
    text = (root / "params.yaml").read_text()
    assert "  # - pretrained" in text
    params = load_params(root / "params.yaml")
    assert params == Params() and "pretrained" not in params.ladder.rungs
    enable_pretrained(root)
    assert load_params(root / "params.yaml").ladder.rungs[-1] == "pretrained"
    changed = yaml.safe_load((root / "params.yaml").read_text())
    assert changed["ladder"]["rungs"] == ["dummy", "heuristic", "linear", "nonlinear", "pretrained"]
