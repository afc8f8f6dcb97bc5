"""The pretrained rung on the 400 real photos: it earns its place, caches its embeddings,
reproduces in a fresh clone without any network, and serves what the pipeline predicts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.deep.conftest import EMBED_STATS, first_embed_stats, offline_env
from tests.serve.serving import serving
from tests.support import cli, copy_project, read_json, run, set_params

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
N_PHOTOS = 400


def test_pretrained_is_chosen_and_hand_features_stay_far_below(deep_project: Path) -> None:
    ladder = read_json(deep_project / "metrics/ladder.json")
    assert ladder["chosen"] == "pretrained"
    scores = read_json(deep_project / "metrics/test.json")["ladder_test_accuracy"]
    assert list(scores) == ["dummy", "heuristic", "linear", "nonlinear", "pretrained"]
    assert scores["pretrained"] >= 0.95
    for rung in ("dummy", "heuristic", "linear", "nonlinear"):
        assert scores[rung] <= scores["pretrained"] - 0.15, scores
    assert read_json(deep_project / "metrics/test.json")["accuracy"] >= 0.95
    assert first_embed_stats(deep_project)["computed"] == N_PHOTOS


def test_cost_report_shows_what_the_gain_costs(deep_project: Path) -> None:
    costs = {row["rung"]: row for row in read_json(deep_project / "reports/costs.json")}
    rungs = ["dummy", "heuristic", "linear", "nonlinear", "pretrained"]
    assert list(costs) == [*rungs, "pretrained-float32"]  # the other precision, costed
    deep = costs["pretrained"]
    onnx = (deep_project / "models/catdetector/backbone.onnx").stat().st_size
    assert deep["size_bytes"] > onnx > 3_000_000  # head + backbone (int8)
    assert deep["install_bytes"] > 100_000_000  # torch and friends
    assert all(costs[r]["install_bytes"] == 0 for r in ("dummy", "heuristic", "linear"))
    assert deep["predict_ms_per_image"] > costs["linear"]["predict_ms_per_image"]
    assert deep["fit_seconds"] > 0
    # the table the stage prints has them side by side
    meta = read_json(deep_project / "models/catdetector/model.json")
    assert 0 < meta["backbone"]["serve_install_bytes"] < deep["install_bytes"]


def test_changing_only_a_head_parameter_embeds_nothing(deep_project: Path, tmp_path: Path) -> None:
    root = copy_project(deep_project, tmp_path)
    set_params(root, ladder={"pretrained_c": 0.5})
    run(["dvc", "repro", "-q"], root, timeout=1200)
    stats = read_json(root / EMBED_STATS)
    assert stats == {**stats, "computed": 0, "reused": N_PHOTOS}
    assert stats["key"] == first_embed_stats(deep_project)["key"]
    meta = read_json(root / "models/catdetector/model.json")
    assert meta["params"]["ladder"]["pretrained_c"] == 0.5


def test_fresh_clone_offline_reproduces_metrics_and_predictions(
    deep_project: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "alice"
    run(["git", "clone", "-q", str(deep_project), str(clone)], tmp_path)
    assert not (clone / ".dvc/tmp").exists() and not (clone / ".dvc/cache").exists()
    env, netlog = offline_env(tmp_path)
    env["CATDETECTOR_EMBED_CACHE"] = str(tmp_path / "alice-cache")  # another machine's cache
    run(["dvc", "pull", "-q"], clone, env=env)
    run(["dvc", "repro", "-f", "-q"], clone, env=env, timeout=1200)
    assert netlog.read_text() == ""  # no process tried a non-loopback socket or lookup
    assert read_json(clone / EMBED_STATS)["computed"] == N_PHOTOS  # its own cache

    for rel in ("metrics/test.json", "metrics/ladder.json"):
        assert read_json(clone / rel) == read_json(deep_project / rel)
    assert run(["dvc", "metrics", "diff", "--json"], clone).stdout.strip() in ("", "{}")
    for name in ("model.skops", "backbone.onnx"):
        ours = (clone / "models/catdetector" / name).read_bytes()
        assert ours == (deep_project / "models/catdetector" / name).read_bytes(), name
    files = [str(p) for p in sorted((clone / "data/raw/cat").iterdir())[:4]]
    files += [str(p) for p in sorted((clone / "data/raw/other").iterdir())[:4]]
    bob = json.loads(cli("predict", "--json", *files, cwd=deep_project).stdout)
    alice = json.loads(cli("predict", "--json", *files, cwd=clone, env=env).stdout)
    assert [(p["label"], p["probability"]) for p in alice] == [
        (p["label"], p["probability"]) for p in bob
    ]
    assert netlog.read_text() == ""


def _test_photos(project: Path, n: int) -> list[Path]:
    manifest = read_json(project / "data/prepared/manifest.json")
    rels = [i["path"] for i in manifest["items"] if i["split"] == "test"]
    cats = [r for r in rels if r.startswith("cat/")][: n // 2]
    others = [r for r in rels if r.startswith("other/")][: n - len(cats)]
    return [project / "data/raw" / r for r in cats + others]


def test_served_predictions_equal_pipeline_predictions(deep_project: Path, tmp_path: Path) -> None:
    photos = _test_photos(deep_project, 10)
    expected = json.loads(cli("predict", "--json", *map(str, photos), cwd=deep_project).stdout)
    env, netlog = offline_env(tmp_path)
    bundle = deep_project / "models/catdetector"
    with serving(["--bundle", str(bundle)], tmp_path, env=env) as server:
        single = []
        for photo in photos:
            resp = server.predict(photo.read_bytes(), "image/jpeg")
            assert resp.status_code == 200, resp.text
            single.append(resp.json())
        files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
        resp = server.http.post("/v1/predict", files=files)
        assert resp.status_code == 200, resp.text
        batch = resp.json()["predictions"]
        info = server.model()
        assert info["chosen_rung"] == "pretrained"
        # by default one onnxruntime thread per predict, as many predicts at once as cores
        assert info["onnx_threads"] == 1
        assert info["predict_lanes"] == len(os.sched_getaffinity(0))
        assert info["batching"]["active"] is True  # auto: the backbone batches at one thread
    assert netlog.read_text() == ""
    for want, one, many in zip(expected, single, batch, strict=True):
        assert one["label"] == many["label"] == want["label"]
        assert one["probability"] == pytest.approx(want["probability"], abs=1e-6)
        assert many["probability"] == pytest.approx(want["probability"], abs=1e-6)
    labels = [p["label"] for p in single]
    truth = [p.parent.name for p in photos]
    assert sum(a == b for a, b in zip(labels, truth, strict=True)) >= 9


def test_an_experiment_in_a_temp_workspace_shares_the_embedding_cache(
    deep_project: Path, tmp_path: Path
) -> None:
    from catdetector.features import embed

    root = copy_project(deep_project, tmp_path)
    run(["dvc", "exp", "run", "--temp", "-S", "ladder.pretrained_c=0.3"], root, timeout=1200)
    stats = read_json(embed.cache_root() / "last-run.json")
    assert stats == {**stats, "computed": 0, "reused": N_PHOTOS}
