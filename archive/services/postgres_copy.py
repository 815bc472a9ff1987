"""Copy a whole archive into an empty PostgreSQL database: how an archive on SQLite moves to PostgreSQL.

Django's ``dumpdata`` and ``loaddata`` hold every row in memory and send a
signal for each; an archive of 100,000 articles needs neither. Each table is
streamed in primary-key order, a chunk at a time, into PostgreSQL's ``COPY``,
with the rows' own primary keys, so every link, history row and foreign key
arrives as it was; no signal is sent, so the search index is left to
``rebuild_index``, run on the target afterwards.

The source is read in one read-only snapshot: SQLite is opened read-only
(``mode=ro``), PostgreSQL in a ``READ ONLY`` repeatable-read transaction, so
the copy is consistent and the source cannot be written. The target is
written in one transaction: an interrupted copy leaves it as ``migrate``
left it, and the same command can simply be run again. Foreign keys are
checked when that transaction commits (Django declares them ``DEFERRABLE
INITIALLY DEFERRED``), so tables may be copied in any order.
"""

import copy
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import load_backend

SOURCE, TARGET = "archive_copy_source", "archive_copy_target"
# Seconds to wait for the target server to answer before saying it cannot be reached.
CONNECT_TIMEOUT = 10
# What ``migrate`` writes into an empty database: replaced by the source's rows, never counted as data.
WRITTEN_BY_MIGRATE = (ContentType, Permission, Group, Group.permissions.through)

Progress = Callable[[str, int, int], None]


class CopyError(Exception):
    """The copy cannot be made; the message says why and what to do, and nothing was written to the target."""


@dataclass
class CopyReport:
    target: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def archive_copy_to_postgres(*, target_url: str, chunk_size: int = 500, progress: Progress | None = None) -> CopyReport:
    """Copy every row of the archive's database (``DATABASE_URL``) into the empty PostgreSQL database at ``target_url``.

    ``progress(table, rows_copied, rows_in_all)`` is called after each chunk.
    The target is migrated first; it must hold no data of its own.
    """
    if chunk_size < 1:
        raise CopyError("The chunk size must be at least 1.")
    shown = display_url(target_url)
    with _alias(SOURCE, _source_settings()) as source, _alias(TARGET, _target_settings(target_url)) as target:
        _reach(source, "the archive's own database (DATABASE_URL)")
        _reach(target, f"the target database {shown}")
        if source.vendor == "postgresql" and _identity(source) == _identity(target):
            raise CopyError(f"{shown} is the archive's own database (DATABASE_URL): give a new, empty database.")
        _refuse_other_migrations(source)
        _refuse_data(target, shown)
        _migrate(target)
        report = CopyReport(target=shown)
        copied = copied_models()
        with _snapshot(source):
            rows_in_all, done = sum(model._base_manager.using(SOURCE).count() for model in copied), 0
            try:
                with transaction.atomic(using=TARGET), target.cursor() as cursor:
                    tables = [model._meta.db_table for model in copied]
                    # Another copy (or a process already using the target) may have written since the check
                    # above: with every table locked, what the check sees now stays true until the commit.
                    quoted = ", ".join(target.ops.quote_name(table) for table in tables)
                    cursor.execute(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE")
                    _refuse_data(target, shown)
                    for statement in target.ops.sql_flush(no_style(), tables):
                        cursor.execute(statement)
                    for model in copied:
                        table = model._meta.db_table
                        report.rows[table] = 0
                        for written in _copy_table(model, cursor.cursor, target, chunk_size):
                            report.rows[table] += written
                            done += written
                            if progress:
                                progress(table, done, rows_in_all)
                    for statement in target.ops.sequence_reset_sql(no_style(), copied):
                        cursor.execute(statement)
            except DatabaseError as exc:
                raise CopyError(f"PostgreSQL refused the copy, so nothing was written: {_reason(exc)}") from exc
    return report


def display_url(url: str) -> str:
    """The URL without its password, fit for a log or a message."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _source_settings() -> dict:
    """The archive's database, opened so that nothing can be written to it."""
    source = copy.deepcopy(settings.DATABASES[DEFAULT_DB_ALIAS])
    source["CONN_MAX_AGE"] = 0
    if source["ENGINE"] == "django.db.backends.sqlite3":
        # No WAL pragma (a write), and a plain BEGIN: IMMEDIATE would take the write lock.
        source["OPTIONS"] = {"timeout": 20}
        source["NAME"] = Path(source["NAME"]).resolve().as_uri() + "?mode=ro"
    elif source["ENGINE"] == "django.db.backends.postgresql":
        source["OPTIONS"] = {**source.get("OPTIONS", {}), "options": "-c default_transaction_read_only=on"}
    return source


def _target_settings(url: str) -> dict:
    try:
        target = dj_database_url.parse(url)
    except ValueError:
        raise CopyError(
            f"{display_url(url)} is not a database URL: give one such as postgres://user@host:5432/archive."
        ) from None
    if target["ENGINE"] != "django.db.backends.postgresql":
        raise CopyError(
            f"The target must be a PostgreSQL database such as postgres://user@host:5432/archive, "
            f"not {display_url(url)}."
        )
    target["OPTIONS"] = {"connect_timeout": CONNECT_TIMEOUT, **target.get("OPTIONS", {})}
    return target


@contextmanager
def _alias(alias: str, database: dict) -> Iterator:
    """A connection under a name of its own for the length of the copy; the project's settings are left alone."""
    filled = connections.configure_settings(
        {DEFAULT_DB_ALIAS: copy.deepcopy(settings.DATABASES[DEFAULT_DB_ALIAS]), alias: database}
    )[alias]
    connections[alias] = load_backend(filled["ENGINE"]).DatabaseWrapper(filled, alias)
    try:
        yield connections[alias]
    finally:
        connections[alias].close()
        del connections[alias]


def _reach(connection, name: str) -> None:
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        raise CopyError(f"Cannot connect to {name}: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _identity(connection) -> tuple:
    """The same for two connections to one database of one server, and for no other pair."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid, pg_postmaster_start_time() FROM pg_database WHERE datname = current_database()")
        return cursor.fetchone()


def _refuse_other_migrations(source) -> None:
    """The source must have exactly this version's migrations, so that both databases have the same tables."""
    executor = MigrationExecutor(source)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    missing = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    if missing:
        raise CopyError(
            f"The archive's database lacks migrations of this version ({', '.join(missing[:5])}"
            f"{' …' if len(missing) > 5 else ''}): run `manage.py migrate` on it first, then copy it."
        )
    applied, known = executor.loader.applied_migrations, executor.loader.graph.nodes
    unknown = sorted(f"{app}.{name}" for app, name in applied if (app, name) not in known)
    if unknown:
        raise CopyError(
            f"The archive's database has migrations this version does not know ({', '.join(unknown[:5])}): "
            "copy it with the version of the archive that wrote it."
        )


def _refuse_data(target, shown: str) -> None:
    """Never write over anything: every table the copy fills must be empty or absent (before ``migrate``)."""
    existing = set(target.introspection.table_names())
    held = []
    with target.cursor() as cursor:
        for model in copied_models():
            table = model._meta.db_table
            if table not in existing or model in WRITTEN_BY_MIGRATE:
                continue
            cursor.execute(f"SELECT count(*) FROM {target.ops.quote_name(table)}")
            count = cursor.fetchone()[0]
            if count:
                held.append(f"{table}: {count:,} row{'' if count == 1 else 's'}")
    if held:
        raise CopyError(
            f"{shown} already holds data ({', '.join(held[:5])}{' …' if len(held) > 5 else ''}): "
            "copy into a new, empty database, so that nothing in it is overwritten."
        )


def _migrate(target) -> None:
    try:
        call_command("migrate", database=TARGET, interactive=False, verbosity=0)
    except (DatabaseError, RuntimeError) as exc:
        # The search migration explains what to do when the user may not create its extensions.
        raise CopyError(f"Migrating the target database failed: {_reason(exc)}") from exc


def copied_models() -> list[type[models.Model]]:
    """Every table Django manages, many-to-many links and history included, in a fixed order."""
    found = {
        model._meta.db_table: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    }
    return [found[table] for table in sorted(found)]


@contextmanager
def _snapshot(source) -> Iterator[None]:
    """One read transaction over the whole copy, so the tables are read as they were at one moment."""
    with transaction.atomic(using=SOURCE):
        if source.vendor == "postgresql":
            with source.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _copy_table(model: type[models.Model], raw_cursor, target, chunk_size: int) -> Iterator[int]:
    """Stream one table into ``COPY``; yields the rows written, a chunk at a time."""
    meta = model._meta
    columns = meta.local_concrete_fields
    names = ", ".join(target.ops.quote_name(column.column) for column in columns)
    rows = (
        model._base_manager.using(SOURCE)
        .order_by("pk")
        .values_list(*(column.attname for column in columns))
        .iterator(chunk_size=chunk_size)
    )
    pk_index = columns.index(meta.pk)
    with raw_cursor.copy(f"COPY {target.ops.quote_name(meta.db_table)} ({names}) FROM STDIN") as copy_in:
        written = 0
        for row in rows:
            prepared = []
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, str):
                    _check_text(meta.db_table, meta.pk.attname, row[pk_index], column, value)
                prepared.append(column.get_db_prep_save(value, connection=target))
            copy_in.write_row(prepared)
            written += 1
            if written == chunk_size:
                yield written
                written = 0
        if written:
            yield written


def _check_text(table: str, pk_name: str, pk, column: models.Field, value: str) -> None:
    """What SQLite stores and PostgreSQL refuses, named so that it can be fixed in the source."""
    where = f"{table} {pk_name}={pk}"
    if "\x00" in value:
        raise CopyError(
            f"{where}: {column.column} holds a null character (U+0000), which PostgreSQL cannot store. "
            "Remove it from that record, then run the copy again; nothing was written to the target."
        )
    if isinstance(column, models.CharField) and column.max_length and len(value) > column.max_length:
        raise CopyError(
            f"{where}: {column.column} is {len(value):,} characters long, more than the {column.max_length:,} "
            "its column holds (SQLite does not enforce the limit, PostgreSQL does). Shorten it, then run the "
            "copy again; nothing was written to the target."
        )
