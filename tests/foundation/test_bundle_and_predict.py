"""Safe loading of bundles, and `catdetector predict`."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from catdetector.core.errors import BundleError, SkewError
from catdetector.model import bundle, save
from tests.support import cli, read_json

MODEL = "models/catdetector"


class NotTrusted:
    """A type skops does not trust (defined in the tests, never in the trusted list)."""

    def predict_proba(self, x: object) -> None:  # pragma: no cover - never called
        raise AssertionError


@pytest.fixture
def bundle_copy(trained_project: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "bundle"
    shutil.copytree(trained_project / MODEL, dest)
    return dest


def test_bundle_loads_with_trusted_types_and_golden_checks(bundle_copy: Path) -> None:
    model = bundle.load_bundle(bundle_copy)
    assert model.checks.hash_ok and model.checks.golden_ok
    assert model.checks.golden_max_error <= 1e-6
    assert model.labels == ["cat", "other"]


def test_truncated_model_is_refused(bundle_copy: Path) -> None:
    path = bundle_copy / "model.skops"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(BundleError, match="does not match model.json"):
        bundle.load_bundle(bundle_copy)


def test_edited_model_is_refused(bundle_copy: Path) -> None:
    path = bundle_copy / "model.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="sha256 differs"):
        bundle.load_bundle(bundle_copy)


def test_meta_from_another_model_is_refused(bundle_copy: Path) -> None:
    meta = read_json(bundle_copy / "model.json")
    meta["files"]["model.skops"]["sha256"] = "0" * 64
    (bundle_copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match="does not match model.json"):
        bundle.load_bundle(bundle_copy)


def test_broken_or_missing_meta_is_refused(bundle_copy: Path) -> None:
    (bundle_copy / "model.json").write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        bundle.load_bundle(bundle_copy)
    (bundle_copy / "model.json").unlink()
    with pytest.raises(BundleError, match="missing"):
        bundle.load_bundle(bundle_copy)
    with pytest.raises(BundleError, match="no model bundle"):
        bundle.load_bundle(bundle_copy / "nope")


def test_untrusted_type_is_refused(bundle_copy: Path, tmp_path: Path) -> None:
    meta = read_json(bundle_copy / "model.json")
    save.write_bundle(tmp_path / "evil", NotTrusted(), meta)
    with pytest.raises(BundleError, match="not trusted"):
        bundle.load_bundle(tmp_path / "evil")


def test_environment_mismatch_is_refused_unless_allowed(bundle_copy: Path) -> None:
    meta = read_json(bundle_copy / "model.json")
    meta["environment"]["packages"]["scikit-learn"] = "0.24.2"
    (bundle_copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(SkewError, match=r"scikit-learn 0\.24\.2 \(trained\)"):
        bundle.load_bundle(bundle_copy)
    model = bundle.load_bundle(bundle_copy, allow_env_mismatch=True)
    assert model.checks.env_mismatch_allowed
    assert [d.name for d in model.checks.env_differences if d.needed] == ["scikit-learn"]


def test_golden_mismatch_is_refused(bundle_copy: Path) -> None:
    meta = read_json(bundle_copy / "model.json")
    meta["golden"][0]["probabilities"] = [0.5, 0.5]
    (bundle_copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(SkewError, match="golden samples differ"):
        bundle.load_bundle(bundle_copy)


def test_canonical_skops_is_byte_stable(bundle_copy: Path) -> None:
    model = bundle.load_bundle(bundle_copy)
    assert save.canonical_skops(model.estimator) == (bundle_copy / "model.skops").read_bytes()


def test_server_path_predicts_exactly_what_predict_bytes_does(
    trained_project: Path, bundle_copy: Path
) -> None:
    """The server opens once (header checks), then decodes: the same numbers as bytes in."""
    from catdetector.features.images import open_image

    model = bundle.load_bundle(bundle_copy)
    paths = sorted((trained_project / "data/raw").rglob("*.png"))[:12]
    assert len(paths) == 12
    for path in paths:
        data = path.read_bytes()
        assert model.predict_image(open_image(data, model.limits)) == model.predict_bytes([data])[0]


def test_predict_json_and_per_file_errors(trained_project: Path, tmp_path: Path) -> None:
    good = sorted((trained_project / "data/raw/cat").iterdir())[:2]
    (tmp_path / "bad.jpg").write_text("not an image")
    buf = io.BytesIO()
    Image.new("RGB", (100, 90), (10, 200, 10)).save(buf, "JPEG")
    (tmp_path / "green.jpg").write_bytes(buf.getvalue())
    files = [
        *map(str, good),
        str(tmp_path / "bad.jpg"),
        str(tmp_path / "missing.png"),
        str(tmp_path / "green.jpg"),
    ]
    proc = cli("predict", "--json", *files, cwd=trained_project, check=False)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert [o["file"] for o in out] == files
    for o in (out[0], out[1], out[4]):
        assert o["label"] in {"cat", "other"} and 0.5 <= o["probability"] <= 1
        assert o["version"].startswith("unregistered-")
    assert "not an image" in out[2]["error"] and out[2]["label"] is None
    assert "cannot read" in out[3]["error"]


def test_predict_text_output_and_explicit_bundle(trained_project: Path, tmp_path: Path) -> None:
    image = sorted((trained_project / "data/raw/other").iterdir())[0]
    proc = cli("predict", "--bundle", str(trained_project / MODEL), str(image), cwd=tmp_path)
    file, label, prob, version = proc.stdout.strip().split("\t")
    assert file == str(image) and label in {"cat", "other"} and float(prob) >= 0.5
    assert version.startswith("unregistered-")


def test_predict_outside_project_needs_bundle(tmp_path: Path) -> None:
    proc = cli("predict", "x.png", cwd=tmp_path, check=False)
    assert proc.returncode == 6
    assert "not inside a catdetector project" in proc.stderr and "Traceback" not in proc.stderr
