"""Alembic environment: migrations run on the connection :func:`delimit.workspace.db.migrate` passes."""

from __future__ import annotations

from alembic import context

from delimit.workspace.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
)
with context.begin_transaction():
    context.run_migrations()
