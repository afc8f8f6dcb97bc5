"""``fsutil.write_files``: several files in one group commit, each as ``write_bytes`` writes one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from catdetector.core import fsutil


def test_every_file_is_written_whole_with_the_mode_open_gives(tmp_path: Path) -> None:
    items = [
        (tmp_path / f"{i % 7:02x}" / f"f{i}.bin", bytes([i % 256]) * (i * 37)) for i in range(150)
    ]
    assert len(items) > 2 * fsutil.GROUP  # several groups
    old = os.umask(0o027)
    try:
        errors = fsutil.write_files(items)
    finally:
        os.umask(old)
    assert errors == [None] * len(items)
    for path, data in items:
        assert path.read_bytes() == data
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_file_that_cannot_be_written_fails_alone_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_bytes(b"")
    items = [
        (tmp_path / "a" / "one.bin", b"1"),
        (tmp_path / "not-a-folder" / "two.bin", b"2"),  # its folder is a file
        (tmp_path / "a" / "three.bin", b"3"),
    ]
    errors = fsutil.write_files(items)
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], OSError)
    assert (tmp_path / "a" / "one.bin").read_bytes() == b"1"
    assert (tmp_path / "a" / "three.bin").read_bytes() == b"3"
    assert not list(tmp_path.rglob("*.tmp"))
