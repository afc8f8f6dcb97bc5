"""Continuous load through the load balancer: 8 client threads, every request accounted for."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from tests.nginx import upstreams
from tests.serve.serving import tiny_png


@dataclass(frozen=True)
class Sent:
    """One request and what came of it."""

    request_id: str  # chosen by the client (X-Request-ID)
    phase: int  # the phase when it was sent (see Load.phase)
    status: int  # HTTP status, 0 for a transport error (nginx did not answer)
    upstreams: tuple[str, ...]  # replicas nginx passed it to, in order (X-Upstream)
    version: str | None  # the model version that answered (200 only)
    echoed: str | None  # the X-Request-ID of the answer

    @property
    def answered(self) -> bool:
        """A prediction came back."""
        return self.status == 200

    @property
    def replica(self) -> str | None:
        """The replica that gave the final answer."""
        return self.upstreams[-1] if self.upstreams else None


class Load:
    """``concurrency`` threads posting one image each in a closed loop until :meth:`stop`.

    ``phase`` is set by the test (e.g. 1 just before a replica is killed): each request
    records the phase it was sent in, so its fate can be put against what was happening.
    """

    def __init__(self, url: str, concurrency: int = 8) -> None:
        self.url = url
        self.phase = 0
        self.sent: list[Sent] = []
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"load-{i}", daemon=True)
            for i in range(concurrency)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        image = tiny_png()
        with httpx.Client(base_url=self.url, timeout=60, trust_env=False) as http:
            while not self._stop.is_set():
                rid = uuid.uuid4().hex
                phase = self.phase
                headers = {"content-type": "image/png", "x-request-id": rid}
                try:
                    resp = http.post("/v1/predict", content=image, headers=headers)
                except httpx.TransportError:
                    done = Sent(rid, phase, 0, (), None, None)
                else:
                    ok = resp.status_code == 200
                    done = Sent(
                        rid,
                        phase,
                        resp.status_code,
                        tuple(upstreams(resp.headers.get("x-upstream", ""))),
                        resp.json()["version"] if ok else None,
                        resp.headers.get("x-request-id"),
                    )
                with self._lock:
                    self.sent.append(done)
                    self._lock.notify_all()

    def count(self, match: Callable[[Sent], bool] | None = None) -> int:
        """Requests done so far (those for which ``match(sent)`` is true, when given)."""
        with self._lock:
            if match is None:
                return len(self.sent)
            return sum(1 for s in self.sent if match(s))

    def wait_for(
        self, n: int, match: Callable[[Sent], bool] | None = None, timeout: float = 120
    ) -> None:
        """Block until ``n`` more requests (matching ``match``) are done."""
        start = self.count(match)
        with self._lock:
            ok = self._lock.wait_for(lambda: self.count(match) >= start + n, timeout)
        if not ok:
            raise AssertionError(f"fewer than {n} more requests in {timeout}s: {self.summary()}")

    def summary(self) -> dict[str, int]:
        """Requests by status."""
        out: dict[str, int] = {}
        with self._lock:
            for s in self.sent:
                out[str(s.status)] = out.get(str(s.status), 0) + 1
        return out

    def stop(self) -> list[Sent]:
        """Stop the clients (each finishes its request in progress); every request done."""
        self._stop.set()
        for thread in self._threads:
            thread.join(90)
        return list(self.sent)
