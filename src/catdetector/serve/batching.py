"""Adaptive batching: requests that arrive together share one predict call.

Each request reads its body and opens its images (checking their headers), then hands
them to its worker's :class:`Batcher` with a ``prepare`` function that decodes them
into model input rows. Up to ``lanes`` batches run at a time, each in a thread of its
own: a batch decodes every request's images there, then predicts all their rows in
one call, so the event loop keeps reading the next requests meanwhile and a decode
never waits for a thread hop of its own. A request whose images fail to decode gets
its own error; the rest of its batch is predicted. While every lane is busy, the
requests that arrive queue up and form the next batches: a lane takes its share of
the queued images (a ``lanes``-th, at most ``max_size``), so that the next lane to free
up finds work instead of idling. A lone request never waits: the batcher waits (at most
``max_wait``) only while other requests are still being read in this worker and no
other lane is busy; a small one alone in an uncontended worker is predicted right on
the event loop, with no thread hop (:meth:`Batcher.predict`). A batch holds only rows
prepared for one model snapshot, so a swap never mixes versions inside a batch, and each
request's predictions come from the model that its response names.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from catdetector.model.bundle import LoadedModel, Prediction
from catdetector.serve.holder import Served

Mode = Literal["auto", "on", "off"]
INLINE_HOLD = 1.0  # seconds without inline predicts once requests overlapped in a worker


@dataclass(frozen=True)
class BatchPolicy:
    """When batching applies, and how big and how patient a batch is."""

    mode: Mode = "auto"
    max_size: int = 8
    max_wait: float = 0.005  # seconds

    def applies_to(self, model: LoadedModel) -> bool:
        """``on``: always; ``off``: never; ``auto``: when the model says batches pay."""
        return self.mode == "on" or (self.mode == "auto" and model.batches_pay)


@dataclass
class _Item:
    served: Served
    size: int  # images
    prepare: Callable[[], np.ndarray] = field(repr=False)  # their rows; runs in the lane
    future: asyncio.Future[list[Prediction]] = field(repr=False)


class Batcher:
    """Groups the rows of concurrent requests of one worker into batched predicts."""

    def __init__(
        self,
        policy: BatchPolicy,
        on_batch: Callable[[int], None] | None = None,
        lanes: int = 1,
        inline_hold: float = INLINE_HOLD,
    ) -> None:
        self.policy = policy
        self.lanes = lanes
        self.inline_hold = inline_hold
        self._on_batch = on_batch
        self._queue: list[_Item] = []
        self._preparing = 0  # requests of this worker between preparing() and submit
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._free: asyncio.Semaphore | None = None  # lanes not running a batch
        self._running: set[asyncio.Task[None]] = set()
        self._alone = 0  # inline predicts, until their watch is over
        self._contended_until = 0.0  # loop time: no inline predict before it
        self._executor = ThreadPoolExecutor(lanes, thread_name_prefix="catdetector-batch")

    @contextlib.contextmanager
    def preparing(self) -> Iterator[None]:
        """Around a request's reading and opening: the batcher may wait for its images."""
        self._preparing += 1
        try:
            yield
        finally:
            self._preparing -= 1
            self._poke()

    def busy(self) -> bool:
        """True while another request of this worker is being read, queued or in a lane."""
        return bool(self._preparing or self._queue or self._running)

    async def predict(
        self,
        served: Served,
        size: int,
        prepare: Callable[[], np.ndarray],
        inline: bool = False,
    ) -> list[Prediction]:
        """Predictions by ``served``'s model for the ``size`` images whose rows ``prepare``
        returns, in a batch with other requests (``prepare``'s exception, if it fails).

        With ``inline`` (a small input, see ``inference.small``) a request alone in an
        uncontended worker is a batch of its own, run right here on the event loop:
        no thread hop there and back, which is most of what a lone request costs beyond
        the model's work. The loop is blocked meanwhile, so a request that arrived then
        waited: the loop turns before the answer send it to a lane. A request that finds
        another one being read, queued, in a lane or inline marks the worker contended for
        ``inline_hold`` seconds, in which every request goes to the lanes (in parallel,
        batched).
        """
        loop = asyncio.get_running_loop()
        if self.busy() or self._alone:
            self._contended_until = loop.time() + self.inline_hold
        elif inline and loop.time() >= self._contended_until:
            self._alone += 1
            try:
                prepared, preds = _work(served.model, [prepare])
                # Before answering: a request that arrived meanwhile is read in the next
                # loop turn and reaches predict in the one after, where it finds ours
                # still _alone: it goes to a lane and marks the worker contended.
                for _ in range(3):
                    await asyncio.sleep(0)
            finally:
                self._alone -= 1
            if isinstance(prepared[0], Exception):
                raise prepared[0]
            if self._on_batch is not None:
                self._on_batch(len(preds))
            return preds
        if self._task is None:
            self._changed = asyncio.Event()
            self._free = asyncio.Semaphore(self.lanes)
            self._task = loop.create_task(self._dispatch(), name="catdetector-batcher")
        item = _Item(served, size, prepare, loop.create_future())
        self._queue.append(item)
        self._poke()
        return await item.future

    def close(self) -> None:
        """Stop the dispatcher and its thread (at shutdown)."""
        if self._task is not None:
            self._task.cancel()
        for task in self._running:
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _poke(self) -> None:
        if self._changed is not None:
            self._changed.set()

    def _rows_ready(self) -> int:
        first = self._queue[0].served
        return sum(i.size for i in self._queue if i.served is first)

    async def _dispatch(self) -> None:
        assert self._changed is not None and self._free is not None
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                self._changed.clear()
                await self._changed.wait()
            await self._free.acquire()  # rows keep queueing while every lane is busy
            deadline = loop.time() + self.policy.max_wait
            # Adaptive: wait for more only while other requests are on their way, and
            # only when no other lane is busy (under load a lane never idles waiting).
            while (
                self._preparing and not self._running and self._rows_ready() < self.policy.max_size
            ):
                left = deadline - loop.time()
                if left <= 0:
                    break
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)
            task = loop.create_task(self._run(loop, self._take()))
            self._running.add(task)
            task.add_done_callback(self._lane_done)

    def _lane_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        assert self._free is not None
        self._free.release()

    def _take(self) -> list[_Item]:
        """The oldest snapshot's items, up to a lane's share of its images (at least one
        item): a lane that took every queued image would leave the next lane idle."""
        first = self._queue[0].served
        share = min(self.policy.max_size, math.ceil(self._rows_ready() / self.lanes))
        batch: list[_Item] = []
        size = 0
        for item in self._queue:
            if item.served is not first:
                continue
            if batch and size + item.size > share:
                break
            batch.append(item)
            size += item.size
        taken = {id(i) for i in batch}
        self._queue = [i for i in self._queue if id(i) not in taken]
        return batch

    async def _run(self, loop: asyncio.AbstractEventLoop, batch: list[_Item]) -> None:
        live = [i for i in batch if not i.future.done()]  # a client may have gone
        if not live:
            return
        model = live[0].served.model
        try:
            prepared, preds = await loop.run_in_executor(
                self._executor, _work, model, [i.prepare for i in live]
            )
        except Exception as exc:  # the model failed: every request of the batch gets it
            for item in live:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        if self._on_batch is not None and preds:
            self._on_batch(len(preds))
        start = 0
        for item, rows in zip(live, prepared, strict=True):
            if isinstance(rows, Exception):
                if not item.future.done():
                    item.future.set_exception(rows)
                continue
            end = start + len(rows)
            if not item.future.done():
                item.future.set_result(preds[start:end])
            start = end


def _work(
    model: LoadedModel, prepares: Sequence[Callable[[], np.ndarray]]
) -> tuple[list[np.ndarray | Exception], list[Prediction]]:
    """In a lane: each request's rows (or why they failed), then one predict of them all."""
    prepared: list[np.ndarray | Exception] = []
    for prepare in prepares:
        try:
            prepared.append(prepare())
        except Exception as exc:  # this request's bad image: its own error, not the batch's
            prepared.append(exc)
    rows = [r for r in prepared if not isinstance(r, Exception)]
    if not rows:
        return prepared, []
    return prepared, model.predict_rows(np.concatenate(rows) if len(rows) > 1 else rows[0])
