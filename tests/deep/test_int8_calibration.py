"""The int8 calibration set: a seeded draw of train images, whatever the order of the
manifest; the cache key changes with anything that makes the int8 file."""

from __future__ import annotations

from typing import Any

from catdetector.features import quantize
from catdetector.training.pretrained import calibration_set


def _manifest(order: list[int]) -> dict[str, Any]:
    items = [
        {"path": f"{i}.jpg", "sha256": f"{i:064x}", "split": "train" if i % 4 else "val"}
        for i in order
    ]
    return {"items": items}


def test_draw_is_seeded_train_only_and_order_free() -> None:
    ordered = calibration_set(_manifest(list(range(40))), 10, seed=42)
    shuffled = calibration_set(_manifest(list(reversed(range(40)))), 10, seed=42)
    assert ordered == shuffled and len(ordered) == 10
    assert all(int(entry["path"].split(".")[0]) % 4 for entry in ordered)  # train only
    assert calibration_set(_manifest(list(range(40))), 10, seed=7) != ordered
    assert len(calibration_set(_manifest(list(range(8))), 50, seed=42)) == 6  # all there are


def test_cache_key_follows_every_input() -> None:
    base = quantize.cache_key("a" * 64, "b" * 64, "1.20.0")
    assert base == quantize.cache_key("a" * 64, "b" * 64, "1.20.0")
    assert base != quantize.cache_key("c" * 64, "b" * 64, "1.20.0")  # another float32 file
    assert base != quantize.cache_key("a" * 64, "c" * 64, "1.20.0")  # other images
    assert base != quantize.cache_key("a" * 64, "b" * 64, "1.21.0")  # another onnxruntime
