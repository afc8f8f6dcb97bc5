"""A folder's content hash is DVC's own: what `dvc add` records, file for file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from catdetector.core.errors import IntegrityError
from catdetector.model import content
from tests.support import git, run


def test_dir_hash_is_what_dvc_records_and_any_change_is_refused(tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    run(["dvc", "init", "-q"], tmp_path)
    bundle = tmp_path / "bundle"
    (bundle / "sub").mkdir(parents=True)
    (bundle / "model.json").write_text('{"a": 1}\n')
    (bundle / "model.skops").write_bytes(bytes(range(256)) * 40)
    (bundle / "sub" / "extra.bin").write_bytes(b"\x00\r\n")  # no dos2unix: DVC 3's md5
    run(["dvc", "add", "-q", "bundle"], tmp_path)
    recorded = yaml.safe_load((tmp_path / "bundle.dvc").read_text())["outs"][0]["md5"]

    listing = content.verify(bundle, recorded, what="the test bundle")
    assert listing.md5 == recorded and set(listing.files) == {
        "model.json",
        "model.skops",
        "sub/extra.bin",
    }
    content.verify(bundle, recorded.removesuffix(".dir"), what="the test bundle")

    copy = tmp_path / "copy"
    run(["cp", "-rL", str(bundle), str(copy)], tmp_path)  # DVC may have linked the files
    (copy / "model.json").write_text('{"a": 2}\n')
    with pytest.raises(IntegrityError, match="is not what was registered"):
        content.verify(copy, recorded, what="the edited copy")
    (copy / "model.json").write_text('{"a": 1}\n')
    content.verify(copy, recorded, what="the restored copy")
    (copy / "stowaway").write_text("x")
    with pytest.raises(IntegrityError):
        content.verify(copy, recorded, what="a copy with one file more")
