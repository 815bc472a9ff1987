"""``/healthz``: a probe for load balancers, answering whether the database and the search engine work."""

import logging

import pytest
from django.db import OperationalError

from archive import health
from archive.models import PendingIndexUpdate
from archive.search import get_backend
from archive.search.base import SearchBackendError
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_working_archive_answers_ok(client, indexed):
    """With the database and the index working, the probe answers 200 and reports an empty queue."""
    indexed(ArticleFactory)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "search": "ok", "queued_index_updates": 0}


def test_queued_index_updates_are_counted(client):
    """Updates still waiting for the index are reported, so a stalled worker shows."""
    PendingIndexUpdate.objects.bulk_create([PendingIndexUpdate(article_id=pk) for pk in (1, 2, 3)])
    assert client.get("/healthz").json()["queued_index_updates"] == 3


def test_a_failing_search_engine_answers_503_naming_it(client, monkeypatch, caplog):
    """When the engine raises, the probe answers 503 with the kind of failure; the full error goes to the log."""

    def broken(query):
        raise SearchBackendError("index files under /srv/archive/index cannot be read")

    monkeypatch.setattr(get_backend(), "search", broken)
    with caplog.at_level(logging.ERROR, logger="archive.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "search": "unavailable: SearchBackendError",
        "queued_index_updates": 0,
    }
    assert "/srv/archive" not in response.content.decode()
    assert "the search engine is unavailable: index files under /srv/archive/index cannot be read" in caplog.text


def test_an_unreachable_database_answers_503_naming_it(client, monkeypatch, caplog):
    """When the database cannot be reached, the probe answers 503 and cannot count the queue."""

    def unreachable():
        raise OperationalError('connection to server at "db.internal" failed: Connection refused')

    monkeypatch.setattr(health, "check_database", unreachable)
    with caplog.at_level(logging.ERROR, logger="archive.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unavailable: OperationalError",
        "search": "ok",
        "queued_index_updates": None,
    }
    assert "the database is unavailable: connection to server" in caplog.text


def test_the_probe_is_never_cached(client):
    """Every probe reaches the archive: caches and proxies are told not to keep the answer."""
    cache_control = client.get("/healthz")["Cache-Control"]
    assert "no-cache" in cache_control
    assert "no-store" in cache_control


def test_the_probe_answers_over_plain_http_when_everything_else_redirects(client, settings):
    """A load balancer probes over HTTP: /healthz is exempt from the redirect to HTTPS, the pages are not."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/search/").status_code == 301


def test_the_probe_needs_no_login_and_only_answers_reads(client):
    """Anyone may probe with GET or HEAD; other methods are refused."""
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
