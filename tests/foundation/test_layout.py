"""Reading the model's DVC md5 out of a dvc.lock text."""

from __future__ import annotations

import pytest

from catdetector.registry.artifact import model_md5

LOCK = """schema: '2.0'
stages:
  train:
    cmd: catdetector stage train
    outs:
    - path: metrics/ladder.json
      md5: 1111
    - path: models/catdetector
      md5: abcdef0123456789abcdef0123456789.dir
"""


def test_model_md5_found() -> None:
    assert model_md5(LOCK) == "abcdef0123456789abcdef0123456789.dir"


@pytest.mark.parametrize(
    "text",
    ["", "stages: [unclosed", "- a list\n", "stages:\n  train: null\n", "stages:\n  prepare: {}\n"],
)
def test_model_md5_absent_or_malformed_is_none(text: str) -> None:
    assert model_md5(text) is None
