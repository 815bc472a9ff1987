"""A real harvester (oaipmh-scythe, from PyPI) harvests the archive through gunicorn on 127.0.0.1.

The server runs on this test's database, with two worker processes (a token
issued by one is read by the other) and three records a page; the test
changes articles between pages, as an archivist would during a harvest.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig

from archive.models import ArticleStatus
from tests.factories import ArticleFactory, PlaceFactory
from tests.public_data import draft

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
BOUND = 20.0
PAGE_SIZE = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """This test's database, as the server process must be told it."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.fixture
def endpoint(tmp_path):
    """The OAI-PMH base URL of a production-like gunicorn serving this test's database."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "ARCHIVE_"))}
    env.update(
        DATABASE_URL=database_url(),
        ARCHIVE_DATA_DIR=str(tmp_path / "served"),
        ARCHIVE_OAI_PAGE_SIZE=str(PAGE_SIZE),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="oai-harvest-test-key-9f2c4e1a7b3d5f8e0c6a2b4d8f1e3c5a7b9d0f2e4c6a8b",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
    )
    process = subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + BOUND
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "gunicorn did not start listening in time"
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}/oai/"
    finally:
        process.kill()
        process.communicate(timeout=BOUND)


def identifier(article) -> str:
    return f"oai:archive.example.org:articles/{article.pk}"


def test_a_harvest_returns_every_published_article_once_while_the_archive_changes(endpoint):
    """Across several pages: every published article exactly once, no draft, a withdrawn and a deleted one as
    deleted records, changes between pages neither skipped nor repeated, and the rest in the next harvest."""
    early_draft = draft(title="Published during the harvest, before its place in the list")
    articles = [ArticleFactory(title=f"Story {n}", tags=["markets"]) for n in range(10)]
    withdrawn_before = ArticleFactory(title="Withdrawn before the harvest")
    withdrawn_before.status = ArticleStatus.WITHDRAWN
    withdrawn_before.save()
    never_published = draft(title="A draft nobody may harvest")

    with Scythe(endpoint, http_config=HTTPConfig(timeout=10)) as scythe:
        started = scythe.harvest({"verb": "Identify"}).xml.findtext(f".//{scythe.oai_namespace}responseDate")
        harvest = scythe.list_records(metadata_prefix="oai_dc")
        received = [next(harvest) for _ in range(PAGE_SIZE)]

        # Between the first and the second page.
        sent, ahead, withdrawn, deleted = articles[0], articles[5], articles[6], articles[7]
        sent.title = "Story 0, edited after it was harvested"
        sent.save()
        ahead.title = "Story 5, edited before it was harvested"
        ahead.save()
        withdrawn.status = ArticleStatus.WITHDRAWN
        withdrawn.save()
        deleted_identifier = identifier(deleted)
        deleted.delete()
        early_draft.status = ArticleStatus.PUBLISHED
        early_draft.save()
        newcomer = ArticleFactory(title="Published during the harvest, at the end of the list")

        received += list(harvest)

    by_identifier = {record.header.identifier: record for record in received}
    assert len(by_identifier) == len(received), "a record came twice"
    assert sorted(by_identifier) == sorted(
        [identifier(article) for article in [*articles[:7], *articles[8:], withdrawn_before, newcomer]]
        + [deleted_identifier]
    )
    assert identifier(never_published) not in by_identifier
    assert identifier(early_draft) not in by_identifier
    deleted_ones = {key for key, record in by_identifier.items() if record.header.deleted}
    assert deleted_ones == {identifier(withdrawn_before), identifier(withdrawn), deleted_identifier}
    assert by_identifier[identifier(ahead)].metadata["title"] == ["Story 5, edited before it was harvested"]
    assert by_identifier[identifier(sent)].metadata["title"] == ["Story 0"]
    assert len(received) > 3 * PAGE_SIZE, "the harvest spans several pages"

    with Scythe(endpoint, http_config=HTTPConfig(timeout=10)) as scythe:
        since = {h.identifier: h for h in scythe.list_identifiers(metadata_prefix="oai_dc", from_=started)}
        assert identifier(sent) in since and identifier(early_draft) in since
        assert identifier(never_published) not in since
        record = scythe.get_record(identifier=identifier(sent))
        assert record.metadata["title"] == ["Story 0, edited after it was harvested"]


def test_a_set_harvest_follows_membership_changes_between_pages(endpoint):
    """A country's set across pages: an article moved into it ahead of the harvest comes, one moved out does not."""
    italy = PlaceFactory(name="Italy", type="country", country_code="IT")
    malta = PlaceFactory(name="Malta", type="country", country_code="MT")
    in_italy = [ArticleFactory(places=[italy]) for _ in range(7)]
    moving_in = ArticleFactory(places=[malta])
    with Scythe(endpoint, http_config=HTTPConfig(timeout=10)) as scythe:
        harvest = scythe.list_identifiers(metadata_prefix="oai_dc", set_="country:IT")
        received = [next(harvest) for _ in range(PAGE_SIZE)]
        in_italy[5].places.set([malta])
        moving_in.places.add(italy)
        received += list(harvest)
    assert [header.identifier for header in received] == [
        identifier(article) for article in [*in_italy[:5], in_italy[6], moving_in]
    ]
