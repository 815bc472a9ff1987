"""OAI-PMH records follow the articles: a datestamp that moves with every change of metadata or sets, tombstones."""

import datetime as dt
import json
import multiprocessing
import random

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from taggit.models import Tag

from archive.models import Actor, Article, ArticleStatus, AuthorityStatus, OaiRecord, OaiSet, OaiSetMembership
from archive.services.articles import article_set_status, articles_add_tags
from archive.services.authorities import authorities_merge
from archive.services.imports import articles_import
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory
from tests.public_data import draft

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def editor():
    return get_user_model().objects.create_superuser("oai-editor", password="x")


def aged(*articles) -> None:
    """Date the records in the past, so a change that stamps them shows."""
    OaiRecord.objects.filter(article_id__in=[article.pk for article in articles]).update(datestamp=LONG_AGO)


def stamp(article) -> dt.datetime:
    return OaiRecord.objects.get(article_id=article.pk).datestamp


def specs(article) -> set[str]:
    return set(OaiSetMembership.objects.filter(record_id=article.pk).values_list("spec", flat=True))


def test_a_published_article_has_a_record_and_a_draft_never_does():
    """Publishing creates the record; a draft gets none, not even a deleted one once it is deleted."""
    published = ArticleFactory()
    unpublished = draft()
    assert OaiRecord.objects.filter(article_id=published.pk, deleted=False).exists()
    unpublished.title = "Still a draft"
    unpublished.save()
    unpublished.delete()
    assert not OaiRecord.objects.filter(article_id=unpublished.pk).exists()


def test_publishing_a_draft_creates_its_record(editor):
    """A draft moved to published by the workflow gets its record in the same transaction."""
    article = draft()
    article_set_status(article=article, status=ArticleStatus.IN_REVIEW, user=editor)
    assert not OaiRecord.objects.filter(article_id=article.pk).exists()
    article_set_status(article=article, status=ArticleStatus.PUBLISHED, user=editor)
    assert OaiRecord.objects.get(article_id=article.pk).deleted is False


def test_withdrawing_makes_a_deleted_record_that_keeps_its_sets(editor):
    """A withdrawn article is a deleted record with a new datestamp, still in the sets it was published in."""
    article = ArticleFactory(tags=["strikes"])
    aged(article)
    article_set_status(article=article, status=ArticleStatus.WITHDRAWN, user=editor)
    record = OaiRecord.objects.get(article_id=article.pk)
    assert record.deleted is True
    assert record.datestamp > LONG_AGO
    assert specs(article) == {"tag:strikes", "source:example-wire"}

    article_set_status(article=article, status=ArticleStatus.PUBLISHED, user=editor)
    assert OaiRecord.objects.get(article_id=article.pk).deleted is False


def test_an_edit_to_a_withdrawn_article_leaves_its_deleted_record_alone(editor):
    """Nothing a harvester sees changes when a withdrawn article is edited: no new datestamp, same sets."""
    article = ArticleFactory(tags=["strikes"])
    article_set_status(article=article, status=ArticleStatus.WITHDRAWN, user=editor)
    aged(article)
    article.tags.set(["elections"])
    article.title = "Rewritten while withdrawn"
    article.save()
    assert stamp(article) == LONG_AGO
    assert "tag:strikes" in specs(article)


def test_a_deleted_article_leaves_a_deleted_record():
    """Deleting a published article keeps its record, as deleted, with the time of the deletion."""
    article = ArticleFactory()
    aged(article)
    pk = article.pk
    article.delete()
    record = OaiRecord.objects.get(article_id=pk)
    assert record.deleted is True
    assert record.datestamp > LONG_AGO


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda article, world: setattr_and_save(article, title="A new title"), id="article saved"),
        pytest.param(lambda article, world: article.tags.add("ceasefire"), id="tag added"),
        pytest.param(lambda article, world: article.tags.remove("drones"), id="tag removed"),
        pytest.param(lambda article, world: article.actors.remove(world["actor"]), id="actor unlinked"),
        pytest.param(lambda article, world: world["actor"].articles.clear(), id="actor links cleared"),
        pytest.param(lambda article, world: setattr_and_save(world["actor"], name="Daesh"), id="actor renamed"),
        pytest.param(lambda article, world: world["actor"].alternate_names.create(name="IS"), id="actor name added"),
        pytest.param(lambda article, world: setattr_and_save(world["country"], name="Italia"), id="country renamed"),
        pytest.param(lambda article, world: setattr_and_save(world["tag"], name="Drone strikes"), id="tag renamed"),
        pytest.param(lambda article, world: world["actor"].delete(), id="actor deleted"),
    ],
)
def test_the_datestamp_moves_with_every_change_of_the_record(change):
    """Any change to what the record shows (the article, its links, the records it names) gives a new datestamp."""
    actor = ActorFactory(name="Islamic State")
    country = PlaceFactory(name="Italy", type="country", country_code="IT")
    town = PlaceFactory(name="Sigonella", parent=country)
    article = ArticleFactory(actors=[actor], places=[town], tags=["drones"])
    aged(article)
    change(article, {"actor": actor, "country": country, "tag": Tag.objects.get(name="drones")})
    assert stamp(article) > LONG_AGO


def setattr_and_save(instance, **values):
    for name, value in values.items():
        setattr(instance, name, value)
    instance.save()


def test_country_sets_follow_the_place_hierarchy():
    """A town's article is in its country's set; moving the town under another country moves the article."""
    italy = PlaceFactory(name="Italy", type="country", country_code="IT")
    malta = PlaceFactory(name="Malta", type="country", country_code="MT")
    town = PlaceFactory(name="Sigonella", parent=italy)
    article = ArticleFactory(places=[town])
    assert "country:IT" in specs(article)
    assert OaiSet.objects.get(spec="country:IT").name == "Country: Italy"
    aged(article)
    town.parent = malta
    town.save()
    assert "country:MT" in specs(article) and "country:IT" not in specs(article)
    assert stamp(article) > LONG_AGO


def test_an_unpublished_place_puts_no_article_in_its_country():
    """Sets name only what the public site shows: a draft place's country is not a set of its articles."""
    country = PlaceFactory(name="Libya", type="country", country_code="LY", status=AuthorityStatus.DRAFT)
    article = ArticleFactory(places=[country])
    assert "country:LY" not in specs(article)


def test_a_tag_rename_renames_its_set_and_keeps_its_spec():
    """Taggit keeps a tag's slug through a rename: the set keeps its spec and ListSets gets the new name."""
    article = ArticleFactory(tags=["drones"])
    tag = Tag.objects.get(name="drones")
    tag.name = "Drone warfare"
    tag.save()
    assert "tag:drones" in specs(article)
    assert OaiSet.objects.get(spec="tag:drones").name == "Tag: Drone warfare"


def test_merging_actors_stamps_the_relinked_articles(editor):
    """A merge relinks articles in bulk, without signals per link: their records are stamped all the same."""
    survivor = ActorFactory(name="Islamic State")
    duplicate = ActorFactory(name="ISIS")
    article = ArticleFactory(actors=[duplicate])
    aged(article)
    authorities_merge(survivor=survivor, merged=[duplicate], user=editor)
    assert stamp(article) > LONG_AGO
    assert not Actor.objects.filter(pk=duplicate.pk).exists()


def test_bulk_tagging_updates_sets_of_every_article(editor):
    """The bulk action writes the link table directly; each article's record joins the new tag's set."""
    articles = [ArticleFactory() for _ in range(3)]
    aged(*articles)
    articles_add_tags(articles=Article.objects.filter(pk__in=[a.pk for a in articles]), names=["floods"], user=editor)
    assert all("tag:floods" in specs(article) for article in articles)
    assert all(stamp(article) > LONG_AGO for article in articles)


def test_an_import_gives_records_to_published_articles_only(tmp_path):
    """Imported articles get their records in the batch's transaction; an import of drafts adds none."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "\n".join(
            json.dumps({"id": str(n), "title": f"Wire story {n}", "source": "Agence", "tags": ["markets"]})
            for n in range(5)
        )
    )
    articles_import(paths=[feed], suggest=False)
    assert not OaiRecord.objects.exists()
    published = tmp_path / "published.jsonl"
    published.write_text(json.dumps({"id": "p1", "title": "Published story", "source": "Agence", "tags": ["oil"]}))
    articles_import(paths=[published], publish=True, suggest=False)
    article = Article.objects.get(provider_id="p1")
    assert OaiRecord.objects.get().article_id == article.pk
    assert specs(article) == {"tag:oil", "source:agence"}


def test_after_the_commit_the_record_is_stamped_with_the_commit_time(django_capture_on_commit_callbacks):
    """A harvest between the change and its commit cannot see it; the commit's time keeps it in the next one."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        article = ArticleFactory()
    stamped = stamp(article)
    for callback in callbacks:
        callback()
    assert stamp(article) > stamped


def test_set_specs_carry_only_what_the_protocol_allows():
    """Non-Latin tags and sources get specs of allowed characters; ListSets still gives their names."""
    article = ArticleFactory(source="Аль-Джазира", tags=["беспилотники"])
    for spec in specs(article):
        assert all(
            part and all(c.isascii() and (c.isalnum() or c in "-_.!~*'()") for c in part) for part in spec.split(":")
        )
    names = set(OaiSet.objects.filter(spec__in=specs(article)).values_list("name", flat=True))
    assert {"Source: Аль-Джазира", "Tag: беспилотники"} <= names


def _retag(writer: int, article_ids: list[int], user_id: int) -> None:
    """One archivist at work: saves of one article with new tags, and bulk tagging of a few articles."""
    connections.close_all()
    rng = random.Random(writer)
    user = get_user_model().objects.get(pk=user_id)
    for edit in range(10):
        with transaction.atomic():
            article = Article.objects.select_for_update().get(pk=rng.choice(article_ids))
            article.tags.set([f"w{writer}", f"e{edit}"])
            article.title = f"Edited by {writer} ({edit})"
            article.save()
        chosen = Article.objects.filter(pk__in=rng.sample(article_ids, 3))
        articles_add_tags(articles=chosen, names=[f"bulk{writer}", f"e{edit}"], user=user)
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_leave_each_record_as_its_article_is():
    """Four processes save and bulk-tag the same articles at once: no deadlock or clash, and every record's sets
    are the tags its article ended with."""
    articles = [ArticleFactory(tags=["start"]) for _ in range(8)]
    ids = [article.pk for article in articles]
    user = get_user_model().objects.create_superuser("oai-concurrent", password="x")
    connections.close_all()
    processes = [multiprocessing.get_context("fork").Process(target=_retag, args=(n, ids, user.pk)) for n in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        if process.is_alive():
            process.kill()
    assert [process.exitcode for process in processes] == [0] * 4
    for article in Article.objects.filter(pk__in=ids).prefetch_related("tags"):
        tags = {f"tag:{tag.slug}" for tag in article.tags.all()}
        assert {spec for spec in specs(article) if spec.startswith("tag:")} == tags
        assert OaiRecord.objects.get(article_id=article.pk).deleted is False
