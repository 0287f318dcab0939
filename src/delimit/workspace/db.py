"""Opening a workspace database (SQLite in a folder, or PostgreSQL by URL) and its transactions.

One code path for both back ends. SQLite runs in WAL mode with ``synchronous=FULL`` so that every
acknowledged write survives the process being killed; writes take the database's write lock at
``BEGIN IMMEDIATE`` (no lock upgrade, no "database is locked" mid-transaction). On PostgreSQL the
chain head row is locked with ``SELECT ... FOR UPDATE``. Either way each write is one transaction
and writes to the event log are serialised.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from delimit.errors import InputError

#: The SQLite file inside a workspace folder.
DB_FILE = "workspace.sqlite3"


def database_url(workspace: str | Path | None, db: str | None) -> str:
    """The SQLAlchemy URL of a workspace: ``--db URL`` if given, else the SQLite file in the folder.

    Raises InputError (field ``--db``) for a URL that is neither SQLite nor PostgreSQL.
    """
    if db:
        try:
            url = make_url(db)
        except ArgumentError:
            raise InputError(None, f"not a database URL: {db!r}", field="--db") from None
        if url.get_backend_name() == "postgresql":
            return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        if url.get_backend_name() == "sqlite":
            return db
        raise InputError(None, f"unsupported database {url.get_backend_name()!r} (sqlite or postgresql)", field="--db")
    if workspace is None:
        raise InputError(None, "give a workspace folder or --db URL", field="--workspace")
    return f"sqlite:///{Path(workspace).resolve() / DB_FILE}"


#: Connections kept for reads: about one per server worker thread (anyio runs 40), so that concurrent
#: reads never queue for a connection (WAL lets them all read while one writer writes).
READ_POOL = (20, 30)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    # writes are serialised (Store._write_lock, BEGIN IMMEDIATE): a small pool; reads run side by side
    size, overflow = (2, 2) if immediate else READ_POOL
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=size, max_overflow=overflow
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Store:
    """A workspace database: a read engine and a write engine (the same one on PostgreSQL).

    Use ``with store.read() as s:`` for queries and ``with store.write() as s:`` for a write: the
    latter is one transaction, committed on success and rolled back on any exception.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            self.read_engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        else:
            self.read_engine = create_engine(url, pool_pre_ping=True, pool_size=READ_POOL[0], max_overflow=READ_POOL[1])
            self.write_engine = self.read_engine
        self._write_lock = threading.Lock()

    @classmethod
    def open(cls, workspace: str | Path | None = None, db: str | None = None, *, must_exist: bool = True) -> Store:
        """Open a workspace; InputError if ``must_exist`` and it has not been initialised."""
        if db is None and workspace is not None and must_exist and not (Path(workspace) / DB_FILE).is_file():
            raise InputError(workspace, f"not a workspace (no {DB_FILE}; run 'delimit workspace init' first)")
        store = cls(database_url(workspace, db))
        if must_exist and not store.is_initialised():
            store.dispose()
            raise InputError(
                workspace or "--db", "the database holds no workspace (run 'delimit workspace init' first)"
            )
        return store

    def is_initialised(self) -> bool:
        """True if the schema exists and the workspace row has been written."""
        with self.read_engine.connect() as conn:
            if not inspect(conn).has_table("workspace"):
                return False
            rows: int = conn.exec_driver_sql("SELECT COUNT(*) FROM workspace").scalar_one()
            return rows > 0

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine, expire_on_commit=False) as s, s.begin():
            yield s

    @contextmanager
    def query(self) -> Iterator[Connection]:
        """A read transaction on a plain (Core) connection: for the per-request reads of the API, which
        select columns with prepared statements and need no ORM objects (about a quarter of the CPU of
        an ORM session's query)."""
        with self.read_engine.begin() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write_lock, Session(self.write_engine, expire_on_commit=False) as s, s.begin():
            yield s

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (creates it on an empty database)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("delimit.workspace") / "migrations"))
        with self.write_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()
