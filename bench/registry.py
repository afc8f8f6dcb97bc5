"""Benchmark: `catdetector register | promote | rollback | show` on a registry of 50 versions.

Builds a trained project in a temporary folder with the real CLI and an isolated HOME
(`catdetector init`, `sample` (200 synthetic images), `dvc add`, `dvc repro`,
`dvc push`), then gives it
``--versions`` registered versions (default 50: empty commits, each tagged as
`catdetector register` tags) and a few stage assignments. Then, ``--repeat`` rounds
(default 5), each timing as a subprocess, wall clock:

* **reference**: `gto show` (GTO's own read of the same registry);
* `catdetector show`;
* `catdetector register` (on a fresh empty commit, not pushed);
* `catdetector promote <new version> --stage prod` (gate included);
* `catdetector rollback --stage prod`.

Before a promote or rollback the bench waits, untimed, until the newest stage tag is
more than a second old: the registry makes every assignment in a later second than the
previous one (tags have one-second resolution), a wait that a person typing the
commands never sees. Prints medians and best, the ratio to `gto show`, the load
average, and whether each command is under the target (0.5 s); exit status 1 if not.

    .venv/bin/python bench/registry.py [--versions 50] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline import BIN, isolated_env  # bench/pipeline.py, beside this script

TARGET_S = 0.5
COMMANDS = ("show", "register", "promote", "rollback")


def sh(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run a command, fail loudly, return its wall time."""
    exe = str(BIN / argv[0]) if (BIN / argv[0]).exists() else argv[0]
    start = time.perf_counter()
    proc = subprocess.run([exe, *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return seconds


def build(tmp: Path, versions: int, env: dict[str, str]) -> Path:
    """A trained, pushed project with ``versions`` registered versions and 3 assignments."""
    root = tmp / "proj"
    sh(["catdetector", "init", str(root)], tmp, env)
    sh(["catdetector", "sample", "data/raw"], root, env)
    sh(["dvc", "add", "-q", "data/raw"], root, env)
    sh(["git", "add", "-A"], root, env)
    sh(["git", "commit", "-qm", "data"], root, env)
    sh(["dvc", "repro", "-q"], root, env)
    sh(["git", "add", "-A"], root, env)
    sh(["git", "commit", "-qm", "train"], root, env)
    sh(["dvc", "push", "-q"], root, env)
    for i in range(versions):
        sh(["git", "commit", "-q", "--allow-empty", "-m", f"version {i}"], root, env)
        name = f"catdetector@v0.{i + 1}.0"
        message = f"Registering artifact catdetector version v0.{i + 1}.0"
        sh(["git", "tag", "-a", name, "-m", message], root, env)
    for n, i in enumerate((versions - 2, versions - 1, versions), 1):
        sh(["git", "tag", "-a", f"catdetector#prod#{n}", f"catdetector@v0.{i}.0^{{}}",
            "-m", f"catdetector promote v0.{i}.0 to prod"], root, env)  # fmt: skip
        time.sleep(1.05)
    return root


def fresh_second() -> None:
    """Let the newest stage tag's second pass (see the module docstring)."""
    time.sleep(1.05)


def round_(root: Path, env: dict[str, str]) -> dict[str, float]:
    """One timing of every command, gto show first."""
    times = {"gto show": sh(["gto", "show"], root, env)}
    times["show"] = sh(["catdetector", "show"], root, env)
    sh(["git", "commit", "-q", "--allow-empty", "-m", "another version"], root, env)
    times["register"] = sh(["catdetector", "register"], root, env)
    version = json.loads(subprocess.run(
        [str(BIN / "catdetector"), "show", "--json"], cwd=root, env=env,
        capture_output=True, text=True, check=True,
    ).stdout)["latest"]  # fmt: skip
    fresh_second()
    times["promote"] = sh(["catdetector", "promote", version, "--stage", "prod"], root, env)
    fresh_second()
    times["rollback"] = sh(["catdetector", "rollback", "--stage", "prod"], root, env)
    fresh_second()
    return times


def main() -> int:
    """Build, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="catdetector-bench-registry-") as name:
        tmp = Path(name)
        env = isolated_env(tmp)
        root = build(tmp, args.versions, env)
        rounds = [round_(root, env) for _ in range(args.repeat)]
    load = Path("/proc/loadavg").read_text().split()[:3] if os.path.exists("/proc/loadavg") else []
    ref = statistics.median(r["gto show"] for r in rounds)
    report = {
        "versions": args.versions,
        "repeat": args.repeat,
        "loadavg": load,
        "gto show median s": round(ref, 3),
        "commands": {
            cmd: {
                "median_s": round(statistics.median(r[cmd] for r in rounds), 3),
                "best_s": round(min(r[cmd] for r in rounds), 3),
                "ratio_to_gto_show": round(statistics.median(r[cmd] for r in rounds) / ref, 2),
                "under_target": statistics.median(r[cmd] for r in rounds) < TARGET_S,
            }
            for cmd in COMMANDS
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"registry of {args.versions} versions, {args.repeat} rounds, load {' '.join(load)}")
        print(f"reference `gto show`: median {ref:.3f} s")
        for cmd, row in report["commands"].items():
            print(
                f"  catdetector {cmd:9s} median {row['median_s']:.3f} s  best {row['best_s']:.3f} s"
                f"  {row['ratio_to_gto_show']:.2f}x gto show"
                f"  {'ok' if row['under_target'] else 'OVER'} (< {TARGET_S} s)"
            )
    return 0 if all(r["under_target"] for r in report["commands"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
