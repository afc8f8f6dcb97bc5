"""What decoding an input may cost: the limits, the mode-aware cost of a decode, its clock."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

from PIL import Image

from catdetector.core.config import ImageParams

# Bytes a pixel takes once Pillow has decoded it, by mode: 1-bit, grey and palette images
# are held at one byte a pixel (8x a 1-bit file's), 16-bit grey at two, the rest at four.
STORED_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
RGB_BYTES = 4  # Pillow holds an RGB image in four bytes a pixel
JPEG_DRAFT_FLOOR = 512  # a JPEG is costed at the DCT scale that keeps this many pixels a side


@dataclass(frozen=True)
class Limits:
    """Limits applied to every decoded input."""

    max_bytes: int = 20_000_000
    max_pixels: int = 40_000_000
    min_side: int = 32
    max_decoded_bytes: int | None = None  # what decoding may take (:func:`decoded_bytes`)
    max_decode_seconds: float | None = None  # how long decoding may read the input

    @classmethod
    def from_params(cls, image: ImageParams) -> Limits:
        """Limits from the ``image`` params section."""
        return cls(max_bytes=image.max_bytes, max_pixels=image.max_pixels, min_side=image.min_side)


class DecodeTimeout(Exception):
    """Decoding took longer than its limit (raised by :class:`Clocked` between reads)."""


class Clocked(io.BytesIO):
    """An input's bytes whose reads fail once decoding has run for longer than ``seconds``.

    Pillow decodes as it reads, a block (64 KB) at a time, so the check runs between blocks.
    """

    def __init__(self, data: bytes, seconds: float | None) -> None:
        super().__init__(data)
        self.seconds = seconds
        self.deadline: float | None = None

    def start(self) -> None:
        """Start the clock (when decoding starts, not when the header is read)."""
        if self.seconds is not None:
            self.deadline = time.monotonic() + self.seconds

    def check(self) -> None:
        """DecodeTimeout when the time is up."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise DecodeTimeout(f"decoding took over {self.seconds:g} s")

    def read(self, size: int | None = -1, /) -> bytes:
        self.check()
        return super().read(size)


def decoded_bytes(img: Image.Image) -> int:
    """The memory decoding ``img`` takes at its peak, from its header (mode-aware).

    Its pixels as Pillow holds them (:data:`STORED_BYTES`: a 6300x6300 1-bit PNG of
    5 KB becomes 40 MB) plus their RGB copy (four bytes a pixel). A JPEG counts at the
    DCT scale (1/2, 1/4, 1/8) that keeps :data:`JPEG_DRAFT_FLOOR` pixels on its shorter
    side, as decoding it for a model takes no more.
    """
    width, height = img.size
    if img.format == "JPEG":
        scale = 1
        while scale < 8 and min(width, height) // (scale * 2) >= JPEG_DRAFT_FLOOR:
            scale *= 2
        width, height = -(-width // scale), -(-height // scale)
    return width * height * (STORED_BYTES.get(img.mode, RGB_BYTES) + RGB_BYTES)
