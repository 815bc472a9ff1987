"""One process at a time for the steps every web server runs as it starts.

Two hosts started together both run ``migrate`` on their one database, and two
web servers of one host both run ``collectstatic`` into their one folder. Run
at once, either pair fails half-way, on a table or a file the other has just
made. With these locks the second process waits, then finds the work done.
Whoever holds a lock, the database or the kernel frees it when that process
ends, however it ends, so a killed start-up never blocks the next one.
"""

import fcntl
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(path: Path, *, waiting: Callable[[], None]) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; call ``waiting`` first if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def advisory_key(name: str) -> int:
    """The 64-bit PostgreSQL advisory lock key of a named step, the same in every process."""
    return int.from_bytes(hashlib.sha256(f"archive:{name}".encode()).digest()[:8], "big", signed=True)


def sqlite_lock_path(connection, name: str) -> Path:
    return Path(f"{connection.settings_dict['NAME']}.{name}.lock")


@contextmanager
def database_lock(connection, *, name: str, waiting: Callable[[], None]) -> Iterator[bool]:
    """Hold the database-wide lock called ``name``, so that every process using this database takes turns.

    PostgreSQL: a session advisory lock, seen by every host. SQLite: a file
    lock beside the database file, which only processes of its machine can
    open anyway; an in-memory one belongs to a single process. Other
    databases have no lock here: the context yields False, for the caller to say so.
    """
    if connection.vendor == "postgresql":
        key = advisory_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                waiting()
                cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            yield True
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    elif connection.vendor == "sqlite":
        if connection.is_in_memory_db():
            yield True
            return
        with file_lock(sqlite_lock_path(connection, name), waiting=waiting):
            yield True
    else:
        yield False
