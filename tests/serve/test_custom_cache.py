"""A custom-rung bundle (an ONNX model, no model.skops) followed from a registry is fetched
once: a restart with the same cache serves it even when the DVC remote is gone. A bundle
is complete when it holds what its own model.json lists."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from catdetector.core.errors import BundleError
from catdetector.serve.fetch import BundleFetcher
from tests.serve.serving import Server, clean_env, tiny_png
from tests.support import cli, copy_project, git, publish, read_json, run

pytestmark = pytest.mark.slow  # a `dvc repro` and two servers: 20-40 s

# A fixed ONNX model (mean colour: cool minus warm scores the first label) as the custom
# rung, without torch; on the synthetic sample it beats the dummy (val 0.63 vs 0.47).
TOY = """\
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 64, 64])
scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 2])
weight = numpy_helper.from_array(np.array([[-1, 1], [0, 0], [1, -1]], np.float32), "w")
nodes = [
    helper.make_node("ReduceMean", ["image"], ["mean"], axes=[2, 3], keepdims=0),
    helper.make_node("MatMul", ["mean", "w"], ["scores"]),
]
graph = helper.make_graph(nodes, "toy", [image], [scores], initializer=[weight])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
"""


def _custom_registry(trained_project: Path, work: Path) -> tuple[Path, Path, Path, str]:
    """(working clone, origin, DVC storage, version in prod): prod's bundle is custom."""
    proj = copy_project(trained_project, work)
    storage = work / f"{proj.name}.dvc-storage"
    run(["dvc", "remote", "modify", "storage", "url", str(storage)], proj)
    (proj / ".dvc" / "config.local").unlink(missing_ok=True)
    (proj / "toy.py").write_text(TOY)
    params = yaml.safe_load((proj / "params.yaml").read_text())
    params["ladder"]["rungs"] = ["dummy", "custom"]
    params["ladder"]["custom"] = {
        "command": f"{sys.executable} toy.py {{output}}",
        "input": {"size": 64},
    }
    params["ladder"]["tolerance"] = 0.0  # the better of the two is chosen
    (proj / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["dvc", "repro", "-q"], proj)
    meta = read_json(proj / "models/catdetector/model.json")
    assert meta["chosen_rung"] == "custom" and "model.skops" not in meta["files"]
    git("add", "-A", cwd=proj)
    git("commit", "-qm", "the team's ONNX model as the custom rung", cwd=proj)
    origin = publish(proj, work)
    version = json.loads(cli("register", "--push", "--json", cwd=proj).stdout)["version"]
    force = ["--force", "--reason", "a toy model: the test is about the cache"]
    cli("promote", version, "--stage", "prod", *force, "--push", cwd=proj)
    return proj, origin, storage, version


def _without_onnx(proj: Path) -> str:
    """A commit (pushed, not registered) whose bundle lacks the ONNX model it lists."""
    (proj / "models/catdetector/custom.onnx").unlink()
    run(["dvc", "commit", "-f", "-q"], proj)
    git("add", "dvc.lock", cwd=proj)
    git("commit", "-qm", "a bundle without its ONNX model", cwd=proj)
    git("push", "-q", "origin", "main", cwd=proj)
    run(["dvc", "push", "-q"], proj)
    return git("rev-parse", "HEAD", cwd=proj)


def test_a_custom_bundle_is_fetched_once_then_served_from_the_cache(
    trained_project: Path, tmp_path: Path
) -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    proj, origin, storage, version = _custom_registry(trained_project, tmp_path / "reg")
    fetcher = BundleFetcher(str(origin), tmp_path / "fetch-cache")
    lacking = _without_onnx(proj)  # complete means what model.json lists, not model.skops
    with pytest.raises(BundleError, match="incomplete: its model.json lists custom.onnx"):
        fetcher.fetch(lacking)
    assert not any(fetcher.bundles.iterdir())  # nothing incomplete enters the cache
    cache = tmp_path / "serve-cache"
    args = ["--registry", str(origin), "--stage", "prod", "--no-log"]
    answers = []
    for start in ("first", "second"):
        server = Server(args, tmp_path, clean_env(), cache_dir=cache)
        try:
            server.wait_ready()
            info = server.model()
            assert info["version"] == version
            checks = info["last_check"]["checks"]
            assert checks["fetched_from_network"] is (start == "first"), (start, checks)
            resp = server.predict(tiny_png())
            assert resp.status_code == 200, resp.text
            answers.append(resp.json()["probability"])
        finally:
            server.stop()
        shutil.rmtree(storage, ignore_errors=True)  # gone: a restart has only its cache
    assert answers[0] == answers[1]
