"""Benchmark: `assess` on a generated repository of 10,000 files.

Prints absolute times and the ratio against a reference measured in the same
run on the same tree: a plain ``os.walk`` that opens and reads every file in
full (what any tool that looks at every file must at least do). The budget is
2 s for 10,000 files; the exit status is 1 when the budget is missed.

    /work/venv/bin/python bench/assess.py [--files 10000] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from catdetector.assess import assess_repository

BUDGET_S = 2.0

PY = """\
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from features import featurize

SEED = {n}


def step_{n}(df: pd.DataFrame) -> pd.DataFrame:
    \"\"\"Module {n} of a large code base.\"\"\"
    rng = np.random.default_rng(SEED)
    x = featurize(df)
    return x.assign(noise=rng.normal(size=len(x)))
"""

ROOT_FILES = {
    "dvc.yaml": "stages:\n  train:\n    cmd: python src/train.py\n    deps: [data/raw]\n"
    "    outs: [models/model.pkl]\n",
    "params.yaml": "train:\n  seed: 0\n",
    "data/raw.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  path: raw\n",
    "requirements.txt": "numpy==1.26.4\npandas==2.2.2\nscikit-learn==1.5.0\n",
    "src/train.py": "from sklearn.linear_model import LogisticRegression\n"
    "model = LogisticRegression(random_state=0).fit(X, y)\n",
    "README.md": "# generated\n",
}


def generate(root: Path, n_files: int, seed: int = 0) -> int:
    """Write a repository of ``n_files`` files: code, configs, docs, data, images, notebooks."""
    rng = random.Random(seed)
    for rel, text in ROOT_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    written = len(ROOT_FILES)
    kinds = ["py"] * 40 + ["csv"] * 20 + ["json"] * 10 + ["md"] * 10 + ["png"] * 15 + ["yaml"] * 4
    kinds += ["ipynb"]
    while written < n_files:
        kind = rng.choice(kinds)
        depth = rng.randint(1, 4)
        top = "data/raw" if kind in ("csv", "png") else rng.choice(["src", "lib", "docs", "conf"])
        parts = [top] + [f"d{rng.randint(0, 9)}" for _ in range(depth)]
        folder = root.joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"f{written}.{kind}"
        if kind == "py":
            path.write_text(PY.format(n=written) * rng.randint(1, 4))
        elif kind == "csv":
            path.write_text("a,b,c\n" + "".join(f"{i},{i * 2},{i % 7}\n" for i in range(50)))
        elif kind == "json":
            path.write_text(json.dumps({"k": list(range(rng.randint(10, 200)))}))
        elif kind == "md":
            path.write_text("# Notes\n\n" + "Some text about the model.\n" * rng.randint(5, 50))
        elif kind == "png":
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(rng.randint(200, 4000)))
        elif kind == "yaml":
            path.write_text("key: value\nlist:\n" + "".join(f"  - {i}\n" for i in range(30)))
        else:
            cells = [{"cell_type": "code", "source": ["x = 1\n"], "outputs": []}] * 5
            path.write_text(json.dumps({"cells": cells, "nbformat": 4}))
        written += 1
    return written


def reference(root: Path) -> int:
    """os.walk and read every file in full; returns bytes read."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as fh:
                total += len(fh.read())
    return total


def timed(fn: Callable[..., object], *args: object) -> float:
    """Wall time of one call."""
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="generate here and keep it")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="assess-bench-")) if args.keep is None else args.keep
    root = tmp / "repo"
    try:
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        n = generate(root, args.files)
        reference(root)  # warm the page cache for both contenders
        refs: list[float] = []
        runs: list[float] = []
        for _ in range(args.repeat):
            refs.append(timed(reference, root))
            runs.append(timed(assess_repository, root))
        report = assess_repository(root)
        ref, run = min(refs), min(runs)
        print(f"files generated             {n}")
        print(f"files scanned by assess     {report.files_scanned}")
        print(f"level / findings            {report.level} / {len(report.findings)}")
        ref_med, run_med = statistics.median(refs), statistics.median(runs)
        print(f"reference (walk+read all)   best {ref:.3f} s  median {ref_med:.3f} s")
        print(f"assess                      best {run:.3f} s  median {run_med:.3f} s")
        ratios = f"{run / ref:.2f}x (best)  {run_med / ref_med:.2f}x (median)"
        print(f"ratio assess / reference    {ratios}")
        print(f"files per second (assess)   {report.files_scanned / run:,.0f}")
        ok = run < BUDGET_S * args.files / 10_000
        print(f"budget {BUDGET_S:.1f} s per 10,000 files: {'met' if ok else 'MISSED'}")
        return 0 if ok else 1
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
