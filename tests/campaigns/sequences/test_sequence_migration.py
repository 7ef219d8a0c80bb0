"""Migration c0003 adds the sequences' tables and takes them away again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from audiences.db import Database, alembic_config
from campaigns.database import MIGRATIONS

TABLES = {"sequences", "sequence_steps", "sequence_campaigns", "sequence_enrolments"}


def test_downgrading_to_c0002_drops_the_sequence_tables_and_upgrading_restores_them(
    db: Database,
) -> None:
    config = alembic_config(db.engine, MIGRATIONS)
    assert set(inspect(db.engine).get_table_names()) >= TABLES

    command.downgrade(config, "c0002")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    assert "campaigns" in inspect(db.engine).get_table_names()

    command.upgrade(config, "head")
    assert set(inspect(db.engine).get_table_names()) >= TABLES
