"""The pieces of bench/serve_deep.py that bench/deep_compare.py shares: the serving venv,
``catdetector serve`` of a bundle, the server's memory (Pss, sampled) and the in-process sweep."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import serve as sb


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    out, todo = [], [pid]
    while todo:
        one = todo.pop()
        out.append(one)
        todo.extend(sb._children(one))
    return out


def _tree_sum_mb(pid: int, proc_file: str, field: str) -> float:
    """Sum of one kB field of /proc/<pid>/<proc_file> over the process tree, in MB."""
    total = 0
    for one in tree(pid):
        try:
            lines = Path(f"/proc/{one}/{proc_file}").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in lines if line.startswith(field + ":"))
    return total / 1024


def peak_rss_mb(pid: int) -> float:
    """Sum over the process tree of each process's peak resident set (VmHWM), in MB."""
    return _tree_sum_mb(pid, "status", "VmHWM")


def pss_mb(pid: int) -> float:
    """Sum over the process tree of each process's proportional set size (Pss), in MB.

    Pss shares each shared page (the libraries every worker maps) among the processes
    mapping it, so the sum counts them once: the memory the server takes from the machine.
    """
    return _tree_sum_mb(pid, "smaps_rollup", "Pss")


class PssSampler:
    """The peak of :func:`pss_mb` sampled every 0.1 s in a thread (the kernel keeps no Pss peak)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, pss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, pss_mb(self.pid))

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        return max(self.peak, pss_mb(self.pid))


def install_serving(venv: Path, source: Path) -> None:
    """A new venv at ``venv`` with ``source``'s ``[serve-deep]`` extra, installed editable
    under ``source``'s own constraints (pip, as the README installs)."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    constraints = ["-c", str(source / "constraints.txt")]
    subprocess.run([*pip, *constraints, "-e", f"{source}[serve-deep]"], check=True, timeout=1800)


def ensure_serve_venv(venv: Path) -> Path:
    """A serving-only venv (``catdetector[serve-deep]``: onnxruntime, no torch); its python.

    Created with pip and the project's constraints when absent. A server in the training
    venv would import torch (skops imports every scikit-learn module, and one of them
    imports torch when it is installed): 3 s and ~400 MB more per worker.
    """
    python = venv / "bin" / "python"
    # uvloop: a venv made before it was a dependency is brought up to date
    modules = "catdetector.model.bundle, onnxruntime, uvicorn_worker, uvloop"
    probe = [str(python), "-c", f"import {modules}"]
    if not (python.exists() and subprocess.run(probe, capture_output=True).returncode == 0):
        print(f"creating the serving venv {venv} (catdetector[serve-deep]) ...")
        install_serving(venv, sb.REPO)
    torch = subprocess.run([str(python), "-c", "import torch"], capture_output=True)
    if torch.returncode == 0:
        print(f"warning: torch is installed in {venv}: the server will import it")
    return python


def start_server(
    python: Path,
    bundle: Path,
    work: Path,
    env: dict[str, str],
    batching: str,
    threads: int,
    workers: int,
) -> tuple[sb.Proc, str]:
    """`catdetector serve --bundle` with ``workers`` workers, batching on or off."""
    port = sb._free_port()
    name = f"serve-{batching}-w{workers}-t{threads}"
    server = sb.Proc(
        [
            str(python.parent / "catdetector"),
            "serve",
            "--bundle",
            str(bundle),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--batching",
            batching,
            "--onnx-threads",
            str(threads),
            "--cache-dir",
            str(work / f"{name}-cache"),
            "--log-level",
            "warning",
        ],
        work / f"{name}.log",
        env,
        work,
    )
    url = f"http://127.0.0.1:{port}"
    server.wait_http(url + "/readyz")
    return server, url


def sb_metrics(url: str) -> dict[str, float]:
    """Batched predict calls and the images in them, from /metrics (both workers)."""
    import httpx

    text = httpx.get(url + "/metrics", trust_env=False).text
    found = {"calls": 0.0, "rows": 0.0}
    for line in text.splitlines():
        if line.startswith("catdetector_batch_rows_count"):
            found["calls"] = float(line.split()[-1])
        elif line.startswith("catdetector_batch_rows_sum"):
            found["rows"] = float(line.split()[-1])
    return found


def inprocess_sweep(bundle: Path, batches: list[int], duration: float) -> list[dict[str, Any]]:
    """In-process throughput for each batch size: 1 process of 1 and 2 onnxruntime threads,
    2 processes of 1, and 1 process running 2 predicts of 1 thread at once (2 lanes)."""
    out = []
    for processes, threads, lanes in ((1, 1, 1), (1, 2, 1), (2, 1, 1), (1, 1, 2)):
        for batch in batches:
            got = sb.run_inproc(
                bundle, processes, duration, batch=batch, threads=threads, lanes=lanes
            )
            print(
                f"  in-process {processes} proc x {lanes} lane(s) x {threads} thread(s), "
                f"batch {batch:2d}: {got['rps']:6.1f} img/s   p50 per call {got['p50_ms']:6.2f} ms"
            )
            out.append(got)
    return out
