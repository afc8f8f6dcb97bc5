"""From opened uploads to answers: header checks, decode and predict, on or off the event loop."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
from fastapi import HTTPException
from PIL import Image

from catdetector.core.config import ServeSettings
from catdetector.core.errors import ImageError
from catdetector.features.images import Limits, open_image
from catdetector.model.bundle import Prediction as ModelPrediction
from catdetector.serve.holder import Served
from catdetector.serve.schemas import Prediction
from catdetector.serve.uploads import Images

INLINE_MAX_BYTES = 1_000_000  # an image this small, and ...
INLINE_MAX_PIXELS = 1_500_000  # ... declaring this few pixels, is predicted on the event loop


def limits_for(settings: ServeSettings, served: Served, max_decoded_bytes: int) -> Limits:
    """The decode limits of a request to ``served``: the server's, tightened by the model's."""
    return Limits(
        max_bytes=settings.max_body_bytes,
        max_pixels=min(settings.max_pixels, served.model.limits.max_pixels),
        min_side=served.model.limits.min_side,
        max_decoded_bytes=max_decoded_bytes,
        max_decode_seconds=settings.decode_seconds,
    )


def open_all(images: Images, limits: Limits) -> list[Image.Image]:
    """Open every image and check its header (cheap: nothing is decoded yet)."""
    opened: list[Image.Image] = []
    try:
        for index, (name, data) in enumerate(images):
            with naming(images, index, name):
                opened.append(open_image(data, limits))
    except HTTPException:
        for img in opened:
            img.close()
        raise
    return opened


def quick(served: Served, images: Images, opened: list[Image.Image]) -> bool:
    """True for one image that a hand-made rung predicts in a few ms: then on the event loop.

    Anything larger (by bytes or by the pixels its header declares) goes to a
    thread, so one big image never stalls the other requests of this worker.
    A few ms of mostly GIL-bound work would not run in parallel in a thread, and
    the hop there and back costs more than it frees the loop for. A backbone's
    decode and predict release the GIL, so they run in the predict lanes, except
    a small one alone in its worker (``Batcher.predict``'s ``inline``).
    """
    return not served.model.has_backbone and small(images, opened)


def small(images: Images, opened: list[Image.Image]) -> bool:
    """One image, small in bytes and in the pixels its header declares."""
    if len(opened) != 1 or len(images[0][1]) > INLINE_MAX_BYTES:
        return False
    width, height = opened[0].size
    return width * height <= INLINE_MAX_PIXELS


@contextlib.contextmanager
def naming(images: Images, index: int, name: str | None) -> Iterator[None]:
    """Turn an ImageError into the HTTP error, naming the image when there are several."""
    try:
        yield
    except ImageError as exc:
        where = f"image {index + 1}" + (f" ({name})" if name else "")
        raise HTTPException(
            exc.status, f"{where}: {exc.message}" if len(images) > 1 else exc.message
        ) from exc


def predict(
    served: Served,
    images: Images,
    opened: list[Image.Image],
    stats: list[dict[str, float]] | None = None,
) -> list[Prediction]:
    """Predict each image; with ``stats``, also append each input's descriptors to it."""
    rows = prepare(served, images, opened, stats)
    return answers(served, images, served.model.predict_rows(rows))


def prepare(
    served: Served,
    images: Images,
    opened: list[Image.Image],
    stats: list[dict[str, float]] | None = None,
) -> np.ndarray:
    """Every image's model input row (decoding closes each image); ``stats`` as above."""
    rows = []
    for index, ((name, _), img) in enumerate(zip(images, opened, strict=True)):
        try:
            with naming(images, index, name):
                if stats is None:
                    rows.append(served.model.prepare(img))
                else:
                    row, described = served.model.prepare_described(img)
                    rows.append(row)
                    stats.append(described)
        except HTTPException:
            for rest in opened[index + 1 :]:
                rest.close()
            raise
    return np.stack(rows)


def answers(served: Served, images: Images, preds: list[ModelPrediction]) -> list[Prediction]:
    """The API's predictions of ``images``."""
    return [
        Prediction(
            label=pred.label,
            probability=pred.probability,
            probabilities=pred.probabilities,
            version=served.version,
            filename=name,
        )
        for (name, _), pred in zip(images, preds, strict=True)
    ]
