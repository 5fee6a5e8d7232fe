"""Alembic environment: runs online against the engine the monitor gives it, or one built from config."""

from __future__ import annotations

import os

from sqlalchemy import Engine

from alembic import context
from monitor.db.engine import make_engine
from monitor.db.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    given = config.attributes.get("engine")
    if isinstance(given, Engine):
        return given
    url = os.environ.get("MONITOR_DATABASE_URL")
    if not url:
        from monitor.config import load_settings

        url = load_settings().database_url
    return make_engine(url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
