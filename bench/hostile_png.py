"""The server's memory under a flood of 1-bit PNG bombs (issue 21: hostile input costs little).

A 6300x6300 1-bit PNG is a 5 KB file under every byte and pixel limit; decoded it is
40 MB, and its RGB copy 159 MB more. The bench starts `catdetector serve --bundle` (a
project trained on the real photos, or ``--bundle DIR``), waits until it is idle, then
sends ``--concurrency`` (default 16) of these PNGs at once, ``--rounds`` times, while a
thread samples the server's Pss and RSS every 0.05 s. It prints the idle figures, the
peaks above idle, the memory after the flood, and the answers (200, 413, 503) and their
time. Target: peak under 600 MB above idle.

    .venv/bin/python bench/hostile_png.py [--bundle DIR] [--decode-memory BYTES]
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import io
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serve as sb

TARGET_MB = 600.0


def one_bit_png(side: int) -> bytes:
    """A black 1-bit PNG of ``side`` x ``side`` pixels."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, format="PNG")
    return out.getvalue()


def memory_mb(pid: int) -> tuple[float, float]:
    """(Pss, RSS) of ``pid`` in MB."""
    pss = rss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
        elif line.startswith("Rss:"):
            rss = int(line.split()[1])
    return pss / 1024, rss / 1024


class Sampler:
    """The peak Pss and RSS of one process, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_pss, self.peak_rss = memory_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            pss, rss = memory_mb(self.pid)
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)

    def stop(self) -> tuple[float, float]:
        """Stop; the peaks (Pss, RSS) in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_pss, self.peak_rss


def flood(url: str, body: bytes, concurrency: int) -> collections.Counter[int]:
    """``concurrency`` requests at once; how many got each status."""
    import httpx

    def one(_: int) -> int:
        with httpx.Client(trust_env=False, timeout=300) as client:
            resp = client.post(
                url + "/v1/predict", content=body, headers={"content-type": "image/png"}
            )
            return resp.status_code

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        return collections.Counter(pool.map(one, range(concurrency)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="serve this bundle (default: train one)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--side", type=int, default=6300)
    parser.add_argument("--decode-memory", help="CATDETECTOR_DECODE_MEMORY for the server")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hostile-png-bench-", dir=args.workdir))
    env = sb.isolated_env(work)
    if args.decode_memory:
        env["CATDETECTOR_DECODE_MEMORY"] = args.decode_memory
    try:
        bundle = args.bundle or sb.train_project(work, env) / "models" / "catdetector"
        port = sb._free_port()
        argv = ["catdetector", "serve", "--bundle", str(bundle), "--port", str(port)]
        argv += ["--no-log", "--log-level", "warning"]
        server = sb.Proc(argv, work / "serve.log", env, work)
        url = f"http://127.0.0.1:{port}"
        try:
            server.wait_http(url + "/readyz")
            body = one_bit_png(args.side)
            print(f"input: {args.side}x{args.side} 1-bit PNG, {len(body)} bytes")
            import httpx

            httpx.post(url + "/v1/predict", content=sb_png(), timeout=60, trust_env=False)
            idle_pss, idle_rss = memory_mb(server.proc.pid)
            print(
                f"idle (after one small prediction): Pss {idle_pss:.0f} MB, RSS {idle_rss:.0f} MB"
            )
            worst = 0.0
            for round_ in range(1, args.rounds + 1):
                sampler = Sampler(server.proc.pid)
                started = time.perf_counter()
                statuses = flood(url, body, args.concurrency)
                seconds = time.perf_counter() - started
                peak_pss, peak_rss = sampler.stop()
                after_pss, after_rss = memory_mb(server.proc.pid)
                worst = max(worst, peak_pss - idle_pss, peak_rss - idle_rss)
                print(
                    f"round {round_}: {args.concurrency} at once in {seconds:.1f} s, answers "
                    f"{dict(sorted(statuses.items()))}; peak above idle: Pss "
                    f"{peak_pss - idle_pss:.0f} MB, RSS {peak_rss - idle_rss:.0f} MB; after: "
                    f"Pss {after_pss - idle_pss:+.0f} MB, RSS {after_rss - idle_rss:+.0f} MB"
                )
            met = "met" if worst < TARGET_MB else "NOT met"
            print(f"target: peak under {TARGET_MB:.0f} MB above idle: {met} ({worst:.0f} MB)")
            return 0 if worst < TARGET_MB else 1
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sb_png() -> bytes:
    """A small valid PNG (warms the decode and predict paths before idle is measured)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (128, 128), (120, 90, 60)).save(out, format="PNG")
    return out.getvalue()


if __name__ == "__main__":
    raise SystemExit(main())
