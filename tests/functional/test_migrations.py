"""The alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from trainmeuk_identity.models import metadata

from ..support.app import ROOT, migrate


def test_models_and_migrations_agree(database_url):
    # database_url is migrated to head by the session fixture.
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_one_head_and_every_table_created(database_url):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", f"{ROOT}/alembic")
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables


def test_upgrade_head_on_an_empty_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    migrate(url)
    migrate(url)  # a second run changes nothing and does not fail
    engine = create_engine(url)
    try:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
