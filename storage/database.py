"""Engines and transactions. Implements drafts.ports.Database.

SQLite (the embedded default) allows one writer at a time: a write transaction starts with
BEGIN IMMEDIATE so it takes the write lock up front and waits (busy timeout) instead of
failing half-way with "database is locked"; reads use a second engine with ordinary
deferred transactions, which WAL lets run beside a writer. PostgreSQL uses one engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.answer_repository import SqlAnswerRepository, SqlOutbox
from storage.comment_repository import SqlCommentRepository
from storage.draft_repository import SqlDraftRepository
from storage.resident_repository import SqlResidentRepository
from storage.staff_repository import SqlAuditRepository, SqlStaffRepository
from storage.synthesis_repository import SqlSynthesisRepository

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _sqlite_engine(url: str, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see its SQLite docs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# DATABASE_URL may name just the database ("postgresql://…", as hosting services hand it out);
# the bot needs the async driver of each.
ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


def async_url(url: str) -> str:
    parsed = make_url(url)
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


class SqlDatabase:
    def __init__(self, url: str) -> None:
        url = async_url(url)
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.write_engine = self.read_engine = create_async_engine(url, pool_pre_ping=True)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    def read(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._read_sessions)

    def write(self) -> SqlUnitOfWork:
        # SQLite's write lock already runs write transactions one at a time; PostgreSQL locks rows.
        return SqlUnitOfWork(self._write_sessions, lock_rows=not self.is_sqlite)

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        """Bare write sessions, for storage's own components (the FSM storage)."""
        return self._write_sessions

    @property
    def read_session_factory(self) -> async_sessionmaker[AsyncSession]:
        return self._read_sessions

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], lock_rows: bool = False) -> None:
        self._sessions = sessions
        self._lock_rows = lock_rows

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        self.drafts = SqlDraftRepository(self.session)
        self.comments = SqlCommentRepository(self.session)
        self.residents = SqlResidentRepository(self.session, self._lock_rows)
        self.staff = SqlStaffRepository(self.session)
        self.audit = SqlAuditRepository(self.session)
        self.answers = SqlAnswerRepository(self.session, self._lock_rows)
        self.outbox = SqlOutbox(self.session)
        self.synthesis = SqlSynthesisRepository(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Closing without commit() rolls back: nothing half-done is ever kept.
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
