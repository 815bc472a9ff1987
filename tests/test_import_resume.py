"""An import interrupted and run again stores exactly what one uninterrupted run stores.

The corpus has the case that once diverged: a story whose dateline names a
place that only a later story creates. Each test imports it once without a
break (inside a rolled-back transaction), then interrupts it after each
possible number of records, runs it again, and compares every stored
article, its version, links and suggestions, by natural keys, since ids
differ between the runs.
"""

import signal

import pytest
from django.db import IntegrityError, transaction

from archive.extraction.authorities import forget_authority_index
from archive.models import Article, Suggestion
from archive.services import imports
from archive.services.imports import articles_import
from tests.crash_support import killed_at, run_killed
from tests.import_support import reuters_file, story

pytestmark = pytest.mark.django_db

RECORDS = 5


def datelined(place: str, title: str, body: str) -> str:
    return f"&#2;\n<TITLE>{title}</TITLE>\n<DATELINE>    {place}, March 12 - </DATELINE><BODY>{body}\n&#3;</BODY>"


@pytest.fixture
def corpus(tmp_path):
    """Story 1 is datelined Singapore, which story 3 creates; story 4 repeats story 1's dateline after it."""
    rubber = "Rubber prices eased in Singapore and Kuala Lumpur on Thursday, dealers in Malaysia said."
    return reuters_file(
        tmp_path / "reut2-000.sgm",
        story(newid="1", places="<D>malaysia</D>", text=datelined("SINGAPORE", "RUBBER PRICES EASE", rubber)),
        story(newid="2", places="<D>usa</D>", people="<D>reagan</D>"),
        story(newid="3", places="<D>singapore</D>", text=datelined("SINGAPORE", "TIN OUTPUT FALLS", "Tin fell.")),
        story(newid="4", places="<D>japan</D>", text=datelined("SINGAPORE", "PALM OIL FIRM", rubber)),
        story(newid="5", places="<D>uk</D>", orgs="<D>ec</D>"),
    )


def stored() -> dict:
    """Everything an import stores, by provider id and names."""
    articles = {}
    for article in Article.objects.prefetch_related("actors", "places", "tags").select_related("dateline_place"):
        fields = {
            name: value
            for name, value in vars(article).items()
            if not name.startswith("_") and name not in {"id", "created_at", "updated_at", "dateline_place_id"}
        }
        fields["duplicate_of_id"] = article.duplicate_of.provider_id if article.duplicate_of_id else None
        fields["dateline_place"] = article.dateline_place.name if article.dateline_place else None
        fields["actors"] = sorted((actor.name, actor.type) for actor in article.actors.all())
        fields["places"] = sorted((place.name, place.type) for place in article.places.all())
        fields["tags"] = sorted(tag.name for tag in article.tags.all())
        fields["suggestions"] = sorted(
            (
                s.kind,
                s.actor.name if s.actor else "",
                s.place.name if s.place else "",
                s.candidate_name,
                str(s.date_start),
                s.confidence,
                s.status,
                repr(s.evidence),
            )
            for s in Suggestion.objects.filter(article=article).select_related("actor", "place")
        )
        articles[article.provider_id] = fields
    return articles


def uninterrupted(path, batch_size: int) -> dict:
    with transaction.atomic():
        articles_import(paths=[path], batch_size=batch_size)
        expected = stored()
        transaction.set_rollback(True)
    forget_authority_index()
    return expected


@pytest.mark.parametrize("batch_size", [1, 2])
@pytest.mark.parametrize("after", range(1, RECORDS + 1))
def test_an_import_stopped_between_batches_and_run_again_stores_what_one_run_stores(
    corpus, monkeypatch, batch_size, after
):
    """Ctrl-C once ``after`` records are committed (or before the last step, when all are), then the same import."""
    expected = uninterrupted(corpus, batch_size)
    assert expected["1"]["dateline_place"] == "Singapore"
    original_write, original_late = imports._BatchWriter.write, imports._BatchWriter.link_late_datelines

    def write(self, records):
        if Article.objects.count() >= after and records:
            raise KeyboardInterrupt
        return original_write(self, records)

    def link_late_datelines(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(imports._BatchWriter, "write", write)
    monkeypatch.setattr(imports._BatchWriter, "link_late_datelines", link_late_datelines)
    with pytest.raises(KeyboardInterrupt):
        articles_import(paths=[corpus], batch_size=batch_size)
    monkeypatch.setattr(imports._BatchWriter, "write", original_write)
    monkeypatch.setattr(imports._BatchWriter, "link_late_datelines", original_late)

    articles_import(paths=[corpus], batch_size=batch_size)
    assert stored() == expected


@pytest.mark.parametrize("batch_size", [1, 2])
def test_an_import_stopped_inside_a_batch_and_run_again_stores_what_one_run_stores(corpus, monkeypatch, batch_size):
    """Ctrl-C inside the transaction of the batch that creates the dateline place, then the same import."""
    expected = uninterrupted(corpus, batch_size)
    original = imports._BatchWriter._link

    def interrupted(self, linked, *args):
        if any(record.provider_id == "3" for record, _ in linked):
            raise KeyboardInterrupt
        return original(self, linked, *args)

    monkeypatch.setattr(imports._BatchWriter, "_link", interrupted)
    with pytest.raises(KeyboardInterrupt):
        articles_import(paths=[corpus], batch_size=batch_size)
    monkeypatch.setattr(imports._BatchWriter, "_link", original)

    articles_import(paths=[corpus], batch_size=batch_size)
    assert stored() == expected


def test_a_batch_the_database_refuses_keeps_what_earlier_batches_learnt_of_datelines(corpus, monkeypatch):
    """A refused record after the dateline place was created still leaves story 1 linked to it at the end."""
    original = imports._BatchWriter._link

    def refuse_four(self, linked, *args):
        if any(record.provider_id == "4" for record, _ in linked):
            raise IntegrityError("simulated constraint failure")
        return original(self, linked, *args)

    monkeypatch.setattr(imports._BatchWriter, "_link", refuse_four)
    report = articles_import(paths=[corpus], batch_size=1)
    assert report.failures == ["reut2-000.sgm NEWID=4: could not be stored (simulated constraint failure)"]
    assert Article.objects.get(provider_id="1").dateline_place.name == "Singapore"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("call", [1, 2, 3])
def test_an_import_killed_inside_a_batch_and_run_again_stores_what_one_run_stores(corpus, call):
    """kill -9 of the importing process inside the ``call``-th batch's transaction, then the same import."""
    expected = uninterrupted(corpus, batch_size=2)

    def import_corpus():
        articles_import(paths=[corpus], batch_size=2)

    assert run_killed(lambda: killed_at(imports._BatchWriter, "_link", call), import_corpus) == -signal.SIGKILL
    forget_authority_index()
    import_corpus()
    assert stored() == expected
