"""assess v3, sixth round (issue 22, branch f4b): risk rules by structure (bus factor, ways
back, skew through fitted transformers, DVC data with no remote, secret values that are names).
Every test fails on the engine before its fix (main at a287533), except the counter-checks
named ``..._still_...``, which pass before and after and guard the rule from going too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess import assess_repository
from tests.assess.builders import Files, fake_h5, write_tree

FLASK_SERVE = (
    "import joblib\nfrom flask import Flask, request, jsonify\napp = Flask(__name__)\n"
    "model = joblib.load('{path}')\n\n\n@app.route('/predict', methods=['POST'])\n"
    "def predict():\n    return jsonify(model.predict([request.json['x']]).tolist())\n"
)


# ------------------------------------------- 1. nothing to rebuild --------------------------
INFERENCE_FLOW = (
    "import torch\nfrom metaflow import FlowSpec, step\nfrom diffusers import AutoPipelineForText2Image\n\n\n"
    "class TextToImage(FlowSpec):\n    @step\n    def start(self):\n"
    "        pipe = AutoPipelineForText2Image.from_pretrained('stabilityai/sdxl-turbo')\n"
    "        self.images = pipe(prompt='a cat').images\n        self.next(self.end)\n\n"
    "    @step\n    def end(self):\n        pass\n\n\n"
    "if __name__ == '__main__':\n    TextToImage()\n"
)


def test_an_inference_pipeline_with_nothing_trained_has_no_bus_factor_evidence(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"flow.py": INFERENCE_FLOW, "requirements.txt": "metaflow==2.12.0\n"})
    bus = assess_repository(tmp_path).finding("bus-factor")
    assert bus is not None and bus.not_recognised and not bus.lowers_level
    assert bus.severity == "low" and "nothing here trains" in bus.evidence[0].detail
    assert "from_pretrained" in bus.evidence[0].detail and bus.evidence[0].file == "flow.py"


def test_a_hub_download_with_no_pipeline_and_no_serving_has_no_bus_factor_evidence(
    tmp_path: Path,
) -> None:
    script = (
        "from transformers import AutoModel\n"
        "model = AutoModel.from_pretrained('org/sentiment')\nprint(model)\n"
    )
    write_tree(tmp_path, {"classify.py": script})
    report = assess_repository(tmp_path)
    bus = report.finding("bus-factor")
    assert report.level is not None and bus is not None
    assert bus.not_recognised and not bus.lowers_level and bus.evidence[0].line == 2


def test_a_served_committed_model_with_no_training_code_still_lowers_critically(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"app.py": FLASK_SERVE.format(path="model.h5"), "model.h5": fake_h5()})
    bus = assess_repository(tmp_path).finding("bus-factor")
    assert bus is not None and bus.lowers_level and bus.severity == "critical"


def test_an_mlproject_running_a_missing_script_still_lowers_with_nothing_trained(
    tmp_path: Path,
) -> None:
    mlproject = "name: p\nentry_points:\n  main:\n    command: python main.py\n"
    fetch = "import pandas as pd\npd.read_json('https://api.example.com/x').to_csv('d.csv')\n"
    write_tree(tmp_path, {"MLproject": mlproject, "src/get_data.py": fetch})
    report = assess_repository(tmp_path)
    bus = report.finding("bus-factor")
    if report.level is not None:
        assert bus is not None and bus.lowers_level
