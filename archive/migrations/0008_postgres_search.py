"""The PostgreSQL search engine's storage: its extensions, text configurations, index table and word list.

It runs on PostgreSQL only (on SQLite there is nothing to create), whichever
engine is configured, so that an archive can switch engines with one setting
and a ``rebuild_index``. The tables are SQL, not models: only
``archive.search.postgres_backend`` reads or writes them.
"""

from django.db import migrations
from django.db.utils import DatabaseError

EXTENSIONS = ("unaccent", "pg_trgm")

CREATE = """
-- Documents and queries are read with the same configurations: English stemming (or none, for
-- the word list) after accent folding, so 'Sao Tome' finds 'São Tomé' and 'drone' finds 'drones'.
CREATE TEXT SEARCH CONFIGURATION archive_english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION archive_english
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
CREATE TEXT SEARCH CONFIGURATION archive_simple (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION archive_simple
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

CREATE TABLE archive_search_entry (
    -- No foreign key: Django's flush truncates the article table, which a reference would forbid;
    -- an article's deletion removes its entry in the same transaction (its post_delete signal).
    article_id bigint PRIMARY KEY,
    status varchar(20) NOT NULL,
    published_start date,
    published_end date,
    year integer,
    month varchar(7),
    source text NOT NULL,
    actor_ids bigint[] NOT NULL,
    place_ids bigint[] NOT NULL,
    tags text[] NOT NULL,
    -- Title (A), actor, place and tag names (B), body and dateline (C), byline and source (D).
    document tsvector NOT NULL,
    -- The field filters: actor (A), place (B), tag (C) and source (D) names.
    names tsvector NOT NULL,
    -- Unstemmed words of the title and the names: what the word list counts.
    words text[] NOT NULL,
    fingerprint varchar(32) NOT NULL
);
CREATE INDEX archive_search_entry_document ON archive_search_entry USING gin (document);
CREATE INDEX archive_search_entry_names ON archive_search_entry USING gin (names);
CREATE INDEX archive_search_entry_actor_ids ON archive_search_entry USING gin (actor_ids);
CREATE INDEX archive_search_entry_place_ids ON archive_search_entry USING gin (place_ids);
CREATE INDEX archive_search_entry_tags ON archive_search_entry USING gin (tags);
CREATE INDEX archive_search_entry_published ON archive_search_entry (published_start, published_end);
CREATE INDEX archive_search_entry_source ON archive_search_entry (source);

-- The dictionary for typing suggestions and "did you mean": a word is added by the write that
-- first indexes it; ``documents`` is recounted by ``compact`` (after imports and rebuilds).
CREATE TABLE archive_search_word (
    word text PRIMARY KEY,
    documents integer NOT NULL
);
CREATE INDEX archive_search_word_prefix ON archive_search_word (word text_pattern_ops);
CREATE INDEX archive_search_word_trigrams ON archive_search_word USING gin (word gin_trgm_ops);

-- How far an interrupted rebuild got.
CREATE TABLE archive_search_state (
    key text PRIMARY KEY,
    value bigint NOT NULL
);
"""

DROP = """
DROP TABLE IF EXISTS archive_search_state;
DROP TABLE IF EXISTS archive_search_word;
DROP TABLE IF EXISTS archive_search_entry;
DROP TEXT SEARCH CONFIGURATION IF EXISTS archive_simple;
DROP TEXT SEARCH CONFIGURATION IF EXISTS archive_english;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for extension in EXTENSIONS:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [extension])
            if cursor.fetchone():
                continue
            try:
                cursor.execute("SAVEPOINT archive_extension")
                cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
                cursor.execute("RELEASE SAVEPOINT archive_extension")
            except DatabaseError as exc:
                cursor.execute("ROLLBACK TO SAVEPOINT archive_extension")
                raise RuntimeError(
                    f"The search engine needs the PostgreSQL extension {extension!r}, and this database user "
                    f"may not create it ({exc}). Ask a superuser to run, in this database: "
                    + " ".join(f"CREATE EXTENSION IF NOT EXISTS {name};" for name in EXTENSIONS)
                    + " Then run `manage.py migrate` again."
                ) from exc
        cursor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("archive", "0007_import_job_heartbeat")]

    operations = [migrations.RunPython(create, drop)]
