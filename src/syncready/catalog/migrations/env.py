"""Alembic environment of the catalog: runs on the connection :func:`syncready.catalog.db.open_catalog`
passes in ``config.attributes["connection"]`` (online mode only; no alembic.ini)."""

from alembic import context

from syncready.catalog.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
