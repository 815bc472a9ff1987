"""Shared fixtures: every test gets its own data directory and a real, empty Whoosh index.

Index updates run after the transaction commits; tests that check search
after a save use ``django_capture_on_commit_callbacks(execute=True)`` or
``transaction=True``.
"""

import pytest

from archive.search import get_backend


@pytest.fixture(autouse=True)
def isolated_index(settings, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings.ARCHIVE_DATA_DIR = data_dir
    # WhiteNoise expects the folder collectstatic fills; in debug mode it serves the sources instead.
    settings.STATIC_ROOT = data_dir / "static"
    settings.STATIC_ROOT.mkdir()
    settings.ARCHIVE_SEARCH = {
        "BACKEND": "archive.search.whoosh_backend.WhooshBackend",
        "OPTIONS": {"PATH": data_dir / "index", "LOCK_TIMEOUT": 1.0},
    }
    # A retry thread outliving its test would write to the next test's database.
    settings.ARCHIVE_INDEX_RETRY_SECONDS = None
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


@pytest.fixture
def backend():
    return get_backend()


@pytest.fixture(params=["whoosh", "postgres"])
def each_engine(request, settings):
    """The test runs once per search engine; the PostgreSQL engine only on a PostgreSQL database.

    The PostgreSQL engine's table is not a model, so a transactional test's flush does not empty it: it is
    cleared here, before the test writes.
    """
    from django.db import connection

    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL engine keeps its index in the database: run with a postgres DATABASE_URL")
    settings.ARCHIVE_SEARCH = {**settings.ARCHIVE_SEARCH, "BACKEND": settings.SEARCH_ENGINES[request.param]}
    get_backend.cache_clear()
    if request.param == "postgres":
        get_backend().clear()
    yield request.param
    get_backend.cache_clear()


@pytest.fixture
def indexed(django_capture_on_commit_callbacks):
    """Run a block of writes and apply their index updates, as a committed transaction would."""

    def run(make):
        with django_capture_on_commit_callbacks(execute=True):
            return make()

    return run


@pytest.fixture
def world(indexed):
    """The seed article's world (published and draft articles, actors, places), indexed."""
    from tests.public_data import seed_world

    return indexed(seed_world)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Test on an SQLite file, as the archive runs: threads sharing an in-memory one lock whole tables and fail."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")
