"""The operations the README documents under *Deploying*, run as an operator runs them: commands in their own processes.

Backups and restores (``pg_dump`` / ``pg_restore`` on PostgreSQL, ``VACUUM INTO`` on SQLite) and the move of an
archive from SQLite and the Whoosh engine to PostgreSQL (``copy_to_postgres``). The PostgreSQL ones make scratch
databases named after the test database (``<test database>_<purpose>``) and drop them afterwards; they are skipped,
with the reason, on SQLite or without ``pg_dump``.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres_support import POSTGRES_ONLY, Server

ROOT = Path(__file__).resolve().parent.parent
BOUND = 300

# What an archivist might have stored beyond the seed: new actors and places, tags, accents, dates.
STORIES = [
    {
        "id": "ops-1",
        "title": "Harbour pilots strike in Genoa",
        "body": "Pilots in Genoa stopped work on Monday, and ships waited off São Tomé and the Ligurian coast.",
        "published": "2016-02-25",
        "source": "Example Wire",
        "actors": [{"name": "Italian Maritime Pilots Federation", "type": "organisation"}, "Italy"],
        "places": [{"name": "Genoa", "type": "city", "country_code": "IT"}],
        "tags": ["strikes", "shipping"],
    },
    {
        "id": "ops-2",
        "title": "Cocoa arrivals rise at Abidjan",
        "body": "Cocoa arrivals at the port of Abidjan rose for a third week.",
        "published": "1987-03",
        "source": "Reuters",
        "places": [{"name": "Abidjan", "type": "city", "country_code": "CI"}],
        "tags": ["cocoa"],
    },
]

# An editor's day after the import: a user, an edit with its history row, a tag added, an update left queued.
EDITS = """
from django.contrib.auth import get_user_model
from archive.models import Article
from archive.search.indexing import deferred
get_user_model().objects.create_user("editor", password="A-long-enough-password-42")
article = Article.objects.get(provider_id="ops-1")
article.title = "Harbour pilots end their strike in Genoa"
article.save()
article.tags.add("ports")
with deferred():
    article.body += " The port reopened on Friday."
    article.save()
"""

# Every row of every table the copy fills, as text, in an order that does not depend on the database.
DUMP = """
import json
from django.core.serializers.json import DjangoJSONEncoder
from archive.services.postgres_copy import copied_models
rows = {}
for model in copied_models():
    names = [column.attname for column in model._meta.local_concrete_fields]
    found = model._base_manager.values_list(*names)
    rows[model._meta.db_table] = sorted(json.dumps(list(row), cls=DjangoJSONEncoder, sort_keys=True) for row in found)
print(json.dumps(rows))
"""

# What a reader finds for the searches the README promises, on whichever engine is configured.
SEARCHES = """
import datetime as dt, json
from archive.search import get_backend
from archive.search.base import SearchQuery
queries = {text: SearchQuery(text=text) for text in
           ["Sigonella", "Daesh", "place:Italy", 'actor:"Islamic State"', "tag:drones", "Sao Tome", "tag:cocoa"]}
queries["from=2016-02"] = SearchQuery(date_from=dt.date(2016, 2, 1), date_to=dt.date(2016, 2, 29))
print(json.dumps({name: get_backend().search(query).total for name, query in queries.items()}))
"""


def manage(env: dict, *args: str, status: int = 0) -> str:
    """Run ``manage.py`` as a shell would; its stdout, after checking its exit status."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=BOUND
    )
    assert done.returncode == status, done.stdout + done.stderr
    return done.stdout


def python(env: dict, script: str):
    """Run ``script`` with Django set up in ``env``; what it printed last, read as JSON."""
    prelude = "import django; django.setup()\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=BOUND
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None


def archive_env(data_dir: Path, database_url: str = "", engine: str = "whoosh") -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "ARCHIVE_SEARCH_BACKEND", "ARCHIVE_DATA_DIR"}
    }
    env.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        ARCHIVE_SEARCH_BACKEND=engine,
        DJANGO_SETTINGS_MODULE="archive.settings",
        DJANGO_DEBUG="true",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    data_dir.mkdir(parents=True, exist_ok=True)
    return env


def fill(env: dict, tmp_path: Path) -> None:
    """A small archive with every kind of row: the seed, an import, an editor's changes."""
    stories = tmp_path / "stories.jsonl"
    stories.write_text("\n".join(json.dumps(story, ensure_ascii=False) for story in STORIES) + "\n")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_seed")
    manage(env, "import_articles", "--publish", "--no-progress", str(stories))
    python(env, EDITS)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sqlite_archive(tmp_path_factory) -> Path:
    """A filled SQLite archive with its Whoosh index, built once; tests copy its folder."""
    work = tmp_path_factory.mktemp("sqlite-archive")
    data_dir = work / "data"
    fill(archive_env(data_dir), work)
    return data_dir


def copy_of(archive: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "source"
    shutil.copytree(archive, data_dir, symlinks=True)
    return data_dir


@pytest.fixture
def server(db):
    """Scratch databases beside the test database (``db`` makes sure it exists)."""
    found = Server()
    yield found
    found.drop_all()


def require_pg_dump(server: Server) -> None:
    """Skip, saying why, unless this machine's pg_dump can dump the server (it refuses a newer one)."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    printed = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, timeout=60).stdout
    client = int(re.search(r"\(PostgreSQL\) (\d+)", printed).group(1))
    with server.admin() as admin:
        major = int(admin.execute("SHOW server_version_num").fetchone()[0]) // 10000
    if client < major:
        pytest.skip(f"pg_dump {client} cannot dump a PostgreSQL {major} server")


@POSTGRES_ONLY
def test_moving_an_sqlite_and_whoosh_archive_to_postgresql_carries_every_row_and_the_postgres_engine_finds_it(
    sqlite_archive, server, tmp_path
):
    """copy_to_postgres, rebuild_index, check_index: every table arrives whole, the source is untouched."""
    source = archive_env(copy_of(sqlite_archive, tmp_path))
    database_file = Path(source["ARCHIVE_DATA_DIR"]) / "archive.sqlite3"
    rows, file_before = python(source, DUMP), sha256(database_file)
    found_on_whoosh = python(source, SEARCHES)
    target_url = server.database("move")

    out = manage(source, "copy_to_postgres", "-v", "0", target_url)

    copied = sum(len(table_rows) for table_rows in rows.values())
    assert out.splitlines()[0] == f"Copied {copied:,} rows of {len(rows)} tables into {target_url}."
    assert python(source, DUMP) == rows
    assert sha256(database_file) == file_before
    target = archive_env(tmp_path / "target", target_url, engine="postgres")
    assert python(target, DUMP) == rows
    for table in (
        "archive_article",
        "archive_actor",
        "archive_actorname",
        "archive_place",
        "taggit_tag",
        "taggit_taggeditem",
        "archive_article_actors",
        "archive_article_places",
        "archive_historicalarticle",
        "archive_suggestion",
        "archive_pendingindexupdate",
        "auth_user",
    ):
        assert rows[table], f"the test archive has no {table} rows to carry"

    assert "articles missing from the index" in manage(target, "check_index", "-v", "0", status=1)
    manage(target, "rebuild_index", "-v", "0")
    assert manage(target, "check_index", "-v", "0") == "The index matches the database.\n"
    assert server.count(target_url, "archive_pendingindexupdate") == 0
    found_on_postgres = python(target, SEARCHES)
    assert found_on_postgres == found_on_whoosh
    assert all(found_on_postgres.values()), found_on_postgres


@POSTGRES_ONLY
def test_a_copy_into_a_database_that_holds_an_archive_is_refused_and_changes_nothing(sqlite_archive, server, tmp_path):
    """Running the copy again after it succeeded would overwrite the moved archive: it is refused, by name."""
    source = archive_env(copy_of(sqlite_archive, tmp_path))
    target_url = server.database("twice")
    manage(source, "copy_to_postgres", "-v", "0", target_url)
    articles = server.count(target_url, "archive_article")

    done = subprocess.run(
        [sys.executable, "manage.py", "copy_to_postgres", "-v", "0", target_url],
        cwd=ROOT,
        env=source,
        capture_output=True,
        text=True,
        timeout=BOUND,
    )

    assert done.returncode == 1
    assert f"CommandError: {target_url} already holds data (archive_actor: " in done.stderr
    assert "copy into a new, empty database, so that nothing in it is overwritten." in done.stderr
    assert server.count(target_url, "archive_article") == articles


@POSTGRES_ONLY
@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        (
            "archive_article",
            "body",
            "Talks in Sabratha\x00 ended.",
            "body holds a null character (U+0000), which PostgreSQL cannot store. Remove it from that record, "
            "then run the copy again; nothing was written to the target.",
        ),
        (
            "archive_actor",
            "name",
            "Ministry " * 40,
            "name is 360 characters long, more than the 255 its column holds (SQLite does not enforce the limit, "
            "PostgreSQL does). Shorten it, then run the copy again; nothing was written to the target.",
        ),
    ],
)
def test_a_value_postgresql_cannot_store_is_named_and_nothing_is_copied(
    sqlite_archive, server, tmp_path, table, column, value, message
):
    """SQLite keeps what PostgreSQL refuses: the copy names the record and its column, and writes nothing."""
    data_dir = copy_of(sqlite_archive, tmp_path)
    with sqlite3.connect(data_dir / "archive.sqlite3") as database:
        pk = database.execute(f"SELECT min(id) FROM {table}").fetchone()[0]
        database.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [value, pk])
    target_url = server.database("refused")

    done = subprocess.run(
        [sys.executable, "manage.py", "copy_to_postgres", "-v", "0", target_url],
        cwd=ROOT,
        env=archive_env(data_dir),
        capture_output=True,
        text=True,
        timeout=BOUND,
    )

    assert done.returncode == 1
    assert f"CommandError: {table} id={pk}: {message}" in done.stderr
    assert server.count(target_url, "archive_article") == 0


@POSTGRES_ONLY
def test_a_source_with_migrations_missing_is_refused_with_the_command_that_completes_it(server, tmp_path):
    """Both databases must have the same tables: a source migrated by an older version is named and sent to migrate."""
    source = archive_env(tmp_path / "old")
    manage(source, "migrate", "--noinput", "-v", "0")
    manage(source, "migrate", "archive", "0007", "--noinput", "-v", "0")
    target_url = server.database("older")

    done = subprocess.run(
        [sys.executable, "manage.py", "copy_to_postgres", "-v", "0", target_url],
        cwd=ROOT,
        env=source,
        capture_output=True,
        text=True,
        timeout=BOUND,
    )

    later = sorted(path.stem for path in (ROOT / "archive" / "migrations").glob("0*.py") if int(path.stem[:4]) > 7)
    assert done.returncode == 1
    assert done.stderr == (
        "CommandError: The archive's database lacks migrations of this version ("
        + ", ".join(f"archive.{name}" for name in later[:5])
        + (" …" if len(later) > 5 else "")
        + "): run `manage.py migrate` on it first, then copy it.\n"
    )


@POSTGRES_ONLY
def test_a_pg_dump_restored_into_a_new_database_passes_check_index_and_finds_its_articles(server, tmp_path):
    """The PostgreSQL engine's index is in the dump; the Whoosh engine's files are not, and rebuild_index makes them."""
    require_pg_dump(server)
    source_url = server.database("dumped")
    source = archive_env(tmp_path / "source", source_url, engine="postgres")
    fill(source, tmp_path)
    found = python(source, SEARCHES)
    dump = tmp_path / "archive.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", source_url], check=True, timeout=BOUND)
    restored_url = server.database("restored")

    restore = subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={restored_url}", str(dump)], capture_output=True, text=True
    )

    assert restore.returncode == 0, restore.stderr
    restored = archive_env(tmp_path / "restored", restored_url, engine="postgres")
    assert manage(restored, "migrate", "--noinput").endswith("No migrations to apply.\n")
    assert manage(restored, "check_index", "-v", "0") == "The index matches the database.\n"
    assert python(restored, SEARCHES) == found
    assert all(found.values()), found

    on_whoosh = archive_env(tmp_path / "restored-whoosh", restored_url, engine="whoosh")
    assert "articles missing from the index" in manage(on_whoosh, "check_index", "-v", "0", status=1)
    manage(on_whoosh, "rebuild_index", "-v", "0")
    assert manage(on_whoosh, "check_index", "-v", "0") == "The index matches the database.\n"
    assert python(on_whoosh, SEARCHES) == found


def test_an_sqlite_backup_restored_into_a_new_data_directory_is_searchable_after_rebuild_index(
    sqlite_archive, tmp_path
):
    """VACUUM INTO copies the database whole while it is in use; the Whoosh index is rebuilt from it."""
    source = archive_env(copy_of(sqlite_archive, tmp_path))
    found = python(source, SEARCHES)
    backup = tmp_path / "archive-backup.sqlite3"
    with sqlite3.connect(Path(source["ARCHIVE_DATA_DIR"]) / "archive.sqlite3") as database:
        database.execute("VACUUM INTO ?", [str(backup)])
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(backup, restored_dir / "archive.sqlite3")
    restored = archive_env(restored_dir)

    assert python(restored, DUMP) == python(source, DUMP)
    assert "articles missing from the index" in manage(restored, "check_index", "-v", "0", status=1)
    manage(restored, "rebuild_index", "-v", "0")
    assert manage(restored, "check_index", "-v", "0") == "The index matches the database.\n"
    assert python(restored, SEARCHES) == found
