"""The migrations, applied in order from an empty database, build exactly the schema the models describe."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from store.db import alembic_config, make_engine
from store.models import Base


def test_one_linear_chain_of_revisions():
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"
    revisions = list(script.walk_revisions())
    assert all(len(r._all_down_revisions) <= 1 for r in revisions), "a merge revision: keep the chain linear"


def test_migrated_schema_matches_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ (run `make migration MSG=…`): {diff}"


def test_upgrading_sqlite_keeps_rows_that_point_at_rebuilt_tables(tmp_path):
    """SQLite batch mode rebuilds `listings` in 0005: with foreign keys on, that used to cascade-delete every
    custody entry written before it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0003_audit_chain")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO listings (id, platform, platform_listing_id, url, title, text, content_hash, phones, handles, "
            "extra, first_seen, last_seen) VALUES (1, 'olx', 'A', 'u', 't', '', 'x', '[]', '[]', '{}', "
            "'2025-01-01 00:00:00.000000', '2025-01-01 00:00:00.000000')")
        conn.exec_driver_sql("INSERT INTO custody_events (listing_id, at, actor, action, details, entry_hash) "
                             "VALUES (1, '2025-01-01 00:00:00.000000', 'a', 'captured', '{}', 'h')")
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM custody_events").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
