"""`feedback export` trusts nothing it reads from the log: crafted rows are skipped, named."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from catdetector.monitor import store
from catdetector.monitor.store import Feedback, utcnow
from tests.monitor.records import record
from tests.serve.serving import png
from tests.support import cli


def _kept(images: Path, data: bytes) -> tuple[str, Path]:
    sha = hashlib.sha256(data).hexdigest()
    path = images / sha[:2] / f"{sha}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha, path


def test_crafted_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    images, dest, outside = tmp_path / "images", tmp_path / "export", tmp_path / "outside"
    outside.mkdir()
    dest.mkdir()
    (outside / "victim").mkdir()
    (dest / "other").symlink_to(outside / "victim")  # a label folder leading out of DEST
    good = [_kept(images, png(seed=900 + i)) for i in range(3)]
    # a file in an images-like folder elsewhere, and a link in the images folder to a secret
    stray_data = png(seed=950)
    stray_sha, stray = _kept(outside / "kept", stray_data)
    secret = outside / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    linked_sha = hashlib.sha256(secret.read_bytes()).hexdigest()
    (images / linked_sha[:2]).mkdir(exist_ok=True)
    (images / linked_sha[:2] / f"{linked_sha}.png").symlink_to(secret)
    # the content at the right place does not hash to the row's sha
    wrong_sha = "c" * 64
    (images / "cc").mkdir(exist_ok=True)
    (images / "cc" / f"{wrong_sha}.png").write_bytes(png(seed=960))
    rows = {
        "good0": record(input_sha256=good[0][0], image_path=str(good[0][1])),
        "good1": record(input_sha256=good[1][0], image_path=str(good[1][1])),
        "dots": record(input_sha256="../../..", image_path=str(images / "../../../x.png")),
        "passwd": record(input_sha256=good[2][0], image_path="/etc/passwd"),
        "stray": record(input_sha256=stray_sha, image_path=str(stray)),
        "linked": record(
            input_sha256=linked_sha, image_path=str(images / linked_sha[:2] / f"{linked_sha}.png")
        ),
        "mismatch": record(
            input_sha256=wrong_sha, image_path=str(images / "cc" / f"{wrong_sha}.png")
        ),
        "label": record(input_sha256=good[2][0], image_path=str(good[2][1])),
        "symlinked_label": record(input_sha256=good[2][0], image_path=str(good[2][1])),
    }
    labels = {"label": "../../evil", "symlinked_label": "other"}
    db = tmp_path / "log.sqlite"
    log = store.open(db)
    log.insert_predictions(list(rows.values()))
    with log.session() as session, session.begin():
        for name, row in rows.items():
            session.add(
                Feedback(
                    request_id=row["request_id"],
                    label=labels.get(name, "cat"),
                    source="human",
                    created_at=utcnow(),
                )
            )
    log.close()
    before_outside = sorted(str(p) for p in outside.rglob("*"))

    done = cli("feedback", "export", str(dest), "--log-db", str(db), "--json", cwd=tmp_path)
    summary = json.loads(done.stdout)
    assert sorted(summary["written"]) == sorted(f"cat/{sha}.png" for sha, _ in good[:2])
    refused = {r["request_id"]: r["reason"] for r in summary["refused_rows"]}
    by_name = {name: refused.get(row["request_id"], "") for name, row in rows.items()}
    assert by_name["good0"] == by_name["good1"] == ""
    assert "is not a sha256" in by_name["dots"]
    assert "is not <sha256>.<image extension>" in by_name["passwd"]
    assert "outside the images folder" in by_name["stray"]
    assert "outside the images folder" in by_name["linked"]
    assert "does not hash to its sha256" in by_name["mismatch"]
    assert "cannot be a folder name" in by_name["label"]
    assert f"outside {dest}" in by_name["symlinked_label"]
    for name in ("dots", "passwd", "stray", "linked", "mismatch", "label", "symlinked_label"):
        assert rows[name]["request_id"] in done.stderr, name  # each named on stderr
    # nothing read from outside, nothing written outside DEST
    assert sorted(str(p) for p in outside.rglob("*")) == before_outside
    exported = [p for p in dest.rglob("*") if p.is_file() and not p.is_symlink()]
    for path in exported:
        assert b"root:x:0:0" not in path.read_bytes()
    assert not (tmp_path / "evil").exists()
    manifest = json.loads((dest / "provenance.json").read_text())["files"]
    assert sorted(manifest) == sorted(summary["written"])
    assert os.listdir(outside / "victim") == []
