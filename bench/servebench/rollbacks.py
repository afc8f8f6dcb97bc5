"""Rollback timing: from ``catdetector rollback --push`` to the old version answering."""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.servebench.project import _photos, _run


def _hammer(url: str, stop: threading.Event, seen: list[tuple[float, int, str]]) -> None:
    import httpx

    body = _photos()[0].read_bytes()
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as http:
        while not stop.is_set():
            try:
                resp = http.post(
                    "/v1/predict", content=body, headers={"content-type": "image/jpeg"}
                )
                version = resp.json().get("version", "-") if resp.status_code == 200 else "-"
                seen.append((time.perf_counter(), resp.status_code, version))
            except httpx.HTTPError as exc:
                seen.append((time.perf_counter(), 0, repr(exc)))


def _first_at(seen: list[tuple[float, int, str]], version: str, after: float) -> float | None:
    for at, status, got in list(seen):
        if at > after and status == 200 and got == version:
            return at
    return None


def measure_rollbacks(
    url: str, reg: dict[str, Any], env: dict[str, str], rounds: int
) -> dict[str, Any]:
    """promote v2, then time `catdetector rollback` until the server answers v1; repeat."""
    seen: list[tuple[float, int, str]] = []
    stop = threading.Event()
    thread = threading.Thread(target=_hammer, args=(url, stop, seen), daemon=True)
    thread.start()
    from_start, from_exit = [], []
    try:
        for _ in range(rounds):
            _run(
                [
                    "catdetector",
                    "promote",
                    reg["v2"],
                    "--stage",
                    "prod",
                    "--force",
                    "--reason",
                    "bench",
                    "--push",
                ],
                reg["proj"],
                env,
            )
            _wait_seen(seen, reg["v2"], time.perf_counter())
            time.sleep(1.0)
            t0 = time.perf_counter()
            _run(["catdetector", "rollback", "--stage", "prod", "--push"], reg["proj"], env)
            t1 = time.perf_counter()
            at = _wait_seen(seen, reg["v1"], t0)
            from_start.append(at - t0)
            from_exit.append(max(0.0, at - t1))
            time.sleep(1.0)
    finally:
        stop.set()
        thread.join(timeout=30)
    failed = [s for s in seen if s[1] != 200]
    return {
        "rounds": rounds,
        "from_command_start_s": from_start,
        "from_command_exit_s": from_exit,
        "requests": len(seen),
        "failed": len(failed),
        "failures": [f[1:] for f in failed[:5]],
    }


def _wait_seen(seen: list[tuple[float, int, str]], version: str, after: float) -> float:
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        at = _first_at(seen, version, after)
        if at is not None:
            return at
        time.sleep(0.01)
    raise SystemExit(f"the server never answered with {version}")
