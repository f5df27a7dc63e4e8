"""Alembic migrations: upgrade, downgrade and re-upgrade, and a schema that matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, MetaData, String, inspect, text

from storage.database import SqlDatabase
from storage.migrate import alembic_config, migrate
from storage.tables import Base

APP_TABLES = {"comments", "drafts", "fsm_states", "residents", "tracking_sequences", "staff", "audit_log",
              "answers", "notifications", "draft_versions", "ratings", "draft_readers"}


async def _tables(db: SqlDatabase) -> set[str]:
    async with db.read_engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def _versions(db: SqlDatabase) -> list[str]:
    async with db.read_engine.connect() as connection:
        return list((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def _differences(db: SqlDatabase, metadata: MetaData) -> list[object]:
    def compare(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    async with db.read_engine.connect() as connection:
        return await connection.run_sync(compare)


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """Migration tests start from a database with no tables at all (others get a migrated copy)."""
    return empty_database_url


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_upgrade_creates_every_table_and_records_head(db: SqlDatabase) -> None:
    assert await _tables(db) == APP_TABLES | {"alembic_version"}
    assert await _versions(db) == [_head()]


async def test_upgrade_again_is_a_no_op(db: SqlDatabase) -> None:
    # The bot migrates at every start.
    await migrate(db.write_engine)
    assert await _tables(db) == APP_TABLES | {"alembic_version"}
    assert await _versions(db) == [_head()]


async def test_downgrade_to_base_drops_every_table_but_an_empty_alembic_version(db: SqlDatabase) -> None:
    await migrate(db.write_engine, "base", downgrade=True)
    assert await _tables(db) == {"alembic_version"}
    assert await _versions(db) == []


async def test_upgrade_after_downgrade_restores_the_schema(db: SqlDatabase) -> None:
    await migrate(db.write_engine, "base", downgrade=True)
    await migrate(db.write_engine)
    assert await _tables(db) == APP_TABLES | {"alembic_version"}
    assert await _versions(db) == [_head()]
    assert await _differences(db, Base.metadata) == []


async def test_migrated_schema_matches_the_models(db: SqlDatabase) -> None:
    assert await _differences(db, Base.metadata) == []


async def test_schema_comparison_does_notice_a_difference(db: SqlDatabase) -> None:
    # Guards the test above: compare_metadata must see a column the migrations never made.
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["residents"].append_column(Column("nickname", String(50), nullable=True))

    differences = await _differences(db, metadata)

    assert len(differences) == 1
    kind, _schema, table_name, column = differences[0]  # type: ignore[misc]
    assert (kind, table_name, column.name) == ("add_column", "residents", "nickname")


async def test_drafts_published_before_versions_become_version_one(database_url: str) -> None:
    """0002 adds draft versions: a draft stored under 0001 must get its version-1 row."""
    db = SqlDatabase(database_url)
    try:
        await migrate(db.write_engine, "0001")
        async with db.write_engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO drafts (id, title, summary, note, source, opens_at, closes_at, status, created_at) "
                "VALUES (7, 't', 's', 'n', 'src', '2026-01-01', '2026-02-01', 'open', '2026-01-01')"))
        await migrate(db.write_engine)
        async with db.read_engine.connect() as connection:
            rows = (await connection.execute(text("SELECT draft_id, version, source FROM draft_versions"))).all()
            version = (await connection.execute(text("SELECT version FROM drafts WHERE id = 7"))).scalar_one()
        assert rows == [(7, 1, "src")] and version == 1
    finally:
        await db.dispose()
