"""Scratch PostgreSQL databases for tests of whole-database operations (copies, dumps, restores)."""

import psycopg
import pytest
from django.db import connection

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a PostgreSQL server: run with a postgres DATABASE_URL (the PostgreSQL pass of make test)",
)


class Server:
    """The PostgreSQL server of the test database, and scratch databases on it that are dropped afterwards."""

    def __init__(self, settings_dict: dict):
        self.settings = settings_dict
        self.created: list[str] = []

    def url(self, name: str) -> str:
        password = f":{self.settings['PASSWORD']}" if self.settings.get("PASSWORD") else ""
        host, port = self.settings.get("HOST") or "127.0.0.1", self.settings.get("PORT") or 5432
        return f"postgres://{self.settings['USER']}{password}@{host}:{port}/{name}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url(self.settings["NAME"]), autocommit=True)

    def database(self, purpose: str) -> str:
        """A new, empty database; its URL."""
        name = f"{self.settings['NAME']}_{purpose}"
        with self.admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
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
