"""The custom rung's refusals, one line each: a command that fails, one that writes no
ONNX, an ONNX model whose input does not match its spec, a non-ONNX model given to serve."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from tests.serve.serving import free_port
from tests.support import cli

TOY_ONNX = '''\
import sys

import onnx
from onnx import TensorProto, helper

side = int(sys.argv[2])
image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, side, side])
scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 3])
node = helper.make_node("ReduceMean", ["image"], ["scores"], axes=[2, 3], keepdims=0)
graph = helper.make_graph([node], "toy", [image], [scores])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
'''


def _with_custom(root: Path, command: str) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["ladder"]["rungs"] = ["dummy", "custom"]
    params["ladder"]["custom"] = {"command": command, "input": {"size": 64}}
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def _one_line_error(proc: object) -> str:
    err = getattr(proc, "stderr", "")
    assert getattr(proc, "returncode", 0) != 0
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert 1 <= len(lines) <= 3, err  # the error (wrapped by rich) and its hint
    return " ".join(err.split())


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (f"{sys.executable} fail.py", "exited 3: out of memory"),
        (f"{sys.executable} -c pass", "exited 0 but wrote no ONNX model"),
        ("no-such-trainer {train} {output}", "cannot run 'no-such-trainer': not found"),
        (
            f"{sys.executable} toy.py {{output}} 32",
            "does not match ladder.custom.input: its input 'image' has shape ['N', 3, 32, 32]",
        ),
    ],
    ids=["fails", "no-onnx", "not-found", "input-mismatch"],
)
def test_custom_rung_refusals(project_copy: Path, command: str, message: str) -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    (project_copy / "toy.py").write_text(TOY_ONNX)
    (project_copy / "fail.py").write_text(
        "import sys\nprint('out of memory', file=sys.stderr)\nsys.exit(3)\n"
    )
    _with_custom(project_copy, command)
    before = (project_copy / "models/catdetector/model.json").read_bytes()
    proc = cli("stage", "train", cwd=project_copy, check=False)
    assert message in _one_line_error(proc), proc.stderr
    # nothing lost: the last good bundle is still there
    assert (project_copy / "models/catdetector/model.json").read_bytes() == before


def test_a_custom_rung_needs_its_definition(project_copy: Path) -> None:
    params = yaml.safe_load((project_copy / "params.yaml").read_text())
    params["ladder"]["rungs"] = ["dummy", "custom"]
    (project_copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    proc = cli("stage", "train", cwd=project_copy, check=False)
    assert "define it in ladder.custom" in _one_line_error(proc)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("model.h5", "export it to ONNX (python -m tf2onnx.convert --keras model.h5"),
        ("model.pt", "torch.onnx.export"),
        ("model.onnx", "a bare ONNX file"),
    ],
)
def test_serve_and_predict_refuse_a_model_file_naming_the_export(
    tmp_path: Path, name: str, message: str
) -> None:
    model = tmp_path / name
    model.write_bytes(b"not a bundle")
    port = str(free_port())
    proc = cli(
        "serve", "--bundle", str(model), "--port", port, "--no-log", cwd=tmp_path, check=False
    )
    assert message in _one_line_error(proc)
    image = tmp_path / "x.png"
    image.write_bytes(b"\x89PNG")
    proc = cli("predict", "--bundle", str(model), str(image), cwd=tmp_path, check=False)
    assert message in _one_line_error(proc)


TOY_2 = '''\
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 64, 64])
scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 2])
weight = numpy_helper.from_array(np.array([[1, -1], [0, 0], [-1, 1]], np.float32), "w")
nodes = [
    helper.make_node("ReduceMean", ["image"], ["mean"], axes=[2, 3], keepdims=0),
    helper.make_node("MatMul", ["mean", "w"], ["scores"]),
]
graph = helper.make_graph(nodes, "toy2", [image], [scores], initializer=[weight])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
'''


@pytest.mark.slow
def test_train_warns_when_the_lock_does_not_cover_a_custom_rung(project_copy: Path) -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    (project_copy / "toy2.py").write_text(TOY_2)
    _with_custom(project_copy, f"{sys.executable} toy2.py {{output}}")
    proc = cli("stage", "train", cwd=project_copy)
    assert "custom" in proc.stdout  # in the ladder table
    err = " ".join(proc.stderr.split())
    assert "requirements.lock does not cover the project's rungs (custom needs" in err
    assert "run `catdetector lock`" in err
    cli("lock", cwd=project_copy)
    assert "does not cover" not in cli("stage", "train", cwd=project_copy).stderr
