"""A fresh PostgreSQL database for tests whose servers and commands run in other processes, as other hosts would.

The test database is not enough for them: what a test writes there stays in
its own transaction, and another process would find it migrated already.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

NOT_POSTGRES = "the hosts share one PostgreSQL database: run with a postgres DATABASE_URL"


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


@contextmanager
def fresh_database(purpose: str) -> Iterator[tuple[str, str]]:
    """An empty database named after the test database, ``purpose`` and a random part, so that runs in
    parallel never meet; its name and URL. It is dropped afterwards, whoever is still connected to it."""
    settings = connection.settings_dict
    name = f"{settings['NAME']}_{purpose}_{uuid.uuid4().hex[:8]}"
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    url = f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
    with connect(settings["NAME"]) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name, url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
