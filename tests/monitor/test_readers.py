"""Readers read: report, watch, feedback export and the dashboard never create or migrate.

A missing log is one line; a file that is not a log is refused untouched; a log whose
schema is behind is refused with the command that upgrades it (`monitor migrate`),
on SQLite and on PostgreSQL (whose schema is left as it was).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from catdetector.core.errors import StoreError
from catdetector.monitor import schema
from catdetector.monitor import store as store_mod
from tests.monitor.pg import Postgres
from tests.monitor.records import record
from tests.support import cli

READERS = (
    ("monitor", "report"),
    ("monitor", "watch", "--max-checks", "1"),
    ("feedback", "export", "OUT"),
)


def _run(tmp_path: Path, args: tuple[str, ...], log_db: str) -> tuple[int, str]:
    argv = [a if a != "OUT" else str(tmp_path / "out") for a in args]
    done = cli(*argv, "--log-db", log_db, cwd=tmp_path, check=False)
    return done.returncode, done.stderr


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def _at_revision(url: str, revision: str) -> None:
    """A log made by an older catdetector: the migrations up to ``revision`` only."""
    engine = store_mod.create(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(store_mod.MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a[:2]))
def test_a_missing_log_is_one_line_and_never_created(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "nowhere" / "log.sqlite"
    code, err = _run(tmp_path, args, str(missing))
    assert code == StoreError.exit_code, err
    assert f"no prediction log at {missing}" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2  # the error and its hint
    assert not missing.parent.exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a[:2]))
def test_a_file_that_is_not_a_log_is_refused_untouched(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    text = folder / "notes.txt"
    text.write_text("not a database\n" * 100)
    other = folder / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE users (name TEXT)")
    con.commit()
    con.close()
    before = _snapshot(folder)
    for path, says in ((text, "is not a prediction log"), (other, "holds no prediction log")):
        code, err = _run(tmp_path, args, str(path))
        assert code == StoreError.exit_code, err
        assert says in err and "untouched" in err and "Traceback" not in err
    assert _snapshot(folder) == before  # same files, same bytes: nothing created or migrated


@pytest.mark.slow
def test_a_log_behind_names_the_upgrade_and_migrate_does_it(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite"
    _at_revision(store_mod.database_url(db), "0001")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for args in READERS:
        code, err = _run(tmp_path, args, str(db))
        assert code == StoreError.exit_code, err
        assert f"schema revision 0001, behind this catdetector's {schema.head()}" in err
        assert f"catdetector monitor migrate --log-db {db}" in err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    done = cli("monitor", "migrate", "--log-db", str(db), cwd=tmp_path)
    assert f"upgraded 0001 -> {schema.head()}" in done.stdout
    again = cli("monitor", "migrate", "--log-db", str(db), cwd=tmp_path)
    assert "already" in again.stdout
    report = cli("monitor", "report", "--log-db", str(db), cwd=tmp_path)
    assert "no predictions logged" in report.stdout


def test_migrate_creates_a_log_and_refuses_a_foreign_database(tmp_path: Path) -> None:
    db = tmp_path / "new" / "log.sqlite"
    done = cli("monitor", "migrate", "--log-db", str(db), cwd=tmp_path)
    assert f"created at revision {schema.head()}" in done.stdout and db.is_file()
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE users (name TEXT)")
    con.commit()
    con.close()
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    refused = cli("monitor", "migrate", "--log-db", str(other), cwd=tmp_path, check=False)
    assert refused.returncode == StoreError.exit_code
    assert "holds other tables (users)" in refused.stderr
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before


def test_a_read_only_store_cannot_write(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite"
    writer = store_mod.open(db)
    writer.insert_predictions([record()])
    writer.close()
    reader = schema.open_read(db)
    assert reader.count_predictions() == 1
    with pytest.raises(sa.exc.OperationalError, match="readonly"):
        reader.insert_predictions([record()])
    reader.close()


def _pg_tables(url: str) -> dict[str, str | None]:
    engine = sa.create_engine(store_mod.database_url(url))
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        version = None
        if "alembic_version" in tables:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        found = [ix for t in tables for ix in sa.inspect(conn).get_indexes(t)]
        indexes = {str(ix["name"]): str(ix["unique"]) for ix in found}
    engine.dispose()
    return {"tables": ",".join(sorted(tables)), "version": version, **indexes}


@pytest.mark.slow
def test_postgres_readers_leave_the_schema_alone(tmp_path: Path, postgres: Postgres) -> None:
    empty = _pg_tables(postgres.url)
    code, err = _run(tmp_path, READERS[0], postgres.url)
    assert code == StoreError.exit_code and "holds no prediction log" in err
    assert _pg_tables(postgres.url) == empty  # nothing created
    _at_revision(store_mod.database_url(postgres.url), "0001")
    old = _pg_tables(postgres.url)
    assert old["version"] == "0001"
    for args in READERS:
        code, err = _run(tmp_path, args, postgres.url)
        assert code == StoreError.exit_code, err
        assert "behind" in err and "catdetector monitor migrate" in err
    assert _pg_tables(postgres.url) == old  # not migrated by a reader
    reader_engine = schema._engine(postgres.url)[0]
    with reader_engine.connect() as conn, pytest.raises(sa.exc.InternalError, match="read-only"):
        conn.execute(sa.text("CREATE TABLE intruder (x int)"))
    reader_engine.dispose()
    cli("monitor", "migrate", "--log-db", postgres.url, cwd=tmp_path)
    assert _pg_tables(postgres.url)["version"] == schema.head()


def test_the_dashboard_reads_only(tmp_path: Path) -> None:
    """The dashboard's summary opens the log read-only: a missing or outdated log stays so."""
    from catdetector.core.config import build_serve_settings
    from catdetector.serve.dashboard import Summary

    missing = tmp_path / "nowhere" / "log.sqlite"
    summary = Summary(build_serve_settings(log_db=str(missing)), holder=None)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="no prediction log at"):
        summary._open()
    assert not missing.parent.exists()
    old = tmp_path / "old.sqlite"
    _at_revision(store_mod.database_url(old), "0001")
    before = hashlib.sha256(old.read_bytes()).hexdigest()
    summary = Summary(build_serve_settings(log_db=str(old)), holder=None)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="catdetector monitor migrate"):
        summary._open()
    assert hashlib.sha256(old.read_bytes()).hexdigest() == before
