"""The log's schema revision, read-only opening for readers, and the explicit upgrade.

Readers (``monitor report``, ``monitor watch``, ``feedback export``, the dashboard)
open the log with :func:`open_read`: a SQLite file in ``mode=ro``, a PostgreSQL
session with ``default_transaction_read_only``. It never creates, migrates or
writes; a missing log, a file that is not a log, or a schema that is behind is a
one-line :class:`StoreError` that names what to do. Only the server and
``catdetector monitor migrate`` (:func:`migrate`) create or upgrade the schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from catdetector.core.errors import StoreError
from catdetector.monitor import store as store_mod
from catdetector.monitor.store import MIGRATIONS, Store

REQUIRED = ("predictions", "feedback", "models", "alembic_version")


def revisions() -> list[str]:
    """Every revision of the migrations, oldest first (the last is the head)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head() -> str:
    """The schema revision this catdetector writes and reads."""
    return revisions()[-1]


def upgrade_hint(where: str) -> str:
    """What to run to bring the log at ``where`` to the head revision."""
    return (
        f"upgrade it with `catdetector monitor migrate --log-db {where}` "
        "(or start `catdetector serve` on it)"
    )


def _busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # the server may be writing
    cursor.close()


def _engine(url: str | Path) -> tuple[Engine, str]:
    """A read-only engine for ``url`` and how to name it in messages."""
    full = store_mod.database_url(url)
    shown = store_mod.redacted(url)
    backend = store_mod.backend(url)  # the one URL check: a clear line, nothing secret
    parsed = make_url(full)
    if backend == "sqlite":
        path = Path(str(parsed.database))  # a file: ``backend`` refused the in-memory kinds
        if not path.is_file():
            raise StoreError(
                f"no prediction log at {path}",
                hint="pass --log-db FILE_OR_URL (the server's --log-db) or set CATDETECTOR_LOG_DB",
            )
        engine = create_engine(
            f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true", connect_args={"timeout": 30}
        )
        event.listen(engine, "connect", _busy_timeout)
        return engine, str(path)
    store_mod.create(url).dispose()  # the driver is there (a clear error if not)
    return (
        create_engine(
            full,
            pool_pre_ping=True,
            pool_size=2,
            connect_args={
                "connect_timeout": 5,
                "options": "-c default_transaction_read_only=on",
            },
        ),
        shown,
    )


def revision_of(engine: Engine, shown: str) -> str:
    """The schema revision of a log (StoreError when it is not a prediction log)."""
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            missing = [t for t in REQUIRED if t not in tables]
            if len(missing) == len(REQUIRED):
                raise StoreError(
                    f"{shown} holds no prediction log (no catdetector tables); left untouched",
                    hint="pass the server's --log-db, or start the server on it first",
                )
            if missing:
                raise StoreError(
                    f"{shown} is not a prediction log (no table {', '.join(missing)}); "
                    "left untouched"
                )
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except StoreError:
        raise
    except SQLAlchemyError as exc:
        why = store_mod.reason(exc)
        if "not a database" in why:
            raise StoreError(f"{shown} is not a prediction log ({why}); left untouched") from exc
        raise StoreError(
            f"cannot read the prediction log {shown}: {why}",
            hint="is the database running and reachable?",
        ) from exc
    if len(found) != 1:
        raise StoreError(f"{shown} is not a prediction log (schema revision {found}); untouched")
    return str(found[0])


def open_read(url: str | Path) -> Store:
    """Open the log at ``url`` for reading only: never creates, migrates or writes.

    StoreError (one line, the database untouched) when it is missing, is not a
    prediction log, or has a schema behind (or ahead of) this catdetector.
    """
    engine, shown = _engine(url)
    try:
        found = revision_of(engine, shown)
        known = revisions()
        if found != known[-1]:
            if found in known:
                raise StoreError(
                    f"the prediction log {shown} has schema revision {found}, behind this "
                    f"catdetector's {known[-1]}",
                    hint=upgrade_hint(shown),
                )
            raise StoreError(
                f"the prediction log {shown} has schema revision {found}, unknown to this "
                f"catdetector (newest known: {known[-1]})",
                hint="it was written by a newer catdetector: upgrade catdetector",
            )
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


def _tables(url: str | Path) -> tuple[set[str], str | None]:
    """The tables of an existing database, and its revision; (empty, None) when no file yet."""
    full = store_mod.database_url(url)
    if full.startswith("sqlite:///") and not Path(full.removeprefix("sqlite:///")).exists():
        return set(), None
    engine, shown = _engine(url)  # read-only: a foreign file is refused before any write
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            revision = None
            if "alembic_version" in tables:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open {shown}: {store_mod.reason(exc)}; left untouched") from exc
    finally:
        engine.dispose()
    return tables, revision


def migrate(url: str | Path) -> tuple[str | None, str]:
    """Create or upgrade the log at ``url`` to the head; (revision before or None, after)."""
    shown = store_mod.redacted(url)
    tables, before = _tables(url)
    if tables and before is None:
        raise StoreError(
            f"{shown} holds other tables ({', '.join(sorted(tables))}) and no prediction log; "
            "left untouched"
        )
    if before is not None and before not in revisions():
        raise StoreError(
            f"the prediction log {shown} has schema revision {before}, unknown to this "
            "catdetector",
            hint="it was written by a newer catdetector: upgrade catdetector",
        )
    engine = store_mod.create(url)
    try:
        store_mod.upgrade(engine)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot upgrade the prediction log {shown}: {store_mod.reason(exc)}"
        ) from exc
    finally:
        engine.dispose()
    return before, head()
