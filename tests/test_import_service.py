"""The import service: what it stores, idempotency, duplicates, batching, interruption and search."""

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from archive.extraction import batch
from archive.models import Actor, Article, Place, PlaceType
from archive.search import get_backend
from archive.search.base import SearchQuery
from archive.services import imports
from archive.services.imports import articles_import
from tests.factories import PlaceFactory
from tests.import_support import reuters_file, story

SEED = Path(__file__).resolve().parent.parent / "seeds" / "2016-02-24-italy-us-drones-sigonella.txt"

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_dir(tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


def wheat_story(newid: str, title: str = "FARMERS EXPECT LARGER WHEAT HARVEST", body: str = "Rains helped.") -> str:
    text = (
        f"&#2;\n<TITLE>{title}</TITLE>\n<DATELINE>    KANSAS CITY, March 12 - </DATELINE>"
        f"<BODY>{body}\n Reuter\n&#3;</BODY>"
    )
    return story(
        newid=newid,
        places="<D>usa</D><D>ussr</D>",
        people="<D>reagan</D>",
        orgs="<D>gatt</D>",
        text=text,
    )


def test_seed_is_stored_with_every_field(seed_dir):
    """The seed becomes one draft article with its parsed fields, slug, checksum and file name."""
    report = articles_import(paths=[seed_dir])
    assert (report.created, report.failed) == (1, 0)
    article = Article.objects.get()
    assert article.title.startswith("Italy Agrees to Launch US Armed Drones")
    assert article.slug == (
        "italy-agrees-to-launch-us-armed-drones-on-their-airbase-to-reinforce-campaign-against-isis-2016-02-24"
    )
    assert article.byline == "Staff Writer"
    assert article.published_at == dt.datetime(2016, 2, 24, 10, 42, tzinfo=dt.UTC)
    assert (article.published_start, article.published_end, article.published_precision) == (
        dt.date(2016, 2, 24),
        dt.date(2016, 2, 24),
        "day",
    )
    assert article.status == "draft"
    assert article.source_file == SEED.name
    assert len(article.checksum) == 64
    assert "More Sections" not in article.body


def test_reimporting_the_seed_changes_nothing(seed_dir):
    """The second import finds the checksum and leaves the article exactly as it was."""
    articles_import(paths=[seed_dir])
    before = Article.objects.values().get()
    report = articles_import(paths=[seed_dir])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Article.objects.values().get() == before


def test_publish_flag_publishes_new_articles(seed_dir):
    """With publish the new article is published at once."""
    articles_import(paths=[seed_dir], publish=True)
    assert Article.objects.get().status == "published"


def test_bad_files_fail_alone_and_stored_data_is_untouched(seed_dir, tmp_path):
    """Bad files each give their message; the good file is imported and an earlier article is not changed."""
    articles_import(paths=[seed_dir])
    before = list(Article.objects.values())
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a-empty.txt").write_text("")
    (bad / "b-binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (bad / "c-no-byline.txt").write_text("A Headline\n\nJust text.\n")
    (bad / "d-good.txt").write_text("Ceasefire Holds\n\nBy Amel Ben Salah | Mar 7, 2016 02:30 PM CET\n\nCalm.\n")
    report = articles_import(paths=[bad, seed_dir, tmp_path / "missing.txt"])
    assert report.failures == [
        "a-empty.txt: empty file",
        "b-binary.txt: binary file, not text",
        "c-no-byline.txt: no byline (expected 'By NAME | Mon DD, YYYY HH:MM AM TZ' after the title)",
        f"{tmp_path / 'missing.txt'}: no such file or directory",
    ]
    assert (report.created, report.unchanged) == (1, 1)
    assert [row for row in Article.objects.values() if row["id"] == before[0]["id"]] == before


def test_reuters_story_links_places_actors_and_tags(tmp_path):
    """PLACES, PEOPLE, ORGS and TOPICS become linked records; NEWID and Reuters identify the article."""
    articles_import(paths=[reuters_file(tmp_path / "reut2-000.sgm", wheat_story("101"))])
    article = Article.objects.get()
    assert (article.source, article.provider_id, article.dateline) == ("Reuters", "101", "KANSAS CITY, March 12")
    assert sorted((p.name, p.country_code, p.type) for p in article.places.all()) == [
        ("Soviet Union", "SU", "country"),
        ("United States", "US", "country"),
    ]
    assert sorted((a.name, a.type) for a in article.actors.all()) == [
        ("General Agreement on Tariffs and Trade", "international_organisation"),
        ("Reagan", "person"),
    ]
    assert sorted(article.tags.names()) == ["grain", "wheat"]
    assert list(
        Actor.objects.get(name="General Agreement on Tariffs and Trade").alternate_names.values_list("name", flat=True)
    ) == ["GATT"]
    assert list(
        Place.objects.get(name="United States").alternate_names.order_by("name").values_list("name", flat=True)
    ) == [
        "U.S.",
        "USA",
        "United States of America",
    ]


def test_existing_places_are_reused(tmp_path):
    """A country already in the archive is linked, not created again."""
    italy = PlaceFactory(name="Italy", type=PlaceType.COUNTRY, country_code="IT")
    articles_import(paths=[reuters_file(tmp_path / "r.sgm", story(newid="5", places="<D>italy</D>"))])
    assert list(Article.objects.get().places.all()) == [italy]
    assert Place.objects.filter(name="Italy").count() == 1


def test_dateline_links_a_known_place(tmp_path):
    """A dateline naming an existing place links it as the dateline place."""
    kansas_city = PlaceFactory(name="Kansas City", type=PlaceType.CITY)
    articles_import(paths=[reuters_file(tmp_path / "r.sgm", wheat_story("7"))])
    assert Article.objects.get().dateline_place == kansas_city


def test_reimport_with_a_provider_id_updates_the_same_article(tmp_path):
    """A story re-sent under the same NEWID with new text updates that article instead of adding one."""
    articles_import(paths=[reuters_file(tmp_path / "one.sgm", wheat_story("200", body="First version."))])
    original = Article.objects.get()
    report = articles_import(paths=[reuters_file(tmp_path / "two.sgm", wheat_story("200", body="Corrected version."))])
    assert (report.created, report.updated) == (0, 1)
    article = Article.objects.get()
    assert (article.pk, article.slug, article.body) == (original.pk, original.slug, "Corrected version.")
    assert article.version == original.version + 1
    assert article.source_file == "two.sgm"


def test_reimport_of_an_unchanged_reuters_file_is_unchanged(tmp_path):
    """The same file again leaves every record alone."""
    path = reuters_file(tmp_path / "r.sgm", wheat_story("1"), wheat_story("2", title="CORN PRICES STEADY"))
    articles_import(paths=[path])
    before = list(Article.objects.order_by("pk").values())
    report = articles_import(paths=[path])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Article.objects.order_by("pk").values()) == before


def test_same_text_under_two_newids_is_two_articles_the_later_flagged(tmp_path):
    """The wire sent a story twice: both are kept, the later points at the earlier as a likely duplicate."""
    report = articles_import(paths=[reuters_file(tmp_path / "r.sgm", wheat_story("300"), wheat_story("301"))])
    first, second = Article.objects.order_by("provider_id")
    assert (first.duplicate_of, second.duplicate_of) == (None, first)
    assert report.flagged_duplicates == 1
    assert first.slug != second.slug


def test_same_title_and_day_get_distinct_stable_slugs(tmp_path):
    """Two stories with one title on one day: the second slug carries its provider id."""
    articles_import(
        paths=[
            reuters_file(tmp_path / "r.sgm", wheat_story("400", body="Kansas."), wheat_story("401", body="Nebraska."))
        ]
    )
    assert list(Article.objects.order_by("provider_id").values_list("slug", flat=True)) == [
        "farmers-expect-larger-wheat-harvest-1987-03-12",
        "farmers-expect-larger-wheat-harvest-1987-03-12-401",
    ]


def test_record_errors_in_a_multi_record_file_do_not_stop_the_others(tmp_path):
    """A record without DATE fails on its own; the records around it are stored."""
    path = reuters_file(
        tmp_path / "reut2-004.sgm",
        wheat_story("4122"),
        story(newid="4123", date=None),
        wheat_story("4124", title="OATS"),
    )
    report = articles_import(paths=[path])
    assert report.failures == ["reut2-004.sgm NEWID=4123: no DATE"]
    assert sorted(Article.objects.values_list("provider_id", flat=True)) == ["4122", "4124"]


def test_jsonl_without_ids_is_idempotent_by_checksum(tmp_path):
    """Records without an id are recognised by their text on the next import."""
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"title": "Budget vote delayed", "body": "The vote moved to May."}) + "\n")
    articles_import(paths=[path])
    report = articles_import(paths=[path])
    assert (report.created, report.unchanged, Article.objects.count()) == (0, 1, 1)


def test_query_count_does_not_grow_with_the_number_of_records(tmp_path):
    """Once its actors, places and tags exist, a batch of 40 stories costs the same queries as a batch of 4."""

    def queries_for(count: int, offset: int) -> int:
        stories = [wheat_story(str(offset + n), title=f"HARVEST REPORT {offset + n}") for n in range(count)]
        path = reuters_file(tmp_path / f"r{offset}.sgm", *stories)
        with CaptureQueriesContext(connection) as captured:
            articles_import(paths=[path])
        return len(captured.captured_queries)

    queries_for(1, 0)
    small = queries_for(4, 1000)
    large = queries_for(40, 2000)
    assert large == small


def test_batches_commit_separately(tmp_path, monkeypatch):
    """With a batch size of 2, five stories are written in three batches."""
    calls = []
    original = imports._BatchWriter.write

    def counting(self, records):
        calls.append(len(records))
        return original(self, records)

    monkeypatch.setattr(imports._BatchWriter, "write", counting)
    stories = [wheat_story(str(n), title=f"REPORT {n}") for n in range(5)]
    articles_import(paths=[reuters_file(tmp_path / "r.sgm", *stories)], batch_size=2)
    assert [size for size in calls if size] == [2, 2, 1]


@pytest.mark.django_db(transaction=True)
def test_interrupted_import_resumes_without_duplicates_or_missing_index_entries(tmp_path, monkeypatch):
    """Stopped after two committed batches, the same import run again stores and indexes every story once."""
    stories = [wheat_story(str(n), title=f"GRAIN REPORT NUMBER {n}") for n in range(1, 8)]
    path = reuters_file(tmp_path / "reut2-000.sgm", *stories)
    original = imports._BatchWriter._link
    batches = []

    def interrupted(self, *args):
        # Ctrl-C in the middle of the third batch's transaction, after its articles were inserted.
        if len(batches) == 2:
            raise KeyboardInterrupt
        batches.append(1)
        return original(self, *args)

    monkeypatch.setattr(imports._BatchWriter, "_link", interrupted)
    report = imports.ImportReport()
    with pytest.raises(KeyboardInterrupt):
        articles_import(paths=[path], batch_size=3, report=report)
    assert (report.created, Article.objects.count()) == (6, 6)

    monkeypatch.setattr(imports._BatchWriter, "_link", original)
    rerun = articles_import(paths=[path], batch_size=3)
    assert (rerun.created, rerun.unchanged) == (1, 6)
    assert sorted(Article.objects.values_list("provider_id", flat=True)) == [str(n) for n in range(1, 8)]
    assert set(get_backend().fingerprints()) == set(Article.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_imported_seed_is_found_by_search(seed_dir):
    """After the import commits, the search backend finds the seed for a word of its text."""
    articles_import(paths=[seed_dir])
    results = get_backend().search(SearchQuery(text="Sigonella", statuses=("draft", "published")))
    assert [hit.article_id for hit in results.hits] == [Article.objects.get().pk]


def test_dateline_place_created_later_in_the_run_is_linked_and_a_rerun_is_unchanged(tmp_path):
    """A dateline naming a country that a later batch creates is linked at the end, so a re-run finds nothing to do."""
    datelined = (
        "&#2;\n<TITLE>RUBBER PRICES EASE</TITLE>\n<DATELINE>    SINGAPORE, March 12 - </DATELINE>"
        "<BODY>Rubber eased.\n&#3;</BODY>"
    )
    path = reuters_file(
        tmp_path / "r.sgm",
        story(newid="1", places="<D>malaysia</D>", text=datelined),
        story(newid="2", places="<D>singapore</D>"),
    )
    articles_import(paths=[path], batch_size=1)
    singapore = Place.objects.get(name="Singapore")
    assert Article.objects.get(provider_id="1").dateline_place == singapore
    report = articles_import(paths=[path], batch_size=1)
    assert (report.updated, report.unchanged) == (0, 2)


def test_jsonl_names_match_existing_actors_and_unknown_ones_are_created(tmp_path):
    """An untyped name links the existing actor of that name; a typed new one is created with its type."""
    nato = Actor.objects.create(name="NATO", type="international_organisation")
    path = tmp_path / "feed.jsonl"
    path.write_text(
        json.dumps(
            {
                "title": "Alliance ministers meet in Brussels",
                "actors": ["NATO", {"name": "Jens Stoltenberg", "type": "person"}, "Coalition Task Force"],
            }
        )
        + "\n"
    )
    articles_import(paths=[path])
    linked = {(actor.name, actor.type) for actor in Article.objects.get().actors.all()}
    assert linked == {
        ("NATO", "international_organisation"),
        ("Jens Stoltenberg", "person"),
        ("Coalition Task Force", "other"),
    }
    assert Actor.objects.filter(name="NATO").get() == nato


def test_jsonl_id_is_the_provider_id_within_its_source(tmp_path):
    """A JSON record with an id is updated in place when the feed sends it again with new text."""
    path = tmp_path / "feed.jsonl"
    record = {"id": "mw-17", "source": "Maghreb Wire", "title": "Port reopens", "body": "Ships are moving."}
    path.write_text(json.dumps(record) + "\n")
    articles_import(paths=[path])
    path.write_text(json.dumps({**record, "body": "Ships are moving again after the storm."}) + "\n")
    report = articles_import(paths=[path])
    assert (report.created, report.updated) == (0, 1)
    assert Article.objects.get().body == "Ships are moving again after the storm."


def test_a_record_the_database_refuses_fails_alone(tmp_path, monkeypatch):
    """When a batch fails in the database, its records are retried one by one and only the culprit fails."""
    original = imports._BatchWriter._link

    def refuse_one(self, linked, *args):
        if any(record.provider_id == "2" for record, _ in linked):
            raise IntegrityError("simulated constraint failure")
        return original(self, linked, *args)

    monkeypatch.setattr(imports._BatchWriter, "_link", refuse_one)
    stories = [wheat_story(str(n), title=f"REPORT {n}") for n in (1, 2, 3)]
    report = articles_import(paths=[reuters_file(tmp_path / "r.sgm", *stories)])
    assert report.failures == ["r.sgm NEWID=2: could not be stored (simulated constraint failure)"]
    assert sorted(Article.objects.values_list("provider_id", flat=True)) == ["1", "3"]
    assert report.created == 2


def test_imported_articles_get_suggestions(seed_dir):
    """The import proposes access points for what it stored, with the words that led to them."""
    from archive.models import Suggestion, SuggestionKind

    articles_import(paths=[seed_dir])
    article = Article.objects.get()
    dates = Suggestion.objects.filter(article=article, kind=SuggestionKind.DATE)
    assert dates.filter(date_start=dt.date(2016, 2, 22)).exists()
    assert not dates.filter(date_start=dt.date(2016, 2, 24)).exists()
    assert all(suggestion.evidence for suggestion in dates)


def test_unchanged_reimport_suggests_nothing_new(seed_dir):
    """Importing the same file again leaves the suggestions as they were."""
    from archive.models import Suggestion

    articles_import(paths=[seed_dir])
    before = list(Suggestion.objects.values_list("pk", flat=True))
    articles_import(paths=[seed_dir])
    assert list(Suggestion.objects.values_list("pk", flat=True)) == before


def test_suggestions_are_committed_with_their_batch(tmp_path, monkeypatch):
    """An import stopped before a batch commits loses its suggestions with it, and the rerun makes both."""
    from archive.models import Suggestion

    stories = [wheat_story(str(n), body=f"Talks in Libya, round {n}.") for n in range(1, 5)]
    path = reuters_file(tmp_path / "reut2-000.sgm", *stories)
    original = imports._BatchWriter._suggest

    def interrupted(self, article_ids):
        original(self, article_ids)
        if Article.objects.count() > 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(imports._BatchWriter, "_suggest", interrupted)
    with pytest.raises(KeyboardInterrupt):
        articles_import(paths=[path], batch_size=2)
    assert set(Suggestion.objects.values_list("article__provider_id", flat=True)) == {"1", "2"}

    monkeypatch.setattr(imports._BatchWriter, "_suggest", original)
    articles_import(paths=[path], batch_size=2)
    assert set(Suggestion.objects.values_list("article__provider_id", flat=True)) == {"1", "2", "3", "4"}


@pytest.mark.skipif(not batch._can_share(), reason="needs the fork start method and two cores")
@pytest.mark.django_db(transaction=True)
def test_import_interrupted_while_the_extraction_helper_reads_resumes_with_every_suggestion_once(
    tmp_path, monkeypatch, settings
):
    """Ctrl-C while a forked helper reads half a batch loses that batch whole; the rerun completes it, once."""
    from archive.models import Suggestion
    from archive.services.suggestions import suggest_for_articles

    settings.ARCHIVE_SUGGEST_SHARED_FROM = 2
    body = "Talks in Libya ended on Monday, March 9, the Italian minister said yesterday."
    stories = [wheat_story(str(n), title=f"GRAIN TALKS {n}", body=body) for n in range(1, 9)]
    path = reuters_file(tmp_path / "reut2-000.sgm", *stories)
    original = batch._extract_each
    parent, calls = os.getpid(), []

    def interrupted(stories, index):
        if os.getpid() == parent:
            calls.append(1)
            if len(calls) == 2:
                raise KeyboardInterrupt  # the second batch, while its helper reads the other half
        return original(stories, index)

    monkeypatch.setattr(batch, "_extract_each", interrupted)
    with pytest.raises(KeyboardInterrupt):
        articles_import(paths=[path], batch_size=4)
    assert set(Suggestion.objects.values_list("article__provider_id", flat=True)) == {"1", "2", "3", "4"}

    monkeypatch.setattr(batch, "_extract_each", original)
    rerun = articles_import(paths=[path], batch_size=4)
    assert (rerun.created, rerun.unchanged) == (4, 4)
    assert set(Suggestion.objects.values_list("article__provider_id", flat=True)) == {str(n) for n in range(1, 9)}
    # Suggesting again finds every suggestion already stored, once: none missing, none extra.
    again = suggest_for_articles(article_ids=Article.objects.values_list("pk", flat=True))
    assert (again.articles, again.created, again.updated, again.removed) == (8, 0, 0, 0)
    assert set(get_backend().fingerprints()) == set(Article.objects.values_list("pk", flat=True))


def test_failing_suggestions_cost_no_article(tmp_path, monkeypatch):
    """If suggesting fails, the articles are stored all the same and the report says what to run."""

    def broken(**kwargs):
        raise ValueError("automaton unavailable")

    monkeypatch.setattr(imports, "suggest_for_articles", broken)
    report = articles_import(paths=[reuters_file(tmp_path / "r.sgm", wheat_story("1"), wheat_story("2", title="B"))])
    assert (report.created, report.failures) == (2, [])
    first, last = sorted(Article.objects.values_list("pk", flat=True))
    assert report.warnings == [
        f"Articles {first} to {last}: no access points suggested (automaton unavailable); "
        "run suggest_access_points for them."
    ]
