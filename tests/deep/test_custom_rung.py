"""The custom rung: the team's own model (a PyTorch CNN, exported to ONNX) on the same split
as every rung, chosen by the tolerance rule, served by a server that has no torch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.serve.serving import Server, clean_env
from tests.support import cli, git, read_json, run

CNN = '''\
"""A small CNN trained on catdetector's train list, exported to ONNX."""
import csv
import sys

import numpy as np
import torch
from PIL import Image

train_csv, output, labels = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def load(path):
    img = Image.open(path).convert("RGB").resize((64, 64), Image.BILINEAR)
    x = (np.asarray(img, np.float32) / 255.0 - MEAN) / STD
    return x.transpose(2, 0, 1)


with open(train_csv, newline="") as f:
    rows = list(csv.DictReader(f))
x = torch.tensor(np.stack([load(r["path"]) for r in rows]))
y = torch.tensor([labels.index(r["label"]) for r in rows])
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, len(labels)),
)
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
torch.set_num_threads(1)
for epoch in range(15):
    order = torch.randperm(len(x))
    for start in range(0, len(x), 32):
        idx = order[start:start + 32]
        batch = x[idx]
        flip = torch.rand(len(idx)) < 0.5
        batch[flip] = batch[flip].flip(3)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(batch), y[idx])
        loss.backward()
        opt.step()
net.eval()
torch.onnx.export(
    net, (torch.zeros(1, 3, 64, 64),), output, dynamo=False, opset_version=17,
    input_names=["image"], output_names=["logits"],
    dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
)
'''

# A sitecustomize that makes torch unimportable: the server's environment has no torch.
NO_TORCH = '''\
import sys


class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"{name} is not installed here (blocked by the test)")
        return None


sys.meta_path.insert(0, _NoTorch())
'''

CUSTOM = {
    "command": f"{sys.executable} train_cnn.py {{train}} {{output}} {{labels}}",
    "input": {
        "size": 64,
        "channels": "RGB",
        "scale": 255.0,
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
    },
    "output": "logits",
}


def _project(root: Path, real_data: Path) -> Path:
    cli("init", str(root), cwd=root.parent)
    for label in ("cat", "other"):
        (root / "data/raw" / label).mkdir(parents=True)
        for src in sorted((real_data / label).iterdir()):
            (root / "data/raw" / label / src.name).write_bytes(src.read_bytes())
    (root / "train_cnn.py").write_text(CNN)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["ladder"]["rungs"] = ["dummy", "heuristic", "custom"]
    params["ladder"]["custom"] = CUSTOM
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["dvc", "add", "-q", "data/raw"], root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "data and the team's CNN as a custom rung", cwd=root)
    return root


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.timeout(2400)  # 400 photos through prepare, a CNN's training, a server
def test_a_pytorch_cnn_climbs_the_ladder_and_is_served_without_torch(
    deep_extra: None, real_data: Path, tmp_path: Path
) -> None:
    root = _project(tmp_path / "proj", real_data)
    proc = run(["dvc", "repro"], root, timeout=1500)
    assert "custom" in proc.stdout
    table = read_json(root / "metrics/ladder.json")
    assert set(table["rungs"]) == {"dummy", "heuristic", "custom"}
    test_acc = read_json(root / "metrics/test.json")["ladder_test_accuracy"]
    assert 0 <= test_acc["custom"] <= 1
    costs = {c["rung"]: c for c in read_json(root / "reports/costs.json")}
    onnx_file = root / "models/catdetector/custom.onnx"
    assert costs["custom"]["fit_seconds"] > 0 and costs["custom"]["install_bytes"] > 0
    val = {r: v["val_accuracy"] for r, v in table["rungs"].items()}
    best = max(val.values())
    ladder_order = ["dummy", "heuristic", "custom"]  # simplest first
    rule = next(r for r in ladder_order if val[r] >= best - table["tolerance"] - 1e-12)
    assert table["chosen"] == rule
    assert val["custom"] > val["dummy"] + table["tolerance"], val  # the CNN learned something
    if rule != "custom":
        pytest.skip(f"the CNN did not win on this run ({val}): nothing to serve")
    assert costs["custom"]["size_bytes"] == onnx_file.stat().st_size
    meta = read_json(root / "models/catdetector/model.json")
    assert meta["chosen_rung"] == "custom" and "model.skops" not in meta["files"]
    assert meta["custom"]["spec"]["size"] == 64 and meta["golden"]
    assert "onnxruntime" in meta["environment"]["packages"]

    # the server's environment has no torch
    block = tmp_path / "notorch"
    block.mkdir()
    (block / "sitecustomize.py").write_text(NO_TORCH)
    env = clean_env(PYTHONPATH=str(block))
    probe = run([sys.executable, "-c", "import torch"], tmp_path, check=False, env=env)
    assert probe.returncode != 0 and "blocked by the test" in probe.stderr
    server = Server(["--bundle", str(root / "models/catdetector"), "--no-log"], tmp_path, env)
    try:
        server.wait_ready(timeout=120)
        assert '"chosen_rung": "custom"' in json.dumps(server.model())
        import onnxruntime as ort

        from catdetector.features.custom import CustomSpec, custom_decode, custom_input
        from catdetector.features.images import open_image

        spec = CustomSpec.from_dict(meta["custom"]["spec"])
        session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
        files = sorted((root / "data/raw/cat").iterdir())[:4]
        files += sorted((root / "data/raw/other").iterdir())[:4]
        for path in files:
            data = path.read_bytes()
            served = server.predict(data, "image/jpeg")
            assert served.status_code == 200, served.text
            x = custom_input(custom_decode(open_image(data), spec), spec)[None]
            logits = session.run(None, {"image": x})[0][0].astype(np.float64)
            probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
            got = served.json()["probabilities"]
            assert np.allclose([got[label] for label in meta["labels"]], probs, atol=1e-6)
    finally:
        server.stop()
