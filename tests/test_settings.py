"""Configuration comes from the environment, with safe defaults and one clear error per bad value.

Settings are read once at import, so each test imports them in a fresh
interpreter with exactly the environment it describes.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "ARCHIVE_DATA_DIR",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "ARCHIVE_SEARCH_BACKEND",
    "ARCHIVE_MAX_ARTICLE_BYTES",
)

DUMP_SETTINGS = """
import json
from archive import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "ARCHIVE_DATA_DIR": str(settings.ARCHIVE_DATA_DIR),
    "INDEX_PATH": str(settings.ARCHIVE_SEARCH["OPTIONS"]["PATH"]),
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "USER": db.get("USER", ""),
    "HOST": db.get("HOST", ""),
    "PORT": db.get("PORT", ""),
    "MAX_ARTICLE_BYTES": settings.ARCHIVE_MAX_ARTICLE_BYTES,
}))
"""


def load_settings(**environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", DUMP_SETTINGS], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def settings_from(**environment: str) -> dict:
    result = load_settings(**environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def error_from(**environment: str) -> str:
    """The last line of the traceback: the exception and its message."""
    result = load_settings(**environment)
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


def test_defaults_give_a_self_contained_archive_under_var():
    """With no environment, the database is an SQLite file and the index a folder, both under var/."""
    config = settings_from()
    assert config["ARCHIVE_DATA_DIR"] == str(BASE_DIR / "var")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(BASE_DIR / "var" / "archive.sqlite3")
    assert config["INDEX_PATH"] == str(BASE_DIR / "var" / "index")


def test_debug_is_on_by_default_with_a_development_key():
    """A local checkout runs in debug mode with a key marked as insecure, and no secret to set up."""
    config = settings_from()
    assert config["DEBUG"] is True
    assert config["SECRET_KEY"].startswith("django-insecure-")


def test_default_allowed_hosts_are_local():
    """Without DJANGO_ALLOWED_HOSTS only local names and the test client are served."""
    assert settings_from()["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]


def test_archive_data_dir_moves_the_database_and_the_index(tmp_path):
    """ARCHIVE_DATA_DIR holds both the default SQLite file and the Whoosh index."""
    config = settings_from(ARCHIVE_DATA_DIR=str(tmp_path))
    assert config["ARCHIVE_DATA_DIR"] == str(tmp_path.resolve())
    assert config["NAME"] == str(tmp_path.resolve() / "archive.sqlite3")
    assert config["INDEX_PATH"] == str(tmp_path.resolve() / "index")


def test_empty_archive_data_dir_falls_back_to_var():
    """An empty ARCHIVE_DATA_DIR counts as unset rather than meaning the current directory."""
    assert settings_from(ARCHIVE_DATA_DIR="")["ARCHIVE_DATA_DIR"] == str(BASE_DIR / "var")


def test_database_url_selects_postgresql():
    """A postgres:// DATABASE_URL is parsed into Django's PostgreSQL backend settings."""
    config = settings_from(DATABASE_URL="postgres://archivist@db.example.org:6543/newsroom")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == (
        "newsroom",
        "archivist",
        "db.example.org",
        6543,
    )


def test_database_url_selects_an_sqlite_file(tmp_path):
    """An sqlite:/// DATABASE_URL points the archive at that file instead of the default."""
    database = tmp_path / "other.sqlite3"
    config = settings_from(DATABASE_URL=f"sqlite:///{database}")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(database)


def test_unknown_database_url_is_refused_with_a_clear_message():
    """A DATABASE_URL with an unknown scheme stops start-up naming the variable and an example."""
    assert error_from(DATABASE_URL="mongodb://localhost/archive") == (
        "django.core.exceptions.ImproperlyConfigured: DATABASE_URL must be a database URL such as "
        "postgres://user@host:5432/name or sqlite:////path/to/file.sqlite3"
    )


def test_debug_accepts_false_words():
    """DJANGO_DEBUG=off turns debug mode off (with a secret key set)."""
    assert settings_from(DJANGO_DEBUG="off", DJANGO_SECRET_KEY="s3cret-for-production")["DEBUG"] is False


def test_bad_debug_value_is_refused_with_a_clear_message():
    """A DJANGO_DEBUG that is neither true nor false stops start-up and quotes the value."""
    assert error_from(DJANGO_DEBUG="maybe") == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_DEBUG must be true or false, not 'maybe'"
    )


def test_secret_key_is_required_when_debug_is_off():
    """Production (debug off) never runs with the development key."""
    assert error_from(DJANGO_DEBUG="false") == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off"
    )


def test_secret_key_comes_from_the_environment():
    """DJANGO_SECRET_KEY is used as given."""
    config = settings_from(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="s3cret-for-production")
    assert config["SECRET_KEY"] == "s3cret-for-production"


def test_allowed_hosts_are_split_on_commas_and_trimmed():
    """DJANGO_ALLOWED_HOSTS is a comma-separated list; spaces and empty items are ignored."""
    config = settings_from(DJANGO_ALLOWED_HOSTS=" archive.example.org, www.archive.example.org ,,")
    assert config["ALLOWED_HOSTS"] == ["archive.example.org", "www.archive.example.org"]


def test_the_article_size_limit_is_five_megabytes_by_default():
    """Without ARCHIVE_MAX_ARTICLE_BYTES an import takes articles of up to 5 MB (5,242,880 bytes)."""
    assert settings_from()["MAX_ARTICLE_BYTES"] == 5 * 1024 * 1024


def test_the_article_size_limit_comes_from_the_environment():
    """ARCHIVE_MAX_ARTICLE_BYTES is a number of bytes."""
    assert settings_from(ARCHIVE_MAX_ARTICLE_BYTES="20000000")["MAX_ARTICLE_BYTES"] == 20_000_000


def test_a_bad_article_size_limit_is_refused_with_a_clear_message():
    """A limit that is not a whole number of bytes stops start-up naming the variable."""
    assert error_from(ARCHIVE_MAX_ARTICLE_BYTES="5MB") == (
        "django.core.exceptions.ImproperlyConfigured: "
        "ARCHIVE_MAX_ARTICLE_BYTES must be a whole number of at least 1, not '5MB'"
    )
