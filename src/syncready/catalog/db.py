"""Open the catalog database: the URL, the engine, the schema (Alembic, ``upgrade head``).

Conventions
-----------
- The URL is, in order: the ``url`` argument (``--db``), ``$SYNCREADY_DB``, else SQLite at
  ``<user data dir>/syncready/catalog.sqlite`` (:func:`platformdirs.user_data_dir`). A bare
  path (no ``://``) is taken as a SQLite file.
- SQLite runs in WAL mode with foreign keys on; PostgreSQL is reached through psycopg 3
  (``postgresql+psycopg://user@host/db``).
- Every open brings the schema to the newest migration (``migrations/versions``); a database
  already there costs one ``SELECT`` of ``alembic_version``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ..errors import UsageError

ENV = "SYNCREADY_DB"
MIGRATIONS = Path(__file__).with_name("migrations")


def default_url() -> str:
    """The catalog URL when neither ``--db`` nor ``$SYNCREADY_DB`` is given."""
    import platformdirs

    folder = Path(platformdirs.user_data_dir("syncready"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'catalog.sqlite'}"


def resolve_url(url: str | None = None) -> str:
    """The database URL to use (see the module docstring)."""
    url = url or os.environ.get(ENV) or default_url()
    return url if "://" in url else f"sqlite:///{Path(url).expanduser()}"


def open_catalog(url: str | None = None) -> sessionmaker[Session]:
    """Connect, migrate to the newest schema and return a session factory.

    Raises
    ------
    syncready.errors.UsageError
        The URL is malformed, its driver is not installed, or the database cannot be reached.
    """
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    url = resolve_url(url)
    try:
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        _upgrade(engine)
    except (ArgumentError, NoSuchModuleError, OperationalError) as exc:
        raise UsageError(f"catalog database {_safe(url)}: {str(exc).splitlines()[0]}") from None
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _upgrade(engine: Engine) -> None:
    """Run ``alembic upgrade head`` unless the database is already at head."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.begin() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _safe(url: str) -> str:
    """``url`` with any password masked."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL too malformed to parse is shown as given
        return url
