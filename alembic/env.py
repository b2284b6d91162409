"""Alembic environment: the database URL comes from the application's settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from trainmeuk_identity.models import metadata

config = context.config


def database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return url
    from pyramid.paster import get_appsettings

    from trainmeuk_identity.settings import load_settings

    ini = context.get_x_argument(as_dictionary=True).get("config", "development.ini")
    return load_settings(get_appsettings(ini))["sqlalchemy.url"]


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config({"sqlalchemy.url": database_url()}, prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
