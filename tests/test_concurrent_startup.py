"""Several servers starting at once: their ``migrate`` and ``collectstatic`` take turns instead of failing.

Each test holds the lock itself while two real commands start, so that both
are seen waiting; then lets go, and both must finish with success, one having
done the work and the other finding it done. Without the locks the two
commands fail on each other's tables and files (a duplicate type name on
PostgreSQL, "table already exists" on SQLite, a vanished file in the static
folder).
"""

import fcntl
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

from archive.locks import advisory_key
from tests.postgres_support import connect, fresh_database, skip_unless_postgres
from tests.server_support import COMMAND_SECONDS, manage, manage_process, production_env

WAITING_FOR_MIGRATE = "Waiting for another migrate of this database to finish…"


def wait_for_text(logs: list[Path], text: str) -> None:
    """Until every log holds ``text``, within a bound."""
    deadline = time.monotonic() + COMMAND_SECONDS
    while not all(text in log.read_text() for log in logs):
        assert time.monotonic() < deadline, "\n".join(log.read_text() for log in logs)
        time.sleep(0.1)


def run_two_while_locked(envs: list[dict], tmp_path: Path, command: list[str], waiting: str, release) -> list[str]:
    """Start ``command`` in both environments while the lock is held elsewhere, see both wait, ``release``
    the lock; both outputs, once both have succeeded."""
    logs = [tmp_path / f"{command[0]}-{number}.log" for number in range(len(envs))]
    processes = [manage_process(env, *command, log=log) for env, log in zip(envs, logs, strict=True)]
    try:
        wait_for_text(logs, waiting)
        release()
        statuses = [process.wait(timeout=COMMAND_SECONDS) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    outputs = [log.read_text() for log in logs]
    assert statuses == [0, 0], "\n".join(outputs)
    return outputs


def assert_one_migrated_and_one_found_it_done(outputs: list[str]) -> None:
    assert sorted("No migrations to apply." in output for output in outputs) == [False, True], "\n".join(outputs)
    assert sum("Applying archive.0001_initial... OK" in output for output in outputs) == 1


def test_two_migrates_of_one_sqlite_database_take_turns(tmp_path):
    """Two migrate processes started together on a new SQLite file: one waits for the other, both succeed."""
    data_dir = tmp_path / "host"
    data_dir.mkdir()
    env = production_env(data_dir)
    with open(data_dir / "archive.sqlite3.migrate.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        outputs = run_two_while_locked(
            [env, env],
            tmp_path,
            ["migrate", "--noinput"],
            WAITING_FOR_MIGRATE,
            lambda: fcntl.flock(held, fcntl.LOCK_UN),
        )
    assert_one_migrated_and_one_found_it_done(outputs)
    assert "No planned migration operations." in manage(env, "migrate", "--plan")


@pytest.mark.django_db
def test_two_hosts_migrating_one_postgresql_database_take_turns(tmp_path):
    """Two hosts (own folders) start migrate together on one new PostgreSQL database: both succeed, in turn."""
    skip_unless_postgres()
    with fresh_database("migrate") as (name, url), connect(name) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [advisory_key("migrate")])
        hosts = []
        for host in ("a", "b"):
            (tmp_path / host).mkdir()
            hosts.append(production_env(tmp_path / host, DATABASE_URL=url, ARCHIVE_SEARCH_BACKEND="postgres"))
        outputs = run_two_while_locked(
            hosts,
            tmp_path,
            ["migrate", "--noinput"],
            WAITING_FOR_MIGRATE,
            lambda: holder.execute("SELECT pg_advisory_unlock(%s)", [advisory_key("migrate")]),
        )
        assert_one_migrated_and_one_found_it_done(outputs)
        assert "No planned migration operations." in manage(hosts[1], "migrate", "--plan")


def test_two_collectstatics_into_one_folder_take_turns(tmp_path):
    """Two servers of one host collect static files together: one waits, both succeed, no stray copies."""
    data_dir = tmp_path / "host"
    data_dir.mkdir()
    env = production_env(data_dir)
    with open(data_dir / "static.collectstatic.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        outputs = run_two_while_locked(
            [env, env],
            tmp_path,
            ["collectstatic", "--noinput"],
            f"Waiting for another collectstatic into {data_dir / 'static'} to finish…",
            lambda: fcntl.flock(held, fcntl.LOCK_UN),
        )
    copied = sorted(output.strip().splitlines()[-1].split(" static files copied")[0] for output in outputs)
    assert copied[0] == "0" and int(copied[1]) > 0, "\n".join(outputs)
    # Django saves a file under a made-up name (``csrf_QurZhWl.js``) when it finds another in its way;
    # every file collected is named in the manifest, or is its compressed copy.
    static = data_dir / "static"
    manifest = json.loads((static / "staticfiles.json").read_text())["paths"]
    named = {*manifest, *manifest.values(), "staticfiles.json"}
    collected = {path.relative_to(static).as_posix() for path in static.rglob("*") if path.is_file()}
    assert {name for name in collected if name.removesuffix(".gz").removesuffix(".br") not in named} == set()


def test_connections_opening_one_new_sqlite_file_together_all_switch_it_to_wal(tmp_path, django_db_blocker):
    """Four connections open each of 30 new database files at the same moment, as servers starting together
    do: none fails with "database is locked" on the switch to WAL, and every file ends in WAL mode."""
    opened_together = 4
    failures = []

    def open_connection(path: Path, barrier: threading.Barrier) -> None:
        connection = sqlite_connection(path)
        barrier.wait()
        try:
            connection.ensure_connection()
        except Exception as error:  # a thread's failure is the finding, reported below
            failures.append(error)
        finally:
            connection.close()

    paths = [tmp_path / f"new-{number}.sqlite3" for number in range(30)]
    with django_db_blocker.unblock():
        for path in paths:
            barrier = threading.Barrier(opened_together)
            threads = [threading.Thread(target=open_connection, args=(path, barrier)) for _ in range(opened_together)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=COMMAND_SECONDS)

    assert failures == []
    assert {sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] for path in paths} == {"wal"}


def sqlite_connection(path: Path):
    """A connection configured as the archive configures its own SQLite database, on ``path``."""
    options = {**settings.DATABASES[DEFAULT_DB_ALIAS], "ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    options["OPTIONS"] = dict(settings.SQLITE_OPTIONS)
    configured = connections.configure_settings({DEFAULT_DB_ALIAS: options})[DEFAULT_DB_ALIAS]
    return load_backend(configured["ENGINE"]).DatabaseWrapper(configured, DEFAULT_DB_ALIAS)
