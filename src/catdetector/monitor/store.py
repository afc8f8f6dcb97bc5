"""The prediction store: the monitoring tables (SQLAlchemy 2.0) and :func:`open` by URL.

The tables are created only by the Alembic migrations in ``monitor/migrations``;
:func:`open` (the server's writer, ``monitor migrate``) creates the log and upgrades
it to the newest revision. Readers use :func:`catdetector.monitor.schema.open_read`,
which never writes. A SQLite file (WAL journal) is the default; PostgreSQL is any
``postgresql://`` URL (driven by psycopg 3).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Engine,
    Float,
    Integer,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from catdetector.core import redact
from catdetector.core.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
PRIMARY, SHADOW, CANARY = "primary", "shadow", "canary"
ROLES = (PRIMARY, SHADOW, CANARY)
SERVED = (PRIMARY, CANARY)  # the roles whose answers reached a client
_PG_LOCK_KEY = int.from_bytes(hashlib.sha256(b"catdetector.monitor").digest()[:4], "big")


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the monitoring tables."""


class Prediction(Base):
    """One prediction (one image of a request), or one failed request.

    ``role`` says whose answer it is: ``primary`` (the stage's version), ``canary``
    (served to the client instead of the primary's) or ``shadow`` (a copy of a
    request answered by a candidate, never returned; ``primary_request_id`` names
    the primary record it shadows).
    """

    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    model_version: Mapped[str] = mapped_column(String(128), index=True)
    model_md5: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String, nullable=True)
    input_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stats: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    label: Mapped[str | None] = mapped_column(String(128), nullable=True)
    probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    image_path: Mapped[str | None] = mapped_column(String, nullable=True)
    role: Mapped[str] = mapped_column(
        String(16), index=True, default=PRIMARY, server_default=PRIMARY
    )
    primary_request_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)

    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="ck_predictions_role"),)


class Feedback(Base):
    """The true label of a served prediction, and who said so."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(32), index=True, unique=True)
    label: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServedModel(Base):
    """A model a server loaded: its version, content hash and the bundle's monitoring meta."""

    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("version", "model_md5", name="uq_models_version_md5"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(128), index=True)
    model_md5: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)


# ---------------------------------------------------------------- opening


def database_url(url: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a file path (a path means a SQLite file).

    ``postgresql://`` and ``postgres://`` URLs get the psycopg 3 driver.
    """
    raw = str(url)
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def redacted(url: str | Path) -> str:
    """The database URL for messages and logs, through the one redaction layer.

    Userinfo, ``password=``-like query values and registered secrets are masked, even
    in a URL SQLAlchemy cannot parse (:func:`catdetector.core.redact.redact`).
    """
    return redact.redact(database_url(url))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of the process
    cursor.execute("PRAGMA busy_timeout=30000")  # workers and replicas share one file
    cursor.close()


def backend(url: str | Path) -> str:
    """``sqlite`` or ``postgresql``: the log's database kind, checked without connecting.

    Commands call it before their slow start (a model to load) so a wrong URL is one line.
    """
    try:
        parsed = make_url(database_url(url))
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise StoreError(f"not a database URL or path: {redacted(url)}") from exc
    name = parsed.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {name!r} in {redacted(url)}",
            hint="use a SQLite file path or a postgresql:// URL",
        )
    if name == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StoreError("the prediction log needs a SQLite file, not an in-memory DB")
    return name


def create(url: str | Path, *, connect_timeout: float = 5) -> Engine:
    """An engine for ``url`` (no connection yet): SQLite in WAL mode, or PostgreSQL."""
    kind = backend(url)
    full = database_url(url)
    parsed = make_url(full)
    try:
        if kind == "sqlite":
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(full, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(
            full,
            pool_pre_ping=True,
            pool_size=2,
            connect_args={"connect_timeout": max(1, int(connect_timeout))},
        )
    except (ArgumentError, ImportError, OSError) as exc:
        raise StoreError(f"cannot use the database {redacted(url)}: {exc}") from exc


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive across processes (workers migrating one SQLite file at once)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine) -> None:
    """Run the Alembic migrations up to head (serialised across processes)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    lock: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if engine.dialect.name == "sqlite" and engine.url.database:
        lock = _file_lock(Path(engine.url.database + ".migrate-lock"))
    with lock, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas starting together: the second waits, then finds the schema at head.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open(url: str | Path) -> Store:
    """Connect to ``url``, upgrade its schema to head, and return the store."""
    engine = create(url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(
            f"cannot open the prediction log {redacted(url)}: {reason(exc)}",
            hint="is the database running and reachable?",
        ) from exc
    return Store(engine)


def with_role(
    record: dict[str, Any], role: str = PRIMARY, primary_request_id: str | None = None
) -> dict[str, Any]:
    """``record`` with its ``role`` and ``primary_request_id`` set (ValueError: a bug).

    A shadow record names the primary request it shadows; no other record does.
    """
    if role not in ROLES:
        raise ValueError(f"unknown prediction role {role!r} (one of {', '.join(ROLES)})")
    if (role == SHADOW) != (primary_request_id is not None):
        raise ValueError(
            f"a {role} record {'needs' if role == SHADOW else 'takes no'} primary_request_id"
        )
    record["role"] = role
    record["primary_request_id"] = primary_request_id
    return record


def reason(exc: BaseException) -> str:
    """The first line of what the database driver said."""
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0]


# ---------------------------------------------------------------- the store


class Store:
    """Reads and writes of the monitoring tables over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def session(self) -> Session:
        """A new ORM session (use as a context manager)."""
        return self.sessions()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def insert_predictions(self, rows: Sequence[dict[str, Any]]) -> list[str]:
        """Insert prediction rows in one transaction; the request ids refused as duplicates.

        A row without ``role`` is a primary one (see :func:`with_role`).

        When the batch holds a request id already stored (a client re-sent its
        ``X-Request-ID``), the rows are inserted one by one and the duplicates skipped.
        """
        if not rows:
            return []
        for row in rows:  # one shape for the whole batch: older callers set no role
            with_role(row, row.get("role", PRIMARY), row.get("primary_request_id"))
        table = Prediction.__table__
        assert isinstance(table, Table)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(table), list(rows))
            return []
        except IntegrityError:
            pass
        duplicates = []
        with self.engine.connect() as conn:
            for row in rows:
                try:
                    with conn.begin():
                        conn.execute(insert(table), [row])
                except IntegrityError:
                    duplicates.append(str(row["request_id"]))
        return duplicates

    def upsert_model(
        self, version: str, model_md5: str, meta: dict[str, Any], loaded_at: datetime | None = None
    ) -> None:
        """Record that (version, md5) was loaded now, with its meta (one row per pair)."""
        when = loaded_at or utcnow()
        for _ in range(2):  # a second replica may insert the same pair between our two steps
            with self.session() as session, session.begin():
                row = session.scalars(
                    select(ServedModel).where(
                        ServedModel.version == version, ServedModel.model_md5 == model_md5
                    )
                ).first()
                if row is not None:
                    row.loaded_at, row.meta = when, meta
                    return
                try:
                    session.add(
                        ServedModel(version=version, model_md5=model_md5, loaded_at=when, meta=meta)
                    )
                    session.flush()
                    return
                except IntegrityError:
                    session.rollback()
        raise StoreError(f"could not record model {version} ({model_md5}) in {self.url}")

    def prediction(self, request_id: str) -> Prediction | None:
        """The prediction of ``request_id``, if stored."""
        with self.session() as session:
            return session.scalars(
                select(Prediction).where(Prediction.request_id == request_id)
            ).first()

    def model(self, version: str, model_md5: str) -> ServedModel | None:
        """The ``models`` row of (version, md5), if recorded."""
        with self.session() as session:
            return session.scalars(
                select(ServedModel).where(
                    ServedModel.version == version, ServedModel.model_md5 == model_md5
                )
            ).first()

    def count_predictions(
        self, model_version: str | None = None, roles: Sequence[str] | None = None
    ) -> int:
        """How many prediction records (of one version, or all; of ``roles``, or any)."""
        query = select(func.count()).select_from(Prediction)
        if model_version is not None:
            query = query.where(Prediction.model_version == model_version)
        if roles is not None:
            query = query.where(Prediction.role.in_(list(roles)))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def request_ids(self) -> set[str]:
        """Every stored request id."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(Prediction.request_id)).scalars())
