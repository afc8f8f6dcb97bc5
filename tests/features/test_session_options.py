"""The backbone's onnxruntime session: threads as asked, no spinning thread pools (they burnt
the CPU that the other lane and the event loop need), onnxruntime's full graph optimisation."""

from __future__ import annotations

import numpy as np
import pytest

from catdetector.features import embed


def _tiny_onnx() -> bytes:
    """A model of the backbone's input and output names: the mean over the pixels."""
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [
            helper.make_node(
                "ReduceMean", [embed.INPUT_NAME], [embed.OUTPUT_NAME], axes=[2, 3], keepdims=0
            )
        ],
        "tiny",
        [helper.make_tensor_value_info(embed.INPUT_NAME, TensorProto.FLOAT, ["n", 3, 8, 8])],
        [helper.make_tensor_value_info(embed.OUTPUT_NAME, TensorProto.FLOAT, ["n", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    return bytes(model.SerializeToString())


@pytest.mark.parametrize("threads", [None, 1, 2])
def test_backbone_session_options_are_applied(threads: int | None) -> None:
    ort = pytest.importorskip("onnxruntime")
    backbone = embed.Backbone(_tiny_onnx(), threads)
    options = backbone._session.get_session_options()
    assert options.intra_op_num_threads == (threads or 0)  # 0: onnxruntime's one per core
    for key in ("session.intra_op.allow_spinning", "session.inter_op.allow_spinning"):
        assert options.get_session_config_entry(key) == "0"
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    pixels = np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8)
    assert np.allclose(backbone.embed(pixels), pixels.mean(axis=(2, 3)))
