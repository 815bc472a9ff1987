"""``process_index_queue --watch``: the long-lived worker that applies queued index updates."""

import io
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from archive.management.commands import process_index_queue
from archive.search.base import SearchQuery
from archive.search.indexing import QueueReport
from archive.search.whoosh_backend import WhooshBackend

ROOT = Path(__file__).resolve().parent.parent
BOUND = 10.0

QUEUE_AN_ARTICLE = """
from archive.search.indexing import deferred
from tests.factories import ArticleFactory
with deferred():
    ArticleFactory(title="Harbour pilots strike in Genoa")
"""


def manage(*args, env, **kwargs):
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True, **kwargs)


def wait_until(condition, *, timeout: float = BOUND) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def archive_env(tmp_path):
    """An environment for manage.py on its own migrated SQLite archive in a temporary folder."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(ARCHIVE_DATA_DIR=str(tmp_path / "archive"), DJANGO_DEBUG="true", PYTHONUNBUFFERED="1")
    (tmp_path / "archive").mkdir()
    migrate = manage("migrate", "--noinput", "-v", "0", env=env)
    assert migrate.wait(timeout=120) == 0
    return env


def queued(data_dir: str) -> int:
    with sqlite3.connect(Path(data_dir) / "archive.sqlite3") as db:
        return db.execute("SELECT count(*) FROM archive_pendingindexupdate").fetchone()[0]


def test_worker_applies_updates_queued_while_it_runs_and_stops_cleanly_on_sigterm(archive_env):
    """A running worker indexes an article queued by another process, then exits 0 on SIGTERM."""
    worker = manage(
        "process_index_queue",
        "--watch",
        "--interval",
        "0.2",
        env=archive_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        queue = manage("shell", "-c", QUEUE_AN_ARTICLE, env=archive_env)
        assert queue.wait(timeout=60) == 0
        data_dir = archive_env["ARCHIVE_DATA_DIR"]
        assert wait_until(lambda: queued(data_dir) == 0), "the worker did not apply the update in time"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=BOUND) == 0
    finally:
        worker.kill()
        output = worker.communicate()[0]
    assert "Indexed 1, removed 0, still queued 0" in output
    assert "Index worker stopped by SIGTERM" in output
    results = WhooshBackend({"PATH": Path(data_dir) / "index"}).search(SearchQuery(text="harbour pilots"))
    assert results.total == 1


WRITE_AN_ARTICLE = """
from tests.factories import ArticleFactory
ArticleFactory(title="Drone strike near Sabratha", body="The US made an attack last week on a base in Sabratha.")
"""
PENDING_SUGGESTIONS = """
from archive.models import Suggestion
print(sorted(str(s) for s in Suggestion.objects.pending().exclude(kind="date")))
"""


def test_worker_with_an_empty_queue_makes_stale_suggestions_again(archive_env):
    """Once load_gazetteer has made the article's 'New place: Sabratha' stale, the running worker replaces it."""
    assert manage("shell", "-c", WRITE_AN_ARTICLE, env=archive_env).wait(timeout=60) == 0
    gazetteer = manage("load_gazetteer", "--countries", "LY", "--min-population", "50000", env=archive_env)
    assert gazetteer.wait(timeout=120) == 0
    worker = manage("process_index_queue", "--watch", "--interval", "0.2", env=archive_env, stdout=subprocess.PIPE)
    try:
        assert wait_until(lambda: "Place: Şabrātah" in pending_suggestions(archive_env), timeout=60)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=BOUND) == 0
    finally:
        worker.kill()
        worker.communicate()
    assert pending_suggestions(archive_env) == "['Place: Libya', 'Place: Şabrātah']\n"


def test_a_worker_started_before_migrate_waits_for_it_without_an_error(tmp_path):
    """Started beside the servers on a new database, the worker says it waits, then works once migrated."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(ARCHIVE_DATA_DIR=str(tmp_path / "archive"), DJANGO_DEBUG="true", PYTHONUNBUFFERED="1")
    (tmp_path / "archive").mkdir()
    log = tmp_path / "worker.log"
    with open(log, "w") as output:
        worker = manage("process_index_queue", "--watch", "--interval", "0.2", env=env, stderr=output, stdout=output)
    try:
        assert wait_until(lambda: "Waiting for migrate" in log.read_text()), log.read_text()
        assert manage("migrate", "--noinput", "-v", "0", env=env).wait(timeout=120) == 0
        queue = manage("shell", "-c", QUEUE_AN_ARTICLE, env=env)
        assert queue.wait(timeout=60) == 0
        assert wait_until(lambda: "Indexed 1, removed 0, still queued 0" in log.read_text()), log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=BOUND)
    output = log.read_text()
    assert output.count("Waiting for migrate") == 1
    assert "Traceback" not in output and "ERROR" not in output
    assert worker.returncode == 0


def pending_suggestions(env) -> str:
    shell = manage("shell", "-v", "0", "-c", PENDING_SUGGESTIONS, env=env, stdout=subprocess.PIPE)
    return shell.communicate(timeout=60)[0]


@pytest.mark.django_db
def test_a_database_error_is_logged_and_the_worker_keeps_going(monkeypatch, caplog):
    """A failing database does not end the worker: it logs the error, waits and tries again."""
    calls = []

    def flaky_queue(*, max_batches):
        calls.append(max_batches)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        os.kill(os.getpid(), signal.SIGINT)
        return QueueReport(indexed=2, left=0)

    monkeypatch.setattr(process_index_queue, "process_queue", flaky_queue)
    with caplog.at_level(logging.INFO, logger="archive.worker"):
        call_command("process_index_queue", "--watch", "--interval", "0.1", stdout=io.StringIO())
    assert calls == [1, 1]
    assert "could not apply the queue; it retries shortly" in caplog.text
    assert "database is locked" in caplog.text
    assert "Indexed 2, removed 0, still queued 0" in caplog.text
    assert "Index worker stopped by SIGINT" in caplog.text


@pytest.mark.django_db
def test_watch_restores_the_signal_handlers_it_replaced(monkeypatch):
    """Once the worker stops, SIGTERM and SIGINT are handled as before it started."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)

    def stop_at_once(*, max_batches):
        os.kill(os.getpid(), signal.SIGTERM)
        return QueueReport()

    monkeypatch.setattr(process_index_queue, "process_queue", stop_at_once)
    call_command("process_index_queue", "--watch", stdout=io.StringIO())
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_interval_must_be_positive():
    """A zero or negative interval is refused with a message naming the option."""
    with pytest.raises(CommandError, match="--interval must be a positive number of seconds"):
        call_command("process_index_queue", "--watch", "--interval", "0")
