"""SQLite connections in write-ahead-log mode, set safely when several processes open a new file at once.

WAL lets the web server read while an import writes. The mode is stored in
the file, but switching to it needs an exclusive lock, and SQLite answers
"database is locked" at once, without waiting, when two connections that
both read the new file try to switch together (it would otherwise
deadlock). Two servers starting on a fresh database did exactly that from
``init_command``, so the switch happens here instead, retried within the
connection's own timeout, and only while the file is not yet in WAL mode.
Only the archive's own connection switches: ``copy_to_postgres`` opens the
same file read-only under another alias, and must not write to it.
"""

import time

from django.db import DEFAULT_DB_ALIAS, OperationalError
from django.db.backends.signals import connection_created

RETRY_PAUSE_SECONDS = 0.02


def use_write_ahead_log(sender, connection, **kwargs):
    if connection.vendor != "sqlite" or connection.alias != DEFAULT_DB_ALIAS or connection.is_in_memory_db():
        return
    deadline = time.monotonic() + connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0] == "wal":
            return
        while True:
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                return
            except OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(RETRY_PAUSE_SECONDS)


def connect() -> None:
    connection_created.connect(use_write_ahead_log, dispatch_uid="archive.sqlite.use_write_ahead_log")
