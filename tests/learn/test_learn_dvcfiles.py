"""The lab's one module of DVC format knowledge, on the layouts DVC 2 and DVC 3 write."""

from __future__ import annotations

from pathlib import Path

from catdetector.learn.lab.dvcfiles import (
    dvc_out,
    has_default_remote,
    in_storage,
    is_initialised,
    lock_md5,
    stage,
)

MD5 = "0123456789abcdef0123456789abcdef"


def test_remote_layouts_of_dvc_2_and_3(tmp_path: Path) -> None:
    dvc3, dvc2 = tmp_path / "v3", tmp_path / "v2"
    (dvc3 / "files" / "md5" / "01").mkdir(parents=True)
    (dvc3 / "files" / "md5" / "01" / MD5[2:]).write_text("x")
    (dvc2 / "01").mkdir(parents=True)
    (dvc2 / "01" / (MD5[2:] + ".dir")).write_text("[]")
    assert in_storage(dvc3, MD5) and in_storage(dvc2, MD5 + ".dir")
    assert not in_storage(dvc3, "ff" + MD5[2:]) and not in_storage(tmp_path / "none", MD5)


def test_dvc_files(tmp_path: Path) -> None:
    (tmp_path / "data.dvc").write_text(f"outs:\n- md5: {MD5}.dir\n  nfiles: 8\n  path: data\n")
    (tmp_path / "dvc.yaml").write_text("stages:\n  train:\n    cmd: python3 train.py\n"
                                       "    deps: [train.py, data]\n    outs: [model.h5]\n")
    (tmp_path / "dvc.lock").write_text(
        f"schema: '2.0'\nstages:\n  train:\n    cmd: python3 train.py\n"
        f"    outs:\n    - path: model.h5\n      md5: {MD5}\n      size: 9\n")
    assert dvc_out(tmp_path / "data.dvc")["nfiles"] == 8
    assert lock_md5(tmp_path, "model.h5") == MD5 and lock_md5(tmp_path, "other") is None
    train = stage(tmp_path, "train")
    assert train is not None and train["outs"] == ["model.h5"]
    assert stage(tmp_path, "evaluate") is None
    assert dvc_out(tmp_path / "missing.dvc") == {}
    assert not is_initialised(tmp_path) and not has_default_remote(tmp_path)
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text(
        "[core]\n    remote = storage\n['remote \"storage\"']\n    url = ../storage\n"
    )
    assert is_initialised(tmp_path) and has_default_remote(tmp_path)
