"""Alembic's environment: run migrations on the engine that audiences.db passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from audiences.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("migrations run through audiences.db.migrate(engine)")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
