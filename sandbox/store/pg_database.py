"""One connection to the tenants' PostgreSQL (sandbox/store/postgres.py): its statements,
its transactions (one held across a handler for a request that must not lose a race again),
and what a failure of it answers (StorageUnavailable naming the database, never a 500)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sandbox.errors import StorageUnavailable

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

CONNECT_SECONDS = 5  # a database that does not answer by then is unavailable

Params = Sequence[Any] | Mapping[str, Any]


class Database:
    """One connection to PostgreSQL, in autocommit mode (each statement its own transaction,
    unless inside `transaction()`), opened when first used and again after it broke. Every
    failure is a StorageUnavailable naming the database; nothing is retried here."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = _describe(url)
        self._connection: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()  # one statement or transaction at a time
        self._held = False  # a transaction `held` is open

    def connection(self) -> psycopg.Connection[Any]:
        connection = self._connection
        if connection is None or connection.closed:
            try:
                import psycopg
            except ImportError:
                raise StorageUnavailable(
                    "a database URL needs the PostgreSQL driver: pip install "
                    "'comms-sandbox[postgres]'"
                ) from None

            try:
                connection = psycopg.connect(
                    self.url, autocommit=True, connect_timeout=CONNECT_SECONDS
                )
            except psycopg.Error as exc:
                raise self.unavailable(exc) from None
            self._connection = connection
        return connection

    @property
    def backend_pid(self) -> int | None:
        """The server process of this connection, if it is open (a NOTIFY names it)."""
        connection = self._connection
        return None if connection is None or connection.closed else connection.info.backend_pid

    def execute(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run one statement (committed when it returns, outside `transaction()`); its rows."""
        with self._lock, self._failures():
            cursor = self.connection().execute(sql, params)
            return cursor.fetchall() if cursor.description is not None else []

    def read(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """`execute` a statement that only reads: run once more on a new connection when the
        one it found open had broken (the server restarted while it was idle: the first
        statement on it fails), so a read after a restart does not answer 503 for nothing.
        Inside a held transaction, once."""
        with self._lock:
            connection = self._connection
            try:
                return self.execute(sql, params)
            except StorageUnavailable:
                if self._held or connection is None or self._connection is not None:
                    raise  # (no connection was open before, or it did not break)
            return self.execute(sql, params)

    def changed(self, sql: str, params: Params = ()) -> int:
        """Run one statement that writes (committed when it returns); how many rows it wrote."""
        with self._lock, self._failures():
            return self.connection().execute(sql, params).rowcount

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self._lock, self._failures():
            connection = self.connection()
            with connection.transaction():
                yield connection

    @contextmanager
    def held(self) -> Iterator[None]:
        """A transaction held open across the block, its statements in it (the row locks
        they take keep other processes' appends waiting), committed by the first append
        (`release`: an append is durable when it returns) or when the block ends."""
        with self._lock:
            with self._failures():
                self.connection().execute("BEGIN")
            self._held = True
            try:
                yield
            finally:
                self.release()

    @property
    def holding(self) -> bool:
        """Whether a transaction `held` is open (its statements run on this connection)."""
        return self._held

    def release(self) -> None:
        """Commit the transaction `held` keeps open, if one is (nothing otherwise)."""
        if self._held:
            self._held = False
            with self._lock, self._failures():
                connection = self._connection
                if connection is not None and not connection.closed:
                    connection.execute("COMMIT")  # (a failed one's: the server rolls back)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def unavailable(self, exc: Exception) -> StorageUnavailable:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StorageUnavailable(
            f"PostgreSQL at {self.where} is unavailable ({reason}); the request changed nothing"
        )

    @contextmanager
    def _failures(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.errors.UniqueViolation:
            raise
        except psycopg.Error as exc:
            connection = self._connection
            if connection is not None and (connection.broken or connection.closed):
                connection.close()
                self._connection = None  # the next statement connects again
            raise self.unavailable(exc) from None


def _describe(url: str) -> str:
    """host:port/database of `url`, without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"{host}:{port}{parts.path or '/'}"
