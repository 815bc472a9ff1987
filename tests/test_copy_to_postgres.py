"""``copy_to_postgres``: what it refuses, and what an interrupted copy leaves behind.

The whole move from SQLite and the Whoosh engine, run as an operator runs it,
is in ``test_operations.py``; here the command runs in this process, with the
test database as its source.
"""

import os
import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.services import postgres_copy
from tests.crash_support import killed_at, run_killed
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory
from tests.postgres_support import POSTGRES_ONLY, Server


def copy(target: str) -> str:
    out = StringIO()
    call_command("copy_to_postgres", target, verbosity=0, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def server(transactional_db):
    """Scratch databases beside the test database; the source's rows are committed, as the copy reads them elsewhere."""
    found = Server()
    yield found
    found.drop_all()


@pytest.fixture
def archive(transactional_db):
    italy = PlaceFactory(name="Italy", type="country")
    actor = ActorFactory(name="Islamic State")
    return [ArticleFactory(title=f"Drones over Sicily, day {n}", actors=[actor], places=[italy]) for n in range(3)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "sqlite:////srv/archive/archive.sqlite3",
            "The target must be a PostgreSQL database such as postgres://user@host:5432/archive, "
            "not sqlite:////srv/archive/archive.sqlite3.",
        ),
        (
            "archive.example.org/archive",
            "archive.example.org/archive is not a database URL: give one such as postgres://user@host:5432/archive.",
        ),
    ],
)
def test_a_target_that_is_not_a_postgresql_url_is_refused(target, message):
    """Only PostgreSQL is a target; the message gives the shape of a good URL."""
    with pytest.raises(CommandError) as refused:
        copy(target)
    assert str(refused.value) == message


@pytest.mark.django_db
def test_an_unreachable_server_is_named_without_its_password():
    """The URL is shown as given, less the password, with the driver's reason."""
    with pytest.raises(CommandError) as refused:
        copy("postgres://archive:s3cret@127.0.0.1:1/archive")
    message = str(refused.value)
    assert message.startswith("Cannot connect to the target database postgres://archive:***@127.0.0.1:1/archive: ")
    assert "s3cret" not in message


@POSTGRES_ONLY
def test_the_archives_own_database_is_refused_as_a_target(server, archive):
    """Another spelling of the same database (localhost for 127.0.0.1) is still the same database."""
    own = server.url(server.settings["NAME"]).replace("@127.0.0.1:", "@localhost:")
    with pytest.raises(CommandError) as refused:
        copy(own)
    assert str(refused.value) == f"{own} is the archive's own database (DATABASE_URL): give a new, empty database."


@POSTGRES_ONLY
def test_a_copy_killed_midway_leaves_the_target_without_data_and_the_same_command_finishes_it(server, archive):
    """kill -9 after four tables: their rows were never committed, and running the command again copies everything."""
    target = server.database("killed")

    status = run_killed(lambda: killed_at(postgres_copy, "_copy_table", call=5), lambda: copy(target))

    assert status == -9
    assert (server.count(target, "archive_actor"), server.count(target, "archive_article")) == (0, 0)
    assert copy(target).startswith("Copied ")
    assert (server.count(target, "archive_actor"), server.count(target, "archive_article")) == (1, 3)
    assert server.count(target, "archive_article_places") == 3


@POSTGRES_ONLY
def test_ctrl_c_during_a_copy_says_nothing_was_copied_and_leaves_the_target_empty(server, archive, monkeypatch):
    """An interrupt rolls the target's transaction back; the command says so and exits 130."""
    target = server.database("interrupted")
    copy_table = postgres_copy._copy_table

    def interrupted(model, *args):
        if model._meta.db_table == "archive_article":
            raise KeyboardInterrupt
        return copy_table(model, *args)

    monkeypatch.setattr(postgres_copy, "_copy_table", interrupted)
    err = StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("copy_to_postgres", target, verbosity=0, stdout=StringIO(), stderr=err)

    assert stopped.value.code == 130
    assert err.getvalue() == f"Interrupted: nothing was copied into {target}. Run the same command again to copy.\n"
    assert server.count(target, "archive_actor") == 0


@POSTGRES_ONLY
def test_a_copy_waits_for_a_writer_of_the_target_and_then_refuses_to_overwrite_what_it_wrote(server, archive):
    """Rows written after the first check but committed before the copy's are found: it locks, then checks again."""
    target = server.database("raced")
    env = {**os.environ, "DATABASE_URL": target}
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=root, env=env, check=True, timeout=300)
    writer = psycopg.connect(target)
    writer.execute("INSERT INTO taggit_tag (name, slug) VALUES ('drones', 'drones')")
    refused = []

    def copy_elsewhere():
        try:
            copy(target)
        except CommandError as exc:
            refused.append(str(exc))

    copying = threading.Thread(target=copy_elsewhere)
    copying.start()
    try:
        assert wait_for_lock_wait(target), "the copy never waited for the writer's lock"
        writer.commit()
    finally:
        copying.join(120)
        writer.close()

    assert refused == [
        f"{target} already holds data (taggit_tag: 1 row): copy into a new, empty database, "
        "so that nothing in it is overwritten."
    ]
    assert server.count(target, "taggit_tag") == 1


def wait_for_lock_wait(url: str, timeout: float = 60) -> bool:
    """Whether a session of that database comes to wait for a lock within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                return True
            time.sleep(0.05)
    return False
