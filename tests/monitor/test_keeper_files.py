"""The image keeper stores an input under its hash (written by ``fsutil.write_bytes``)."""

from __future__ import annotations

from pathlib import Path

from catdetector.monitor.keeper import IMAGE_KEY, ImageKeeper


def test_the_keeper_stores_an_input_under_its_hash(tmp_path: Path) -> None:
    keeper = ImageKeeper(tmp_path / "images")
    data = Path(__file__).read_bytes()
    record = {"input_sha256": "ff" + "0" * 62}
    keeper.attach(record, data)
    keeper.store(record)
    path = Path(record["image_path"])
    assert IMAGE_KEY not in record and path.read_bytes() == data
    assert path.parent.name == "ff" and path.name == "ff" + "0" * 62 + ".bin"
