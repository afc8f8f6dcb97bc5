"""prepare names every bad file; skip_bad_files lists them in a report instead."""

from __future__ import annotations

import io
from pathlib import Path

import yaml
from PIL import Image

from tests.support import cli, read_json, run


def _jpeg(size: tuple[int, int] = (80, 80)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _add_bad_files(raw: Path) -> dict[str, str]:
    good = _jpeg()
    (raw / "cat/corrupt.jpg").write_bytes(good[: len(good) // 2])
    (raw / "cat/notes.jpg").write_text("this is a text file, not a photo\n")
    (raw / "other/empty.jpg").write_bytes(b"")
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    (raw / "other/tiny.png").write_bytes(buf.getvalue())
    (raw / "cat/readme.txt").write_text("hello")
    (raw / "stray.png").write_bytes(buf.getvalue())
    return {
        "cat/corrupt.jpg": "truncated or corrupt",
        "cat/notes.jpg": "not an image",
        "other/empty.jpg": "empty",
        "other/tiny.png": "smaller than the minimum",
        "cat/readme.txt": "unsupported file type",
        "stray.png": "not directly in a label folder",
    }


def test_prepare_fails_naming_each_bad_file(project_copy: Path) -> None:
    expected = _add_bad_files(project_copy / "data/raw")
    proc = cli("stage", "prepare", cwd=project_copy, check=False)
    assert proc.returncode == 5, proc.stderr
    err = " ".join(proc.stderr.split())
    assert "6 bad file(s)" in err
    for name, reason in expected.items():
        assert name in err and reason in err, (name, reason, err)
    assert "Traceback" not in proc.stderr
    # nothing half-written: the previous prepared data is untouched
    assert (project_copy / "data/prepared/manifest.json").is_file()


def test_prepare_skips_bad_files_when_asked_and_reports_them(project_copy: Path) -> None:
    expected = _add_bad_files(project_copy / "data/raw")
    params_path = project_copy / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    params["data"]["skip_bad_files"] = True
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    proc = cli("stage", "prepare", cwd=project_copy)
    assert "6 bad file(s) skipped" in " ".join(proc.stdout.split())
    report = read_json(project_copy / "data/prepared/report.json")
    assert {b["path"] for b in report["bad_files"]} == set(expected)


def test_duplicates_are_dropped_and_never_cross_splits(project_copy: Path) -> None:
    raw = project_copy / "data/raw"
    first = sorted((raw / "cat").iterdir())[0]
    (raw / "cat/copy-of-first.png").write_bytes(first.read_bytes())
    (raw / "other/mislabelled-copy.png").write_bytes(first.read_bytes())
    cli("stage", "prepare", cwd=project_copy)
    manifest = read_json(project_copy / "data/prepared/manifest.json")
    hashes = [item["sha256"] for item in manifest["items"]]
    assert len(hashes) == len(set(hashes))
    report = read_json(project_copy / "data/prepared/report.json")
    assert len(report["duplicates"]) == 2


def test_split_is_stable_and_by_content(project_copy: Path) -> None:
    manifest = read_json(project_copy / "data/prepared/manifest.json")
    before = {i["sha256"]: i["split"] for i in manifest["items"]}
    raw = project_copy / "data/raw"
    for path in sorted((raw / "cat").iterdir())[:3]:  # renaming a file does not move it
        path.rename(path.with_name("renamed-" + path.name))
    cli("stage", "prepare", cwd=project_copy)
    after = {
        i["sha256"]: i["split"]
        for i in read_json(project_copy / "data/prepared/manifest.json")["items"]
    }
    assert after == before


def test_invalid_params_get_one_readable_line(project_copy: Path) -> None:
    (project_copy / "params.yaml").write_text("split:\n  train: 0.9\n  val: 0.2\n")
    proc = cli("stage", "prepare", cwd=project_copy, check=False)
    assert proc.returncode == 3
    assert "split" in proc.stderr and "below 1" in proc.stderr
    assert "Traceback" not in proc.stderr
    (project_copy / "params.yaml").write_text("image: [unclosed\n")
    proc = cli("stage", "prepare", cwd=project_copy, check=False)
    assert proc.returncode == 3 and "not valid YAML" in proc.stderr


def test_dvc_repro_fails_cleanly_on_bad_data(project_copy: Path) -> None:
    _add_bad_files(project_copy / "data/raw")
    run(["dvc", "add", "-q", "data/raw"], project_copy)
    proc = run(["dvc", "repro"], project_copy, check=False)
    assert proc.returncode != 0
    assert "bad file(s)" in proc.stdout + proc.stderr


def test_dvc_repro_without_data_says_what_to_do(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    cli("init", str(root), cwd=tmp_path)
    proc = run(["dvc", "repro"], root, check=False)
    assert proc.returncode != 0
    out = " ".join((proc.stdout + proc.stderr).split())
    assert "Errno 2" not in out
    assert "data/raw has no images yet" in out and "`dvc add data/raw`" in out
