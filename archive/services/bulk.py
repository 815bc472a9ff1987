"""Bulk writes cheaper than the ORM's, for the imports' and the suggester's many rows."""

from django.db import DEFAULT_DB_ALIAS, connections


def insert_rows(model, fields: list, rows: list, *, update_on_conflict=None) -> None:
    """INSERT many rows with one prepared statement, each value converted by its field as the ORM would.

    ``bulk_create`` compiles a new statement for every ~40 rows (SQLite takes
    999 parameters) and builds a model instance per row; over tens of
    thousands of articles and links that costs more than the database's own
    work. Like ``bulk_create``, it sends no signals.

    ``update_on_conflict`` (one of ``fields``, unique) makes it an upsert: a
    row whose value there is taken already overwrites that row's other fields.
    """
    if not rows:
        return
    # The connection itself, not the ``django.db.connection`` proxy: each value's conversion looks it up.
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    if update_on_conflict is not None:
        key = update_on_conflict.column
        updates = ", ".join(f"{quote(f.column)} = excluded.{quote(f.column)}" for f in fields if f.column != key)
        sql += f" ON CONFLICT ({quote(key)}) DO UPDATE SET {updates}"
    prepared = [
        [field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True)] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
