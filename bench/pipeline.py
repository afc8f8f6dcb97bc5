"""Benchmark: the whole pipeline (`dvc repro`) and a no-op `dvc repro`, on real projects.

Builds its projects in a temporary folder with the real CLI (`catdetector init`,
`catdetector sample data/raw` or a copy of the real photos, `dvc add data/raw`,
`git commit`), with an isolated HOME, git identity and DVC site cache, then:

* floor: read and decode every raw image once with Pillow, in this process
  (the I/O + decode that any pipeline over these images must pay);
* `dvc repro` on the fresh project (cold: no stage has run yet), with its wall
  time, the peak RSS of its largest process (``wait4`` rusage, stdlib) and, when
  psutil is importable, the peak of the RSS summed over its process tree;
* no-op `dvc repro` ``--repeat`` times (median), against `dvc status` and
  `git status` in the same repository, alternated with it;
* where the time goes, per stage: seen inside `dvc repro` (timestamps of its
  "Running stage" lines), `catdetector stage X` run directly, and the stage
  function alone, called in-process in a fresh interpreter (no import, no CLI).

Targets (2-core machine): pipeline on the 400 real photos under 60 s; no-op
`dvc repro` under 3 s. The exit status is 1 when a target is missed.

    /work/venv/bin/python bench/pipeline.py [--repeat 5] [--real DIR] [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

BIN = Path(sys.executable).parent
REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dogscats-sample"
LABELS = ("cat", "other")
STAGES = ("prepare", "train", "evaluate")
TARGET_PIPELINE_S = 60.0  # cold `dvc repro` on the real photos
TARGET_NOOP_S = 3.0  # median no-op `dvc repro`
MB = 1024 * 1024

IN_PROCESS = """\
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from catdetector.training import pipeline
out = {"import": time.perf_counter() - t0}
for name in ("prepare", "train", "evaluate"):
    t = time.perf_counter()
    getattr(pipeline, name)(Path.cwd())
    out[name] = time.perf_counter() - t
out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


@dataclass
class Run:
    """One measured subprocess."""

    argv: list[str]
    seconds: float
    returncode: int
    maxrss_mb: float  # largest single process of the tree (wait4 rusage)
    tree_peak_mb: float | None  # peak of the RSS summed over the tree (psutil sampling)
    lines: list[tuple[float, str]] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "\n".join(text for _, text in self.lines)


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(argv: list[str], cwd: Path, env: dict[str, str], *, sample: bool = False) -> Run:
    """Run ``argv``; wall time, output lines with arrival times, peak memory of its tree."""
    exe = str(BIN / argv[0]) if (BIN / argv[0]).exists() else argv[0]
    peak = [0]
    stop = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [exe, *argv[1:]],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    sampler = None
    if sample:
        try:
            import psutil  # noqa: F401  (DVC depends on it; optional here)
        except ImportError:
            sample = False
    if sample:

        def poll() -> None:
            while not stop.wait(0.05):
                peak[0] = max(peak[0], _tree_rss(proc.pid))

        sampler = threading.Thread(target=poll, daemon=True)
        sampler.start()
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append((time.perf_counter() - start, line.rstrip("\n")))
    stop.set()
    if sampler is not None:
        sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)  # rusage of the child and its reaped descendants
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    return Run(
        argv=argv,
        seconds=seconds,
        returncode=proc.returncode,
        maxrss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        tree_peak_mb=peak[0] / MB if sample else None,
        lines=lines,
    )


def check(run: Run) -> Run:
    """Fail loudly when a setup or measured command did not succeed."""
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(run.argv)} exited {run.returncode}:\n{run.output}")
    return run


def isolated_env(tmp: Path) -> dict[str, str]:
    """Environment of every subprocess: own HOME, git identity, DVC site cache; our venv first."""
    home = tmp / "home"
    home.mkdir()
    gitconfig = tmp / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = catdetector bench\n\temail = bench@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CATDETECTOR_", "DVC_", "GIT_", "XDG_", "PYTHON"))
    }
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(tmp / "dvc-site-cache"),
        PYTHONUNBUFFERED="1",  # stage lines of `dvc repro` arrive when printed
        PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
    )
    return env


def build_project(tmp: Path, name: str, source: str, env: dict[str, str]) -> tuple[Path, dict]:
    """init + data + dvc add + commit, with the real CLI; setup times."""
    root = tmp / name
    setup: dict[str, float] = {}
    setup["init"] = check(measure(["catdetector", "init", str(root)], tmp, env)).seconds
    start = time.perf_counter()
    if source == "synthetic":
        check(measure(["catdetector", "sample", "data/raw"], root, env))
    else:
        for label in LABELS:
            shutil.copytree(Path(source) / label, root / "data" / "raw" / label)
    setup["data"] = time.perf_counter() - start
    setup["dvc add"] = check(measure(["dvc", "add", "-q", "data/raw"], root, env)).seconds
    check(measure(["git", "add", "data/raw.dvc", "data/.gitignore"], root, env))
    check(measure(["git", "commit", "-qm", "data"], root, env))
    return root, setup


def raw_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "data" / "raw").rglob("*") if p.is_file())


def floor(files: list[Path], draft_size: int | None) -> float:
    """Read every file and decode it fully with Pillow (optionally with the JPEG draft)."""
    start = time.perf_counter()
    for path in files:
        with Image.open(io.BytesIO(path.read_bytes())) as img:
            if draft_size and img.format == "JPEG":
                img.draft("RGB", (draft_size, draft_size))
            img.load()
    return time.perf_counter() - start


STAGE_LINE = re.compile(r"Running stage '([^']+)'")


def stage_spans(run: Run) -> dict[str, float]:
    """Seconds from each "Running stage 'X'" line to the next one (or to the end)."""
    marks = [(t, m.group(1)) for t, text in run.lines if (m := STAGE_LINE.search(text))]
    spans = {}
    for i, (t, stage) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else run.seconds
        spans[stage] = end - t
    if marks:
        spans["(before first stage)"] = marks[0][0]
    return spans


def bench_project(
    tmp: Path, name: str, source: str, env: dict[str, str], repeat: int
) -> dict[str, Any]:
    root, setup = build_project(tmp, name, source, env)
    files = raw_files(root)
    size = 64  # params.yaml default image.size; prepare drafts JPEGs to 2x that
    floor(files, None)  # warm the page cache (the copy or sample already did, mostly)
    floor_full = min(floor(files, None) for _ in range(3))
    floor_draft = min(floor(files, size * 2) for _ in range(3))

    cold = check(measure(["dvc", "repro"], root, env, sample=True))
    if "Running stage 'evaluate'" not in cold.output:
        raise SystemExit(f"cold `dvc repro` did not run the pipeline:\n{cold.output}")

    noop: list[float] = []
    status: list[float] = []
    gitst: list[float] = []
    noop_rss = 0.0
    for _ in range(repeat):
        run = check(measure(["dvc", "repro"], root, env))
        if "Running stage" in run.output:
            raise SystemExit(f"the no-op `dvc repro` ran a stage:\n{run.output}")
        noop.append(run.seconds)
        noop_rss = max(noop_rss, run.maxrss_mb)
        st = check(measure(["dvc", "status"], root, env))
        if "up to date" not in st.output:
            raise SystemExit(f"`dvc status` after repro is not clean:\n{st.output}")
        status.append(st.seconds)
        gitst.append(check(measure(["git", "status", "--porcelain"], root, env)).seconds)

    # Where the time goes: each stage's command directly, then the bare functions.
    direct = {s: check(measure(["catdetector", "stage", s], root, env)) for s in STAGES}
    inproc_run = check(measure([sys.executable, "-c", IN_PROCESS], root, env))
    inproc = json.loads(inproc_run.lines[-1][1])
    direct_total = sum(r.seconds for r in direct.values())

    return {
        "name": name,
        "source": source,
        "images": len(files),
        "raw_mb": sum(p.stat().st_size for p in files) / MB,
        "setup_seconds": setup,
        "floor_full_decode_s": floor_full,
        "floor_draft_decode_s": floor_draft,
        "repro_cold_s": cold.seconds,
        "repro_cold_maxrss_mb": cold.maxrss_mb,
        "repro_cold_tree_peak_mb": cold.tree_peak_mb,
        "repro_stage_spans_s": stage_spans(cold),
        "stage_direct_s": {s: r.seconds for s, r in direct.items()},
        "stage_direct_maxrss_mb": {s: r.maxrss_mb for s, r in direct.items()},
        "stage_direct_total_s": direct_total,
        "stage_inprocess_s": {s: inproc[s] for s in STAGES},
        "inprocess_import_s": inproc["import"],
        "inprocess_total_s": sum(inproc[s] for s in STAGES),
        "inprocess_maxrss_mb": inproc["maxrss_mb"],
        "noop_repro_s": noop,
        "noop_repro_median_s": statistics.median(noop),
        "noop_repro_maxrss_mb": noop_rss,
        "dvc_status_median_s": statistics.median(status),
        "git_status_median_s": statistics.median(gitst),
    }


def render(result: dict[str, Any]) -> list[str]:
    r = result
    fl = r["floor_full_decode_s"]
    cold = r["repro_cold_s"]
    tree = r["repro_cold_tree_peak_mb"]
    tree_txt = f", tree sum {tree:.0f} MB" if tree is not None else ""
    out = [
        f"== {r['name']}: {r['images']} images, {r['raw_mb']:.1f} MB ({r['source']})",
        "   setup (not timed against targets): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in r["setup_seconds"].items()),
        f"   {'':40s}{'seconds':>9s}{'x floor':>9s}",
        f"   {'floor: read + full Pillow decode':40s}{fl:9.2f}{1:9.2f}",
        f"   {'floor: same, JPEG draft as prepare':40s}{r['floor_draft_decode_s']:9.2f}"
        f"{r['floor_draft_decode_s'] / fl:9.2f}",
        f"   {'stage functions in-process (sum)':40s}{r['inprocess_total_s']:9.2f}"
        f"{r['inprocess_total_s'] / fl:9.2f}",
        f"   {'`catdetector stage X` x3 (sum)':40s}{r['stage_direct_total_s']:9.2f}"
        f"{r['stage_direct_total_s'] / fl:9.2f}",
        f"   {'`dvc repro` (cold)':40s}{cold:9.2f}{cold / fl:9.2f}",
        f"   {'import of catdetector.training.pipeline (1 of 3)':40s}{r['inprocess_import_s']:9.2f}"
        f"{r['inprocess_import_s'] / fl:9.2f}",
        f"   DVC's share: repro / direct stages = {cold / r['stage_direct_total_s']:.2f}x "
        f"({cold - r['stage_direct_total_s']:+.2f} s); start-up and imports: direct / "
        f"in-process = {r['stage_direct_total_s'] / r['inprocess_total_s']:.2f}x",
        f"   peak memory of cold `dvc repro`: largest process {r['repro_cold_maxrss_mb']:.0f} MB"
        f"{tree_txt}; no-op repro {r['noop_repro_maxrss_mb']:.0f} MB",
        f"   {'per stage':14s}{'in repro s':>11s}{'direct s':>10s}{'in-proc s':>11s}"
        f"{'direct RSS MB':>15s}",
    ]
    spans = r["repro_stage_spans_s"]
    for s in STAGES:
        out.append(
            f"   {s:14s}{spans.get(s, float('nan')):11.2f}{r['stage_direct_s'][s]:10.2f}"
            f"{r['stage_inprocess_s'][s]:11.2f}{r['stage_direct_maxrss_mb'][s]:15.0f}"
        )
    if "(before first stage)" in spans:
        out.append(f"   {'(DVC before 1st stage)':14s}{spans['(before first stage)']:11.2f}")
    noop = r["noop_repro_median_s"]
    out += [
        f"   no-op `dvc repro` median of {len(r['noop_repro_s'])}: {noop:.3f} s "
        f"(runs {', '.join(f'{x:.2f}' for x in r['noop_repro_s'])}); "
        f"x `dvc status` {noop / r['dvc_status_median_s']:.2f} "
        f"({r['dvc_status_median_s']:.3f} s), x `git status` "
        f"{noop / r['git_status_median_s']:.0f} ({r['git_status_median_s']:.3f} s)",
    ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="no-op repro runs (median)")
    parser.add_argument("--real", type=Path, default=REAL_DATA, help="folder with cat/ other/")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic sample")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--keep", type=Path, default=None, help="build the projects here, keep")
    args = parser.parse_args()

    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    tmp = Path(tempfile.mkdtemp(prefix="pipeline-bench-")) if args.keep is None else args.keep
    tmp.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_start": os.getloadavg(),
        },
        "projects": [],
        "skipped": [],
    }
    try:
        env = isolated_env(tmp)
        jobs = []
        if not args.no_synthetic:
            jobs.append(("synthetic", "synthetic"))
        if all((args.real / label).is_dir() for label in LABELS):
            jobs.append(("real", str(args.real.resolve())))
        else:
            msg = f"real photos: {args.real}/{{cat,other}} not found, skipped"
            report["skipped"].append(msg)
            say(msg)
        for name, source in jobs:
            say(f"... benchmarking {name}")
            result = bench_project(tmp, name, source, env, args.repeat)
            report["projects"].append(result)
        report["machine"]["loadavg_end"] = os.getloadavg()
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)

    targets = []
    for r in report["projects"]:
        if r["name"] == "real":
            targets.append(
                (
                    "whole pipeline, real photos (cold dvc repro)",
                    r["repro_cold_s"],
                    TARGET_PIPELINE_S,
                )
            )
        targets.append((f"no-op dvc repro, {r['name']}", r["noop_repro_median_s"], TARGET_NOOP_S))
    report["targets"] = [
        {"what": w, "seconds": s, "target_s": t, "ok": s < t} for w, s, t in targets
    ]
    ok = all(t["ok"] for t in report["targets"])  # a skipped project is not a miss
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        m = report["machine"]
        print(
            f"machine: {m['cpus']} CPUs, Python {m['python']}, load average "
            f"{m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end"
        )
        for r in report["projects"]:
            print("\n".join(render(r)))
        print("== targets")
        for t in report["targets"]:
            verdict = "PASS" if t["ok"] else "MISS"
            print(f"   {t['what']:46s}{t['seconds']:8.2f} s  < {t['target_s']:.0f} s  {verdict}")
        for msg in report["skipped"]:
            print(f"   SKIP {msg}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
