"""The image keeper stores an input under its hash (written by ``fsutil.write_bytes``)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

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


def test_a_batch_s_records_are_committed_only_after_its_files(tmp_path: Path) -> None:
    """The writer keeps a batch's inputs in one group commit, before the batch's INSERT:
    each record's file is in place, whole, when the statement naming it runs (observed
    through SQLAlchemy's own event on the real SQLite store)."""
    from sqlalchemy import event

    from catdetector.monitor import store
    from catdetector.monitor.writer import LogWriter
    from tests.monitor.records import record

    images = tmp_path / "images"
    contents: dict[str, bytes] = {}
    checked: list[str] = []

    def check(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "INSERT INTO predictions" not in statement:
            return
        for value in _flat(parameters):
            if isinstance(value, str) and value.startswith(str(images)):
                assert Path(value).read_bytes() == contents[Path(value).stem]
                checked.append(value)
        assert not list(images.rglob("*.tmp"))

    def opener(url: str | Path) -> store.Store:
        log = store.open(url)
        event.listen(log.engine, "before_cursor_execute", check)
        return log

    keeper = ImageKeeper(images)
    writer = LogWriter(tmp_path / "log.sqlite", keeper=keeper, batch_size=50, opener=opener)
    rows = []
    for i in range(40):
        data = bytes([i]) * (1000 + i)
        sha = hashlib.sha256(data).hexdigest()
        contents[sha] = data
        row = record(input_sha256=sha)
        keeper.attach(row, data)
        rows.append(row)
    duplicate = record(input_sha256=rows[0]["input_sha256"])
    keeper.attach(duplicate, contents[rows[0]["input_sha256"]])  # the same input twice
    writer.start()
    for row in [*rows, duplicate]:
        assert writer.submit(row)
    writer.close()
    assert len(checked) == 41 and len(set(checked)) == 40
    assert keeper.metrics.kept._value.get() == 40
    assert len(list(images.rglob("*.bin"))) == 40


def _flat(parameters: Any) -> list[Any]:
    """The values of one statement's parameters (a row, or the rows of an executemany)."""
    if isinstance(parameters, dict):
        return list(parameters.values())
    out: list[Any] = []
    for item in parameters:
        out += _flat(item) if isinstance(item, (dict, list, tuple)) else [item]
    return out
