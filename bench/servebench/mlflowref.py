"""The MLflow reference: its own venv, a pyfunc of the same model, ``mlflow models serve``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.servebench import config
from bench.servebench.project import Proc, _free_port

MLFLOW_PINS = (
    "numpy",
    "pillow",
    "scikit-image",
    "scikit-learn",
    "scipy",
    "skops",
    "pydantic",
    "pydantic-settings",
    "pyyaml",
)


PYFUNC = '''
"""An MLflow pyfunc doing what `catdetector serve` does: decode, features, model."""
import base64

import mlflow.pyfunc
import pandas as pd


class CatDetectorPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        from catdetector.model.bundle import load_bundle

        self.model = load_bundle(context.artifacts["bundle"])

    def predict(self, context, model_input, params=None):
        rows = []
        for b64 in model_input["image"]:
            pred = self.model.predict_bytes([base64.b64decode(b64)])[0]
            rows.append({"label": pred.label, "probability": pred.probability})
        return pd.DataFrame(rows)
'''

SAVE = """
import sys
sys.path.insert(0, sys.argv[1])
import mlflow.pyfunc
from pyfunc_catdetector import CatDetectorPyfunc
mlflow.pyfunc.save_model(
    sys.argv[2],
    python_model=CatDetectorPyfunc(),
    artifacts={"bundle": sys.argv[3]},
    code_paths=[sys.argv[1] + "/pyfunc_catdetector.py", sys.argv[4]],
)
"""


def ensure_mlflow(
    venv: Path, extra: tuple[str, ...] = (), modules: tuple[str, ...] = ()
) -> tuple[Path | None, str]:
    """The mlflow venv's python (created and installed when absent), or None and why.

    ``extra`` packages are pinned to this venv's versions too; ``modules`` must import.
    """
    python = venv / "bin" / "python"
    imports = ", ".join(("mlflow", "skops", "skimage", "pydantic_settings", *modules))
    probe = [str(python), "-c", f"import {imports}"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python, "present"
    from importlib import metadata

    pins = [f"{name}=={metadata.version(name)}" for name in (*MLFLOW_PINS, *extra)]
    try:
        if not python.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True
            )
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "mlflow", *pins],
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"could not create the venv: {exc}"
    if proc.returncode != 0:
        return None, f"pip install mlflow failed: {proc.stderr.strip()[-500:]}"
    return python, "installed"


def start_mlflow(
    python: Path, bundle: Path, work: Path, env: dict[str, str], workers: int
) -> tuple[Proc, str]:
    """`mlflow models serve` of the pyfunc, on loopback."""
    code = work / "mlflow-code"
    code.mkdir(exist_ok=True)
    (code / "pyfunc_catdetector.py").write_text(PYFUNC)
    model_dir = work / "mlflow-model"
    shutil.rmtree(model_dir, ignore_errors=True)
    mlenv = {
        **env,
        "MLFLOW_TRACKING_URI": f"file://{work / 'mlruns'}",
        "PATH": f"{python.parent}{os.pathsep}{env['PATH']}",  # its own uvicorn
    }
    subprocess.run(
        [
            str(python),
            "-c",
            SAVE,
            str(code),
            str(model_dir),
            str(bundle),
            str(config.REPO / "src" / "catdetector"),
        ],
        check=True,
        capture_output=True,
        env=mlenv,
        cwd=work,
    )
    port = _free_port()
    mlflow = python.parent / "mlflow"
    server = Proc(
        [
            str(mlflow),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        work / f"mlflow-{workers}.log",
        mlenv,
        work,
    )
    url = f"http://127.0.0.1:{port}"
    server.wait_http(url + "/ping")
    return server, url
