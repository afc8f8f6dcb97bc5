"""Migration 0003: every prediction gets a role (primary, canary, shadow) and a shadow its primary.

An old log (revision 0002) is refused by readers until `catdetector monitor migrate`
upgrades it, on SQLite and on PostgreSQL; its rows become primary ones. Readers
count what was served (primary and canary answers), never a shadow's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from catdetector.core.config import MonitorParams
from catdetector.core.errors import FeedbackError, StoreError
from catdetector.monitor import feedback, report, schema
from catdetector.monitor import store as store_mod
from catdetector.monitor.writer import LogWriter
from tests.monitor.pg import Postgres
from tests.monitor.records import record
from tests.monitor.test_readers import _at_revision
from tests.support import cli

OLD_ROW = (
    "INSERT INTO predictions (request_id, created_at, model_version, model_md5, status, "
    "latency_ms, label, probability, confidence) VALUES "
    "(:rid, '2026-12-01 10:00:00', 'v1', :md5, 200, 2.5, 'cat', 0.9, 0.9)"
)


def _old_log(url: str) -> None:
    """A log written by a catdetector at revision 0002, holding two predictions."""
    full = store_mod.database_url(url)
    _at_revision(full, "0002")
    engine = sa.create_engine(full)
    with engine.begin() as conn:
        for rid in ("a" * 32, "b" * 32):
            conn.execute(sa.text(OLD_ROW), {"rid": rid, "md5": "0" * 32})
    engine.dispose()


def _roles(url: str) -> list[tuple[str, str, str | None]]:
    engine = sa.create_engine(store_mod.database_url(url))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT request_id, role, primary_request_id FROM predictions ORDER BY id")
        )
        out = [(str(r[0]), str(r[1]), r[2]) for r in rows]
    engine.dispose()
    return out


def _upgrade_and_check(tmp_path: Path, url: str) -> None:
    _old_log(url)
    refused = cli("monitor", "report", "--log-db", url, cwd=tmp_path, check=False)
    assert refused.returncode == StoreError.exit_code
    assert f"schema revision 0002, behind this catdetector's {schema.head()}" in refused.stderr
    done = cli("monitor", "migrate", "--log-db", url, cwd=tmp_path)
    assert f"upgraded 0002 -> {schema.head()}" in done.stdout
    assert schema.head() == "0003"
    assert _roles(url) == [("a" * 32, "primary", None), ("b" * 32, "primary", None)]
    log = store_mod.open(url)
    try:
        log.insert_predictions([store_mod.with_role(record(), "shadow", "a" * 32)])
        with pytest.raises(ValueError, match="unknown prediction role 'champion'"):
            log.insert_predictions([record(role="champion")])
        with pytest.raises(sa.exc.IntegrityError), log.engine.begin() as conn:
            conn.execute(  # the CHECK constraint holds on both databases
                sa.text(OLD_ROW.replace("status,", "status, role,").replace("200,", "200, 'x',")),
                {"rid": "c" * 32, "md5": "0" * 32},
            )
        assert log.count_predictions(roles=["shadow"]) == 1
        assert log.count_predictions(roles=store_mod.SERVED) == 2
    finally:
        log.close()
    shown = cli("monitor", "report", "--json", "--log-db", url, cwd=tmp_path, check=False)
    versions = {v["version"]: v for v in json.loads(shown.stdout)}
    assert versions["v1"]["requests"] == 2 and versions["v1"]["roles"] == {"primary": 2}
    assert "v0.1.0" not in versions  # the shadow record is no served answer


def test_sqlite_log_at_0002_upgrades_and_old_rows_are_primary(tmp_path: Path) -> None:
    _upgrade_and_check(tmp_path, str(tmp_path / "log.sqlite"))


def test_postgres_log_at_0002_upgrades_and_old_rows_are_primary(
    tmp_path: Path, postgres: Postgres
) -> None:
    _upgrade_and_check(tmp_path, postgres.url)
    engine = sa.create_engine(store_mod.database_url(postgres.url))
    with engine.connect() as conn:
        indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("predictions")}
    engine.dispose()
    assert {"ix_predictions_role", "ix_predictions_primary_request_id"} <= indexes


def test_the_writer_records_roles_and_refuses_an_inconsistent_one(tmp_path: Path) -> None:
    writer = LogWriter(tmp_path / "log.sqlite", interval=0.01)
    writer.start()
    try:
        primary, canary, shadow = record(), record(model_version="v2"), record(model_version="v2")
        assert writer.submit(primary)
        assert writer.submit(canary, role="canary")
        assert writer.submit(shadow, role="shadow", primary_request_id=primary["request_id"])
        with pytest.raises(ValueError, match="shadow record needs primary_request_id"):
            writer.submit(record(), role="shadow")
        with pytest.raises(ValueError, match="canary record takes no primary_request_id"):
            writer.submit(record(), role="canary", primary_request_id="x" * 32)
        with pytest.raises(ValueError, match="unknown prediction role 'champion'"):
            writer.submit(record(), role="champion")
        assert writer.flush()
    finally:
        writer.close()
    assert _roles(str(tmp_path / "log.sqlite")) == [
        (primary["request_id"], "primary", None),
        (canary["request_id"], "canary", None),
        (shadow["request_id"], "shadow", primary["request_id"]),
    ]
    assert writer.dropped == 0


def test_readers_count_served_answers_never_a_shadow(tmp_path: Path) -> None:
    """report: primary and canary answers each under their version; shadows not at all."""
    path = tmp_path / "log.sqlite"
    log = store_mod.open(path)
    primaries = [record(model_version="v1") for _ in range(5)]
    canaries = [store_mod.with_role(record(model_version="v2"), "canary") for _ in range(3)]
    shadows = [
        store_mod.with_role(record(model_version="v3"), "shadow", p["request_id"])
        for p in primaries
    ]
    log.insert_predictions(primaries + canaries + shadows)
    log.close()
    reader = schema.open_read(path)
    try:
        built = report.build(reader, MonitorParams(min_samples=1))
        got = {v.version: (v.requests, v.roles) for v in built.versions}
        assert got == {"v1": (5, {"primary": 5}), "v2": (3, {"canary": 3})}
        assert len(report.read_rows(reader, roles=None)) == 13
        assert reader.count_predictions("v3") == 5
        assert reader.count_predictions("v3", roles=store_mod.SERVED) == 0
    finally:
        reader.close()
    writer = store_mod.open(path)
    try:
        shadow = feedback.find_prediction(writer, shadows[0]["request_id"])
        with pytest.raises(FeedbackError, match="is a shadow prediction, never served") as exc:
            feedback.add(writer, shadow, "cat", "human", ["cat", "other"])
        assert exc.value.status == 409 and primaries[0]["request_id"] in str(exc.value)
        canary = feedback.find_prediction(writer, canaries[0]["request_id"])
        assert feedback.add(writer, canary, "cat", "human", ["cat", "other"]).label == "cat"
    finally:
        writer.close()
