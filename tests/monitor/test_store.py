"""The store: migrations on first connect, SQLite WAL, PostgreSQL by URL, duplicates, models."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from catdetector.core.errors import StoreError
from catdetector.monitor import schema, store
from tests.monitor.pg import Postgres
from tests.monitor.records import record


def test_sqlite_file_is_migrated_to_head_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "log.sqlite"
    first = store.open(path)
    first.close()
    again = store.open(path)  # a second open finds the schema at head and changes nothing
    again.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(schema.head(),)]
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"predictions", "feedback", "models", "alembic_version"} <= tables
    con.close()


def test_round_trip_duplicates_and_model_upsert(tmp_path: Path) -> None:
    log = store.open(tmp_path / "log.sqlite")
    rows = [record() for _ in range(3)]
    assert log.insert_predictions(rows) == []
    # A re-sent id is refused alone; the rest of its batch is stored.
    fresh = record()
    assert log.insert_predictions([rows[0], fresh]) == [rows[0]["request_id"]]
    assert log.count_predictions() == 4
    got = log.prediction(fresh["request_id"])
    assert got is not None and got.stats == fresh["stats"] and got.label == "cat"
    assert got.created_at == fresh["created_at"]  # aware UTC in, aware UTC out
    log.upsert_model("v0.1.0", "0" * 32, {"labels": ["cat", "other"]})
    log.upsert_model("v0.1.0", "0" * 32, {"labels": ["cat", "other"], "atc": {"threshold": 0.7}})
    with log.session() as session:
        models = session.scalars(sa.select(store.ServedModel)).all()
    assert len(models) == 1 and models[0].meta["atc"] == {"threshold": 0.7}
    log.close()


@pytest.mark.parametrize(
    "url, text",
    [
        ("mysql://x@127.0.0.1/db", "unsupported database 'mysql'"),
        ("sqlite://", "needs a SQLite file"),
        ("postgresql+nosuchdriver://x@127.0.0.1/db", "cannot use the database"),
        ("postgresql://bob:hunter2@127.0.0.1:notaport/db", "not a database URL or path"),
    ],
)
def test_bad_urls_are_refused_clearly(url: str, text: str) -> None:
    with pytest.raises(StoreError, match=text) as info:
        store.open(url)
    assert "hunter2" not in str(info.value)


def test_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    from tests.support import free_port

    url = f"postgresql://bob:hunter2@127.0.0.1:{free_port()}/db"
    with pytest.raises(StoreError, match="cannot open the prediction log") as info:
        store.open(url)
    assert "hunter2" not in str(info.value) and "***" in str(info.value)


def test_postgres_is_migrated_and_shared(postgres: Postgres) -> None:
    first, second = store.open(postgres.url), store.open(postgres.url)
    first.insert_predictions([record() for _ in range(5)])
    second.insert_predictions([record() for _ in range(7)])
    assert first.count_predictions() == second.count_predictions() == 12
    with first.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == schema.head()
        query = sa.text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'predictions'"
        )
        kinds = {name: kind for name, kind in conn.execute(query)}
    assert kinds["stats"] == "json" and kinds["request_id"] == "character varying"
    first.close()
    second.close()


def test_an_old_log_with_two_labels_for_one_request_upgrades_keeping_both(tmp_path: Path) -> None:
    """0002 adds the unique index; labels that lost the old race move aside, none deleted."""
    from tests.monitor.test_readers import _at_revision

    path = tmp_path / "log.sqlite"
    _at_revision(store.database_url(path), "0001")
    con = sqlite3.connect(path)
    for i, label in enumerate(("cat", "other", "cat")):
        con.execute(
            "INSERT INTO feedback (request_id, label, source, created_at) VALUES (?, ?, ?, ?)",
            ("r" * 32 if i < 2 else "s" * 32, label, "human", "2026-12-01 10:00:00"),
        )
    con.commit()
    con.close()
    log = store.open(path)  # the server's open upgrades to head
    log.close()
    con = sqlite3.connect(path)
    kept = con.execute("SELECT request_id, label FROM feedback ORDER BY id").fetchall()
    aside = con.execute("SELECT request_id, label FROM feedback_duplicates").fetchall()
    con.close()
    assert kept == [("r" * 32, "cat"), ("s" * 32, "cat")] and aside == [("r" * 32, "other")]
