"""Deterministic SYNTHETIC image sample (not real photos), byte-identical on any machine.

Cats are drawn as a round head with two pointed ears; "other" images as a
round head with floppy (round) ears, or a plain blob. Colours, sizes,
positions, clutter and noise overlap between classes, so the task is
learnable but not trivial. Pixels come from numpy's legacy ``RandomState``
(its stream is frozen) and float math only; PNGs are written with stored
(uncompressed) deflate blocks, because zlib builds differ in what they emit
for compressed ones.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from catdetector.core.errors import UsageError

SIDE = 64
SYNTHETIC_PREFIX = "synthetic"


def _png_bytes(pixels: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 array as a PNG with stored deflate blocks."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))
    blocks = []
    for start in range(0, len(raw), 65535):
        block = raw[start : start + 65535]
        final = 1 if start + 65535 >= len(raw) else 0
        blocks.append(struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF) + block)
    stream = b"\x78\x01" + b"".join(blocks) + struct.pack(">I", zlib.adler32(raw))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")
    )


def _triangle(xx: np.ndarray, yy: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Mask of the pixels inside the triangle ``pts`` (3x2, x/y)."""
    (x1, y1), (x2, y2), (x3, y3) = pts

    def side(ax: float, ay: float, bx: float, by: float) -> np.ndarray:
        return (xx - bx) * (ay - by) - (ax - bx) * (yy - by)

    d1, d2, d3 = side(x1, y1, x2, y2), side(x2, y2, x3, y3), side(x3, y3, x1, y1)
    neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
    pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
    return ~(neg & pos)


def render(rng: np.random.RandomState, is_cat: bool) -> np.ndarray:
    """Draw one synthetic image as an (64, 64, 3) uint8 array."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    c0, c1 = rng.uniform(40, 200, 3), rng.uniform(40, 200, 3)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = ((xx * np.cos(angle) + yy * np.sin(angle)) / SIDE + 1) / 2
    img = c0 * ramp[..., None] + c1 * (1 - ramp[..., None])
    # clutter: a few random bars that can look like ears
    for _ in range(rng.randint(0, 3)):
        x0, y0 = rng.uniform(0, SIDE, 2)
        w, h = rng.uniform(2, 14, 2)
        mask = (xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)
        img[mask] = rng.uniform(0, 255, 3)
    radius = rng.uniform(9, 17)
    cx = SIDE / 2 + rng.uniform(-6, 6)
    cy = SIDE / 2 + 6 + rng.uniform(-5, 5)
    warm = np.array([1.15, 1.0, 0.8]) if is_cat else np.array([0.9, 1.0, 1.1])
    colour = np.clip(rng.uniform(60, 220, 3) * (warm if rng.uniform() < 0.6 else 1.0), 0, 255)
    head = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius**2
    ears = np.zeros_like(head)
    style = rng.uniform()
    for sign in (-1.0, 1.0):
        bx = cx + sign * radius * rng.uniform(0.35, 0.75)
        if is_cat and style < 0.85:
            tip = np.array([bx + sign * radius * 0.25, cy - radius * rng.uniform(1.3, 1.8)])
            base = np.array(
                [[bx - radius * 0.35, cy - radius * 0.5], [bx + radius * 0.35, cy - radius * 0.5]]
            )
            ears |= _triangle(xx, yy, np.vstack([base, tip]))
        elif not is_cat and style < 0.7:
            er = radius * rng.uniform(0.3, 0.5)
            ey = cy - radius * rng.uniform(0.2, 0.9)
            ears |= (xx - (bx + sign * radius * 0.4)) ** 2 + (yy - ey) ** 2 <= er**2
    img[head | ears] = colour
    img += rng.normal(0, rng.uniform(4, 16), img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_sample(out_dir: Path, n: int, seed: int) -> list[Path]:
    """Write ``n`` synthetic PNGs, half under ``cat/`` and half under ``other/``."""
    if n < 2 or n % 2:
        raise UsageError(f"--n must be an even number of at least 2 (got {n})")
    if seed < 0 or seed >= 2**32:
        raise UsageError(f"--seed must be in [0, 2**32) (got {seed})")
    rng = np.random.RandomState(seed)
    written: list[Path] = []
    for label in ("cat", "other"):
        (out_dir / label).mkdir(parents=True, exist_ok=True)
    for index in range(n):
        is_cat = index % 2 == 0
        label = "cat" if is_cat else "other"
        path = out_dir / label / f"{SYNTHETIC_PREFIX}-{label}-s{seed}-{index // 2:05d}.png"
        tmp = path.with_suffix(".png.tmp")
        tmp.write_bytes(_png_bytes(render(rng, is_cat)))
        tmp.replace(path)
        written.append(path)
    return written
