"""Fresh PostgreSQL databases for tests whose servers and commands run in other processes, as other hosts would,
and for tests of whole-database operations (copies, dumps, restores).

The test database is not enough for them: what a test writes there stays in
its own transaction, and another process would find it migrated already.
Every database made here is named after the test database, its purpose and
a random part, so that runs in parallel never meet, and is dropped afterwards.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

NOT_POSTGRES = "needs a PostgreSQL server: run with a postgres DATABASE_URL (the PostgreSQL pass of make test)"
POSTGRES_ONLY = pytest.mark.skipif(connection.vendor != "postgresql", reason=NOT_POSTGRES)


def skip_unless_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(NOT_POSTGRES)


def connect(name: str) -> psycopg.Connection:
    """A connection of its own to database ``name`` on the test database's server, in autocommit."""
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=name,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )


def database_url(name: str) -> str:
    settings = connection.settings_dict
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    return f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"


def _unique_name(purpose: str) -> str:
    return f"{connection.settings_dict['NAME']}_{purpose}_{uuid.uuid4().hex[:8]}"


@contextmanager
def fresh_database(purpose: str) -> Iterator[tuple[str, str]]:
    """An empty database for ``purpose``: its name and URL. It is dropped afterwards, whoever is still connected."""
    name = _unique_name(purpose)
    with connect(connection.settings_dict["NAME"]) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name, database_url(name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """The PostgreSQL server of the test database, and the scratch databases a test makes on it."""

    def __init__(self):
        self.settings = connection.settings_dict
        self.created: list[str] = []

    def url(self, name: str) -> str:
        return database_url(name)

    def admin(self) -> psycopg.Connection:
        return connect(self.settings["NAME"])

    def database(self, purpose: str) -> str:
        """A new, empty database; its URL. ``drop_all`` drops it."""
        name = _unique_name(purpose)
        with self.admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url(name)

    def count(self, url: str, table: str) -> int:
        with psycopg.connect(url) as database:
            return database.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]

    def drop_all(self) -> None:
        with self.admin() as admin:
            for name in self.created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
