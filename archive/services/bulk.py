"""Bulk writes cheaper than the ORM's, for the imports' and the suggester's many rows."""

from django.db import DEFAULT_DB_ALIAS, connections


def insert_rows(model, fields: list, rows: list) -> None:
    """INSERT many rows with one prepared statement, each value converted by its field as the ORM would.

    ``bulk_create`` compiles a new statement for every ~40 rows (SQLite takes
    999 parameters) and builds a model instance per row; over tens of
    thousands of articles and links that costs more than the database's own
    work. Like ``bulk_create``, it sends no signals.
    """
    if not rows:
        return
    # The connection itself, not the ``django.db.connection`` proxy: each value's conversion looks it up.
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    prepared = [
        [field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True)] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
