"""The ``serve-float32-filed`` contender: the float32 server as it was when issue 27 was filed.

Issue 27's "1.8x today's float32 server" means the server of main just before the issue's
first commit (f2dc712, the int8 backbone): ``FILED_COMMIT``. Its source is exported with
``git archive`` into ``bench/out/filed-src`` and installed (``[serve-deep]``, its own
constraints) into its own venv, as the MLflow venvs are made; the bundle it serves is the
float32 one that commit's own code trains (backbone preprocessing version 1: resize all, then
crop, descriptors of every pixel; bundles of later versions are not readable by it), on the
same photos: ``catdetector init`` and ``dvc repro`` of the training venv with an exported
``src`` first on ``PYTHONPATH``.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import serve as sb
from servebench.deepserver import install_serving

# main just before f2dc712 ("int8 backbone"), the first commit of issue 27 (merged in c622b94)
FILED_COMMIT = "d044c3d8f8affff6b11bb0eeecd37e6544d7606d"


def filed_source(out: Path, name: str = "filed-src") -> Path:
    """``FILED_COMMIT``'s tree, exported once into ``out/name``."""
    src = out / name
    stamp = src / ".commit"
    if stamp.exists() and stamp.read_text().strip() == FILED_COMMIT:
        return src
    shutil.rmtree(src, ignore_errors=True)
    archive = subprocess.run(
        ["git", "-C", str(sb.REPO), "archive", "--format=tar", FILED_COMMIT],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(src, filter="data")
    stamp.write_text(FILED_COMMIT + "\n")
    return src


def ensure_filed_venv(venv: Path, src: Path) -> Path:
    """A serving venv of the filed commit (``[serve-deep]``, its constraints); its python."""
    python = venv / "bin" / "python"
    probe = [
        str(python),
        "-c",
        "import catdetector, onnxruntime; print(catdetector.__file__)",
    ]
    got = subprocess.run(probe, capture_output=True, text=True) if python.exists() else None
    if got is None or got.returncode != 0 or not got.stdout.startswith(str(src)):
        print(f"creating the filed server's venv {venv} ({FILED_COMMIT[:10]}[serve-deep]) ...")
        shutil.rmtree(venv, ignore_errors=True)
        install_serving(venv, src)
    return python


def train_filed(work: Path, env: dict[str, str], ladder: dict[str, object]) -> Path:
    """The float32 bundle that ``FILED_COMMIT``'s code trains on the photos (in ``work``).

    From a second export (``bench/out/filed-train-src``): the venv's editable install leaves
    a ``catdetector.egg-info`` in its ``src``, which would shadow the training venv's
    metadata that ``catdetector init`` reads.
    """
    src = filed_source(sb.OUT, "filed-train-src")
    root = work / "filed"
    root.mkdir(exist_ok=True)
    old = {**env, "PYTHONPATH": str(src / "src")}
    proj = sb.train_project(root, old, **ladder)
    bundle = work / "bundle-float32-filed"
    shutil.copytree(proj / "models" / "catdetector", bundle)
    meta = json.loads((bundle / "model.json").read_text())
    version = meta.get("backbone", {}).get("spec", {}).get("version")
    print(f"filed bundle: backbone preprocessing version {version}, {meta.get('chosen_rung')}")
    return bundle
