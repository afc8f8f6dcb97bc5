"""A worker's budget of decoded-image memory, shared by the requests decoding at once.

Each request reserves what its images become when decoded (mode-aware, see
:func:`catdetector.features.images.decoded_bytes`) before it decodes them, and
gives it back when it has its answer. A request that does not fit waits up to
``wait`` seconds for others to finish, then gets 503 with ``Retry-After``. One
image larger than the whole budget can never be decoded: 413 at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import math
from collections.abc import AsyncIterator

from fastapi import HTTPException

RETRY_AFTER_SECONDS = 1
TRIM_ABOVE = 50_000_000  # after decodes this large, once none is running, trim the heap


class DecodeBudget:
    """Bytes of decoded images that may be held at once (one per event loop: one per worker)."""

    def __init__(self, total: int, wait: float) -> None:
        self.total = total
        self.wait = wait
        self.used = 0
        self._cond: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    @contextlib.asynccontextmanager
    async def hold(self, cost: int) -> AsyncIterator[None]:
        """Reserve ``cost`` bytes for the body of the ``async with`` (413, or 503 when busy)."""
        if cost > self.total:
            raise HTTPException(
                413,
                f"decoding needs {_mb(cost)} MB, over the server's decode budget of "
                f"{_mb(self.total)} MB",
            )
        cond = self._condition()
        async with cond:
            try:
                if self.used + cost > self.total:
                    await asyncio.wait_for(
                        cond.wait_for(lambda: self.used + cost <= self.total), self.wait
                    )
            except TimeoutError as exc:
                raise HTTPException(
                    503,
                    f"busy decoding other images ({_mb(self.used)} of {_mb(self.total)} MB "
                    f"in use for {self.wait:g} s): retry later",
                    headers={"retry-after": str(RETRY_AFTER_SECONDS)},
                ) from exc
            self.used += cost
        try:
            yield
        finally:
            async with cond:
                self.used -= cost
                idle = self.used == 0
                cond.notify_all()
            if idle and cost >= TRIM_ABOVE:
                await asyncio.to_thread(trim_heap)


def trim_heap() -> None:
    """Give the heap's free memory back to the system (glibc's ``malloc_trim``).

    Pillow frees a decoded image's blocks, but glibc keeps them in its arenas: without
    this, a burst of large decodes left the worker hundreds of MB bigger for good.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(name).malloc_trim(0)


def _mb(size: int) -> int:
    return math.ceil(size / 1_000_000)
