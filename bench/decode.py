"""Benchmark: where the pretrained rung's preprocessing spends its time, per image.

Over the 400 real photos (../shared/data/dogscats-sample, read in place; skipped with a
message when absent) it times, image by image and ``--repeat`` times, the steps of the
one preprocessing function the server and training share (``features.images``):

- ``open``: :func:`open_image` (header parse and limit checks);
- ``decode``: ``Image.draft`` (JPEG DCT-domain downscaling) and the pixel decode;
- ``resize``: resize and centre crop to the backbone's input (:func:`backbone_decode`);
- ``describe``: the drift descriptors of the crop (:func:`backbone_describe`);
- ``input``: normalisation to the backbone's float32 input (:func:`backbone_input`);
- ``total``: :func:`backbone_decode`, :func:`backbone_describe` and :func:`backbone_input`
  end to end,

and prints the median ms per image of each, and the share of each in the total. One
thread, no onnxruntime: this is the part of a predict that is not the backbone. Times are
the thread's CPU time (``time.thread_time``), so that a busy machine's preemptions, which
land on one step or another at random, do not count.

    .venv/bin/python bench/decode.py [--repeat 3] [--limit 400]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time
from pathlib import Path

from PIL import Image

from catdetector.features import images

REPO = Path(__file__).resolve().parents[1]
# The photos beside the checkout (../shared), or where BENCH_PHOTOS says (e.g. from a worktree).
DATA = Path(os.environ.get("BENCH_PHOTOS") or REPO.parent / "shared" / "data" / "dogscats-sample")
OUT = Path(__file__).resolve().parent / "out" / "decode.json"


def photos(limit: int) -> list[bytes]:
    """The real photos' bytes, in name order (cat then other)."""
    files = sorted(p for label in ("cat", "other") for p in (DATA / label).iterdir())
    return [p.read_bytes() for p in files[:limit]]


def steps(data: bytes, spec: images.BackboneSpec) -> dict[str, float]:
    """ms of each step for one image (the steps of :func:`backbone_decode`, done by hand)."""
    out: dict[str, float] = {}
    t0 = time.thread_time()
    img = images.open_image(data)
    t1 = time.thread_time()
    with images.decoding(img, spec.resize) as rgb:
        t2 = time.thread_time()
        crop = images.backbone_crop(rgb, spec)
    t3 = time.thread_time()
    decoded = images.Decoded(img.size[0], img.size[1], "JPEG", crop)
    images.backbone_describe(decoded, spec)
    t4 = time.thread_time()
    images.backbone_input(decoded, spec)
    t5 = time.thread_time()
    out.update(open=t1 - t0, decode=t2 - t1, resize=t3 - t2, describe=t4 - t3, input=t5 - t4)
    start = time.thread_time()
    whole = images.backbone_decode(images.open_image(data), spec)
    images.backbone_describe(whole, spec)
    images.backbone_input(whole, spec)
    out["total"] = time.thread_time() - start
    return {k: v * 1000 for k, v in out.items()}


def main() -> None:
    """Time every step over the photos, for every decode version, interleaved; print medians
    and shares; write bench/out/decode.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=400)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return
    blobs = photos(args.limit)
    specs = {v: images.BackboneSpec(version=v) for v in images.BACKBONE_DECODES}
    runs: dict[int, dict[str, list[float]]] = {v: {} for v in specs}
    for _ in range(args.repeat):
        for data in blobs:
            for version, spec in specs.items():  # interleaved: load shifts both alike
                for step, ms in steps(data, spec).items():
                    runs[version].setdefault(step, []).append(ms)
    print(f"{len(blobs)} photos x {args.repeat}, Pillow {Image.__version__}: median ms per image")
    out: dict[str, dict[str, float]] = {}
    for version, steps_ms in runs.items():
        medians = {step: statistics.median(values) for step, values in steps_ms.items()}
        parts = sum(v for k, v in medians.items() if k != "total")
        print(f"backbone decode v{version}" + (" (current)" if version == max(specs) else ""))
        for step, ms in medians.items():
            share = f"{ms / parts:6.1%}" if step != "total" else ""
            print(f"  {step:9s} {ms:7.3f} ms {share}")
        out[f"v{version}"] = medians
    versions = sorted(specs)
    ratios = {
        f"v{new}/v{old}": out[f"v{new}"]["total"] / out[f"v{old}"]["total"]
        for old, new in [*itertools.pairwise(versions), (versions[0], versions[-1])]
    }
    for name, ratio in ratios.items():
        print(f"total {name}: {ratio:.2f}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min) at the end: {load:.1f}")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"median_ms": out, "ratios": ratios, "load": load}, indent=1))


if __name__ == "__main__":
    main()
