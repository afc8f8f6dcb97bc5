"""init -> sample -> dvc add -> dvc repro on real git and dvc; determinism across clones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import cli, git, make_trained_project, publish, read_json, run, set_params


def test_repro_writes_metrics_and_second_repro_is_noop(trained_project: Path) -> None:
    test_metrics = read_json(trained_project / "metrics/test.json")
    for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "ladder_test_accuracy"):
        assert key in test_metrics
    assert (trained_project / "models/catdetector/model.skops").is_file()
    lock_before = (trained_project / "dvc.lock").read_text()
    proc = run(["dvc", "repro"], trained_project)
    assert "didn't change, skipping" in proc.stdout
    assert "Running stage" not in proc.stdout
    assert (trained_project / "dvc.lock").read_text() == lock_before
    status = run(["dvc", "status", "--json"], trained_project)
    assert json.loads(status.stdout) == {}


def test_plain_dvc_metrics_and_plots(trained_project: Path) -> None:
    metrics = json.loads(run(["dvc", "metrics", "show", "--json"], trained_project).stdout)
    shown = json.dumps(metrics)
    assert "metrics/test.json" in shown and "accuracy" in shown
    plots = json.loads(run(["dvc", "plots", "show", "--json"], trained_project).stdout)
    assert {"plots/confusion.json", "plots/roc.json", "reports/costs.json"} <= set(plots["data"])
    assert "fit_seconds" not in shown and "predict_ms_per_image" not in shown
    # one place for each metric: a rung's test accuracy only in test.json
    files = next(iter(metrics.values()))["data"]
    ladder_file = json.dumps(files["metrics/ladder.json"]["data"])
    assert "test_accuracy" not in ladder_file and "val_accuracy" in ladder_file
    assert set(files["metrics/test.json"]["data"]["ladder_test_accuracy"]) == {
        "dummy", "heuristic", "linear", "nonlinear"
    }
    assert git("status", "--porcelain", cwd=trained_project) == ""


def test_ladder_has_every_rung_dummy_worst(trained_project: Path) -> None:
    ladder = read_json(trained_project / "metrics/ladder.json")
    rungs = ladder["rungs"]
    assert list(rungs) == ["dummy", "heuristic", "linear", "nonlinear"]
    for row in rungs.values():
        assert set(row) == {"val_accuracy"}  # what chose the rung; no timings
    costs = read_json(trained_project / "reports/costs.json")
    assert [c["rung"] for c in costs] == list(rungs)
    for cost in costs:
        assert set(cost) == {
            "rung",
            "fit_seconds",
            "predict_ms_per_image",
            "size_bytes",
            "install_bytes",
        }
        assert cost["size_bytes"] > 0 and cost["install_bytes"] == 0
    dummy = rungs["dummy"]["val_accuracy"]
    assert all(dummy <= row["val_accuracy"] for row in rungs.values())
    chosen = ladder["chosen"]
    assert rungs[chosen]["val_accuracy"] > dummy + 0.1
    test_acc = read_json(trained_project / "metrics/test.json")["ladder_test_accuracy"]
    assert test_acc[chosen] > test_acc["dummy"]
    assert test_acc["linear"] < 1.0  # learnable, not trivial
    meta = read_json(trained_project / "models/catdetector/model.json")
    assert meta["chosen_rung"] == chosen
    assert set(meta["metrics"]["ladder"]) == set(rungs)
    assert meta["lineage"]["data_dvc_md5"].endswith(".dir")
    assert len(meta["golden"]) == 4 and meta["reference"]["brightness"]["counts"]


@pytest.mark.slow  # a clone, dvc pull and a whole retraining
def test_second_clone_reproduces_identical_results(project_copy: Path, tmp_path: Path) -> None:
    origin = publish(project_copy, tmp_path)

    clone = tmp_path / "alice"
    run(["git", "clone", "-q", str(origin), str(clone)], tmp_path)
    assert not (clone / ".dvc/cache").exists()  # its own, empty cache
    # a test copy keeps its own remote in config.local; Alice points at the same one
    url = run(["dvc", "config", "remote.storage.url"], project_copy).stdout.strip()
    run(["dvc", "remote", "modify", "--local", "storage", "url", url], clone)
    run(["dvc", "pull", "-q"], clone)
    assert (clone / "data/raw/cat").is_dir()
    run(["dvc", "repro", "-f", "-q"], clone)

    for rel in ("metrics/test.json", "metrics/ladder.json"):
        assert read_json(clone / rel) == read_json(project_copy / rel)
    # the clone's workspace against the commit Bob made: no metric differs
    assert run(["dvc", "metrics", "diff", "--json"], clone).stdout.strip() in ("", "{}")
    sizes = [(c["rung"], c["size_bytes"]) for c in read_json(clone / "reports/costs.json")]
    assert sizes == [
        (c["rung"], c["size_bytes"]) for c in read_json(project_copy / "reports/costs.json")
    ]
    bob_model = (project_copy / "models/catdetector/model.skops").read_bytes()
    assert (clone / "models/catdetector/model.skops").read_bytes() == bob_model
    bob_meta = read_json(project_copy / "models/catdetector/model.json")
    alice_meta = read_json(clone / "models/catdetector/model.json")
    bob_meta.pop("lineage")
    alice_meta.pop("lineage")
    assert alice_meta == bob_meta
    images = sorted((clone / "data/raw/cat").iterdir())[:5]
    bob = json.loads(cli("predict", "--json", *map(str, images), cwd=project_copy).stdout)
    alice = json.loads(cli("predict", "--json", *map(str, images), cwd=clone).stdout)
    assert [(p["label"], p["probability"]) for p in bob] == [
        (p["label"], p["probability"]) for p in alice
    ]


@pytest.mark.slow
@pytest.mark.realdata
def test_real_photos_linear_beats_dummy(real_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "real"
    cli("init", str(root), cwd=tmp_path)
    raw = root / "data/raw"
    for label in ("cat", "other"):
        (raw / label).mkdir(parents=True)
        for src in sorted((real_data / label).iterdir()):
            (raw / label / src.name).write_bytes(src.read_bytes())
    run(["dvc", "add", "-q", "data/raw"], root)
    run(["dvc", "repro", "-q"], root)
    ladder = read_json(root / "metrics/ladder.json")["rungs"]
    assert ladder["linear"]["val_accuracy"] > ladder["dummy"]["val_accuracy"]
    test_metrics = read_json(root / "metrics/test.json")
    assert (
        test_metrics["ladder_test_accuracy"]["linear"]
        > test_metrics["ladder_test_accuracy"]["dummy"]
    )


def test_sample_bytes_are_stable(tmp_path: Path) -> None:
    import hashlib

    cli("sample", str(tmp_path / "a"), "--n", "6", "--seed", "7", cwd=tmp_path)
    cli("sample", str(tmp_path / "b"), "--n", "6", "--seed", "7", cwd=tmp_path)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.png"))
    assert len(files_a) == 6 and sum(1 for f in files_a if f.parts[0] == "cat") == 3
    assert all(f.name.startswith("synthetic-") for f in files_a)
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    digest = hashlib.sha256(
        (tmp_path / "a/cat/synthetic-cat-s7-00000.png").read_bytes()
    ).hexdigest()
    # Pinned: the same seed must give these exact bytes on every machine and version.
    assert digest == SEED7_CAT0_SHA256
    cli("sample", str(tmp_path / "c"), "--n", "6", "--seed", "8", cwd=tmp_path)
    assert (tmp_path / "c/cat/synthetic-cat-s8-00000.png").read_bytes() != (
        tmp_path / "a/cat/synthetic-cat-s7-00000.png"
    ).read_bytes()


SEED7_CAT0_SHA256 = "325a65a0bdc7f376b9969b702ece6c0bb06d73785412b39930b1721d34de8998"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--n", "5"], "even number"), (["--n", "0"], "even number"), (["--seed", "-1"], "--seed")],
)
def test_sample_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    proc = cli("sample", str(tmp_path / "s"), *args, cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow  # a whole project: init, sample, dvc repro
def test_make_project_helper_round_trip(tmp_path: Path) -> None:
    """A tiny project trains too (guards the minimum split sizes)."""
    root = make_trained_project(tmp_path / "tiny", n=60, seed=3)
    assert read_json(root / "metrics/test.json")["n"] > 0


@pytest.mark.slow
def test_parameters_tried_before_restore_train_from_the_run_cache(project_copy: Path) -> None:
    before = (project_copy / "models/catdetector/model.skops").read_bytes()
    set_params(project_copy, ladder={"linear_c": 0.2})
    run(["dvc", "repro", "-q"], project_copy)
    set_params(project_copy, ladder={"linear_c": 0.05})
    proc = run(["dvc", "repro"], project_copy)
    assert "Running stage 'train'" not in proc.stdout, proc.stdout
    assert "Stage 'train' is cached - skipping run" in proc.stdout
    assert (project_copy / "models/catdetector/model.skops").read_bytes() == before
