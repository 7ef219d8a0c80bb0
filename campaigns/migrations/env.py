"""Alembic's environment for the campaigns' tables, with their own version table."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from campaigns.models import CampaignBase
from campaigns.sequences import models as sequence_models  # noqa: F401  # their tables
from campaigns.web import web_models  # noqa: F401  # their tables

VERSION_TABLE = "campaigns_alembic_version"

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("migrations run through campaigns.database.migrate(engine)")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=CampaignBase.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
