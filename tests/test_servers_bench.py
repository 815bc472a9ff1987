"""bench/servers.py: its three runs on real gunicorn servers over a small synthetic archive, and what it refuses."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres_support import fresh_database, skip_unless_postgres

SERVERS = Path(__file__).resolve().parent.parent / "bench" / "servers.py"
TIMEOUT = 600

pytestmark = pytest.mark.django_db


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SERVERS), *args], capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def run(django_db_setup, tmp_path_factory):
    """Four clients for three seconds in each run, on 40 generated articles in a fresh database."""
    skip_unless_postgres()
    data_dir = tmp_path_factory.mktemp("servers") / "hosts"
    with fresh_database("bench") as (_, url):
        done = bench(
            str(data_dir),
            *("--database-url", url, "--synthetic", "40", "--clients", "4", "--processes", "1"),
            *("--seconds", "3", "--warmup", "0", "--workers", "1", "--threads", "2"),
        )
        assert done.returncode == 0, done.stderr
        yield json.loads(done.stdout), done.stderr, data_dir, url


def test_every_run_is_reported_with_no_errors(run):
    """The three runs, in order, each with requests answered, throughput, percentiles and no error."""
    report, summary, _, _ = run
    assert list(report["runs"]) == ["two-postgres", "one-postgres", "one-whoosh"]
    for result in report["runs"].values():
        assert result["requests"] > 0
        assert result["server_errors"] == result["no_answer"] == 0
        latency = result["latency_ms"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert summary.splitlines()[-5].split()[:4] == ["run", "servers", "requests", "req/s"]


def test_two_servers_share_the_load_and_each_run_has_its_engine(run):
    """The first run spreads its clients over two servers, the others load one; each names its engine."""
    report, _, _, _ = run
    runs = report["runs"]
    assert [(name, result["engine"], len(result["servers"])) for name, result in runs.items()] == [
        ("two-postgres", "postgres", 2),
        ("one-postgres", "postgres", 1),
        ("one-whoosh", "whoosh", 1),
    ]
    by_server = runs["two-postgres"]["by_server"]
    assert all(counts["requests"] > 0 for counts in by_server.values())
    assert sum(counts["requests"] for counts in by_server.values()) == runs["two-postgres"]["requests"]


def test_each_host_has_its_own_folder(run):
    """Hosts a and b keep their own static files and gunicorn log; the Whoosh index is built in its own folder."""
    _, _, data_dir, _ = run
    for host in ("a", "b", "whoosh"):
        assert (data_dir / host / "static" / "staticfiles.json").exists()
        assert "Booting worker" in (data_dir / host / "gunicorn.log").read_text()
    assert (data_dir / "whoosh" / "index").is_symlink()
    assert not (data_dir / "a" / "index").exists()


def test_a_prepared_folder_refuses_another_database(run):
    """The hosts' folders belong to the database they were prepared on: another is refused, naming both."""
    _, _, data_dir, url = run
    other = url.rsplit("/", 1)[0] + "/some_other_archive"
    done = bench(str(data_dir), "--database-url", other, "--runs", "one-postgres")
    assert done.returncode == 1
    assert f"{data_dir / 'a'} was prepared on the database {url}, not {other}: " in done.stderr
    assert "give that database again, or a new directory." in done.stderr


def test_a_database_other_than_postgresql_is_refused(tmp_path):
    """The servers share one database and the engine keeps its index in it: SQLite is refused before anything."""
    hosts = tmp_path / "hosts"
    done = bench(str(hosts), "--database-url", f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    assert done.returncode == 2
    assert "--database-url must be a PostgreSQL database: the servers share it, and so does the engine" in done.stderr
    assert not hosts.exists()
