"""Benchmark: the memory of a shadow process, by rung, without a server or a registry.

For each bundle folder given, a fresh interpreter does what the shadow process
(``catdetector.serve.shadowproc``) does: its imports (the server's log configuration,
the prediction log, the one inference path), then loads the bundle with ``load_bundle``
and predicts ``--copies`` photos one at a time, as the shadow predicts its copies. It
prints the process's Pss (``/proc/self/smaps_rollup``) after the imports, after the load
and after the copies, and its peak RSS (``VmHWM``). The bundle's environment is not
checked against this one (a measure, not a deployment). Not counted: the shadow's log writer
and its SQLite or PostgreSQL connection (bench "shadow" measures a whole shadow process:
178 MiB with the linear rung).

    .venv/bin/python bench/shadow_memory.py BUNDLE [BUNDLE ...] [--copies 40] [--photos DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The photos beside the checkout (../shared), or where BENCH_PHOTOS says (as bench/serve.py).
PHOTOS = Path(os.environ.get("BENCH_PHOTOS") or REPO.parent / "shared" / "data" / "dogscats-sample")

CHILD = """
import json, logging.config, sys, time
from pathlib import Path

def status(key):
    path = "/proc/self/smaps_rollup" if key == "Pss:" else "/proc/self/status"
    for line in Path(path).read_text().splitlines():
        if line.startswith(key):
            return round(int(line.split()[1]) / 1024)

from catdetector.serve.run import log_config
logging.config.dictConfig(log_config("warning"))
from prometheus_client import CollectorRegistry
from catdetector.core.config import ServeSettings
from catdetector.model.bundle import load_bundle
from catdetector.serve import inference, fetch, watcher
from catdetector.serve.holder import Served
from catdetector.serve.predlog import PredLog

bundle, photos, copies = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
settings = ServeSettings()
PredLog(settings, CollectorRegistry())
out = {"imports_pss_mib": status("Pss:")}
model = load_bundle(bundle, allow_env_mismatch=True, golden_tolerance=settings.golden_tolerance,
                    threads=settings.threads_per_predict())
served = Served(model, "measured", "shadow", None, time.time())
out["loaded_pss_mib"] = status("Pss:")
files = sorted(photos.glob("*/*.jpg"))[:copies]
for photo in files:
    images = [(photo.name, photo.read_bytes())]
    limits = inference.limits_for(settings, served, settings.decode_memory)
    opened = inference.open_all(images, limits)
    inference.predict(served, images, opened, [])
out.update(copies=len(files), pss_mib=status("Pss:"), peak_rss_mib=status("VmHWM:"),
           rung=model.meta.get("chosen_rung"))
print(json.dumps(out))
"""


def measure(bundle: Path, photos: Path, copies: int) -> dict[str, object]:
    """The figures of one bundle, from a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(bundle), str(photos), str(copies)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", type=Path, nargs="+", help="bundle folders (model.json)")
    parser.add_argument("--copies", type=int, default=40, help="photos predicted one by one")
    parser.add_argument("--photos", type=Path, default=PHOTOS, help="folder of <label>/*.jpg")
    args = parser.parse_args()
    for bundle in args.bundles:
        got = measure(bundle, args.photos, args.copies)
        print(
            f"{bundle} ({got['rung']}): Pss {got['imports_pss_mib']} MiB after the imports, "
            f"{got['loaded_pss_mib']} MiB loaded, {got['pss_mib']} MiB after {got['copies']} "
            f"copies; peak RSS {got['peak_rss_mib']} MiB"
        )


if __name__ == "__main__":
    main()
