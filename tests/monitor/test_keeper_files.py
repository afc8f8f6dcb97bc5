"""The keeper's own file write (``keeper.store_file``): what ``fsutil.write_bytes`` gave it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from catdetector.monitor.keeper import IMAGE_KEY, ImageKeeper, store_file


def test_a_kept_file_has_its_bytes_the_umask_mode_and_no_temp_left(tmp_path: Path) -> None:
    target = tmp_path / "images" / "ab" / "abcd.jpg"  # folders made as needed
    old = os.umask(0o027)
    try:
        store_file(target, b"first")
        store_file(target, b"second, longer")  # replaces it whole
    finally:
        os.umask(old)
    assert target.read_bytes() == b"second, longer"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0o666 & ~0o027, as open() gives
    assert sorted(p.name for p in target.parent.iterdir()) == ["abcd.jpg"]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a folder where the file should go: the rename fails
    (target / "inside").write_text("x")
    try:
        store_file(target, b"data")
    except OSError:
        pass
    else:
        raise AssertionError("a rename over a non-empty folder must fail")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_the_keeper_stores_an_input_under_its_hash(tmp_path: Path) -> None:
    keeper = ImageKeeper(tmp_path / "images")
    data = Path(__file__).read_bytes()
    record = {"input_sha256": "ff" + "0" * 62}
    keeper.attach(record, data)
    keeper.store(record)
    path = Path(record["image_path"])
    assert IMAGE_KEY not in record and path.read_bytes() == data
    assert path.parent.name == "ff" and path.name == "ff" + "0" * 62 + ".bin"
