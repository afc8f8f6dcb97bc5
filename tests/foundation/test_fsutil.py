"""core.fsutil: the one atomic-write helper (temp file in the same folder, fsync, rename)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from catdetector.core.fsutil import atomic_file, staged_dir, write_bytes, write_json, write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_written_files_get_the_mode_open_gives_not_a_private_temp_mode(tmp_path: Path) -> None:
    write_json(tmp_path / "a.json", {"b": 1, "a": [1]})
    write_text(tmp_path / "b.txt", "é\n")
    write_bytes(tmp_path / "sub" / "c.bin", b"\x00")
    expected = 0o666 & ~_umask()
    assert {_mode(p) for p in tmp_path.rglob("*") if p.is_file()} == {expected}
    assert (tmp_path / "a.json").read_text() == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}\n'
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "é\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.json", "b.txt", "c.bin", "sub"]


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half of the new")
        raise RuntimeError("the disk is full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_staged_dir_replaces_a_folder_whole_with_normal_permissions(tmp_path: Path) -> None:
    dest = tmp_path / "bundle"
    dest.mkdir()
    (dest / "stale.txt").write_text("from the old bundle")
    with staged_dir(dest) as tmp:
        (tmp / "model.json").write_text("{}")
        assert dest.exists() and (dest / "stale.txt").exists()  # untouched while staging
    assert [p.name for p in dest.iterdir()] == ["model.json"]
    assert _mode(dest) == 0o777 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # the old folder is gone


def test_staged_dir_failure_keeps_the_old_folder(tmp_path: Path) -> None:
    dest = tmp_path / "bundle"
    dest.mkdir()
    (dest / "model.json").write_text("old")
    with pytest.raises(ValueError), staged_dir(dest) as tmp:
        (tmp / "model.json").write_text("new")
        raise ValueError("training failed")
    assert (dest / "model.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_staged_dir_replaces_a_file_in_the_way(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.write_text("a file where the folder goes")
    with staged_dir(dest) as tmp:
        (tmp / "x").write_text("x")
    assert (dest / "x").read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_umask_set_after_import_is_honoured(tmp_path: Path) -> None:
    old = os.umask(0o077)  # a server that tightens its umask at start
    try:
        write_text(tmp_path / "secret.txt", "x")
        with staged_dir(tmp_path / "bundle") as tmp:
            (tmp / "model.json").write_text("{}")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "secret.txt") == 0o600
    assert _mode(tmp_path / "bundle") == 0o700


def test_write_bytes_replaces_a_file_whole_with_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "images" / "ab" / "abcd.jpg"  # folders made as needed
    old = os.umask(0o027)
    try:
        write_bytes(target, b"first")
        write_bytes(target, b"second, longer")  # replaces it whole
    finally:
        os.umask(old)
    assert target.read_bytes() == b"second, longer"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0o666 & ~0o027, as open() gives
    assert sorted(p.name for p in target.parent.iterdir()) == ["abcd.jpg"]


def test_a_failed_rename_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a folder where the file should go: the rename fails
    (target / "inside").write_text("x")
    try:
        write_bytes(target, b"data")
    except OSError:
        pass
    else:
        raise AssertionError("a rename over a non-empty folder must fail")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
