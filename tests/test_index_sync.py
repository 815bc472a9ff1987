"""The index follows the database after every commit, for every change that alters a document.

The changes themselves are tested on each engine (``each_engine``); the queue's
behaviour (locks, retries, rollbacks) belongs to the Whoosh engine, which has one.
"""

import pytest
from django.db import transaction
from taggit.models import Tag

from archive.models import ActorName, Article, ArticleStatus, PendingIndexUpdate, PlaceName
from archive.search import get_backend, indexing
from archive.search.base import IndexLocked, SearchQuery
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory

pytestmark = pytest.mark.django_db


def found(text: str, **filters) -> list[int]:
    return [hit.article_id for hit in get_backend().search(SearchQuery(text=text, **filters)).hits]


def test_created_article_is_searchable_after_commit(each_engine, indexed):
    """Saving an article indexes it once the transaction commits."""
    article = indexed(lambda: ArticleFactory(body="Talks in Sabratha."))
    assert found("Sabratha") == [article.pk]
    assert PendingIndexUpdate.objects.count() == 0


def test_nothing_reaches_the_index_before_commit(django_capture_on_commit_callbacks):
    """Inside the transaction the change is only queued."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ArticleFactory(body="Talks in Sabratha.")
    assert sum(isinstance(callback, indexing._ProcessQueueOnCommit) for callback in callbacks) == 1
    assert found("Sabratha") == []
    assert PendingIndexUpdate.objects.count() == 1


def test_edited_article_is_reindexed(each_engine, indexed):
    """A changed body replaces the old entry."""
    article = indexed(lambda: ArticleFactory(body="Talks in Sabratha."))
    article.body = "Talks in Tripoli."
    indexed(article.save)
    assert (found("Sabratha"), found("Tripoli")) == ([], [article.pk])


def test_deleted_article_leaves_the_index(each_engine, indexed):
    """Deleting an article removes its entry."""
    article = indexed(lambda: ArticleFactory(body="Talks in Sabratha."))
    indexed(article.delete)
    assert found("Sabratha", statuses=()) == []


def test_status_change_to_draft_hides_it(each_engine, indexed):
    """Withdrawing an article takes it out of public search at once."""
    article = indexed(lambda: ArticleFactory(body="Talks in Sabratha."))
    article.status = ArticleStatus.WITHDRAWN
    indexed(article.save)
    assert found("Sabratha") == []


def test_adding_an_actor_is_searchable(each_engine, indexed):
    """Linking an actor makes its alternate names find the article."""
    islamic_state = ActorFactory(name="Islamic State", type="armed_group")
    ActorName.objects.create(actor=islamic_state, name="Daesh")
    article = indexed(lambda: ArticleFactory())
    indexed(lambda: article.actors.add(islamic_state))
    assert found("Daesh") == [article.pk]


def test_linking_from_the_actor_side_is_searchable(each_engine, indexed):
    """actor.articles.add() reindexes the article too."""
    italy = ActorFactory(name="Italy", type="state")
    article = indexed(lambda: ArticleFactory())
    indexed(lambda: italy.articles.add(article))
    assert found('actor:"Italy"') == [article.pk]


def test_removing_a_place_is_searchable(each_engine, indexed):
    """Unlinking a place stops place: from finding the article."""
    libya = PlaceFactory(name="Libya", type="country")
    article = indexed(lambda: ArticleFactory(places=[libya]))
    assert found("place:Libya") == [article.pk]
    indexed(lambda: article.places.remove(libya))
    assert found("place:Libya") == []


def test_clearing_links_from_the_place_side_is_searchable(each_engine, indexed):
    """place.articles.clear() reindexes every article it was linked to."""
    libya = PlaceFactory(name="Libya", type="country")
    article = indexed(lambda: ArticleFactory(places=[libya]))
    indexed(libya.articles.clear)
    assert found("place:Libya") == []
    assert article.pk


def test_adding_a_tag_is_searchable(each_engine, indexed):
    """Tags added after the save reach the index."""
    article = indexed(lambda: ArticleFactory())
    indexed(lambda: article.tags.add("airbase"))
    assert found("tag:airbase") == [article.pk]


def test_renaming_a_tag_is_searchable(each_engine, indexed):
    """A renamed tag finds its articles under the new name."""
    article = indexed(lambda: ArticleFactory(tags=["drones"]))
    tag = Tag.objects.get(name="drones")
    tag.name = "unmanned aircraft"
    indexed(tag.save)
    assert found('tag:"unmanned aircraft"') == [article.pk]


def test_renaming_an_actor_is_searchable(each_engine, indexed):
    """A renamed actor finds its articles under the new name and not the old."""
    actor = ActorFactory(name="ISIL", type="armed_group")
    article = indexed(lambda: ArticleFactory(actors=[actor]))
    actor.name = "Islamic State"
    indexed(actor.save)
    assert (found('actor:"Islamic State"'), found("actor:ISIL")) == ([article.pk], [])


def test_new_alternate_name_of_an_actor_is_searchable(each_engine, indexed):
    """Adding 'Daesh' to an actor makes it find the actor's articles."""
    actor = ActorFactory(name="Islamic State", type="armed_group")
    article = indexed(lambda: ArticleFactory(actors=[actor]))
    indexed(lambda: ActorName.objects.create(actor=actor, name="Daesh"))
    assert found("Daesh") == [article.pk]


def test_renaming_a_place_reaches_articles_about_places_inside_it(each_engine, indexed):
    """A new alternate name of Italy finds the article about Sigonella."""
    italy = PlaceFactory(name="Italy", type="country")
    sigonella = PlaceFactory(name="Sigonella", type="site", parent=PlaceFactory(name="Sicily", parent=italy))
    article = indexed(lambda: ArticleFactory(places=[sigonella]))
    indexed(lambda: PlaceName.objects.create(place=italy, name="Italia"))
    assert found("place:Italia") == [article.pk]


def test_deleting_an_actor_reindexes_its_articles(each_engine, indexed):
    """A deleted actor's names no longer find the article."""
    actor = ActorFactory(name="Noureddine Chouchane", type="person")
    article = indexed(lambda: ArticleFactory(actors=[actor]))
    indexed(actor.delete)
    assert found("Chouchane") == []
    assert Article.objects.filter(pk=article.pk).exists()


def test_locked_index_keeps_the_update_queued(indexed, monkeypatch):
    """When another writer holds the index the save still succeeds and the update waits in the queue."""
    backend = get_backend()
    original = backend.refresh

    def locked(*args, **kwargs):
        raise IndexLocked("the index is locked by another writer")

    monkeypatch.setattr(backend, "refresh", locked)
    article = indexed(lambda: ArticleFactory(body="Talks in Sabratha."))
    row = PendingIndexUpdate.objects.get(article_id=article.pk)
    assert (row.attempts, row.last_error) == (1, "index locked by another writer")

    monkeypatch.setattr(backend, "refresh", original)
    report = indexing.process_queue()
    assert (report.indexed, report.left) == (1, 0)
    assert found("Sabratha") == [article.pk]


def test_rolled_back_change_queues_nothing_and_later_commits_still_index(indexed):
    """A rollback discards its queue rows and does not block the next transaction's update."""
    with pytest.raises(RuntimeError), transaction.atomic():
        ArticleFactory(body="Never saved.")
        raise RuntimeError("abort")
    assert PendingIndexUpdate.objects.count() == 0
    article = indexed(lambda: ArticleFactory(body="Talks in Sabratha."))
    assert found("Sabratha") == [article.pk]


def test_collected_changes_are_queued_once(django_capture_on_commit_callbacks):
    """A bulk change queues each article once and writes them in one batch."""
    with django_capture_on_commit_callbacks(execute=True), indexing.collected():
        articles = [ArticleFactory(tags=["drones"]) for _ in range(3)]
        assert PendingIndexUpdate.objects.count() == 0
    assert sorted(found("tag:drones")) == sorted(article.pk for article in articles)


def test_save_while_another_process_holds_the_writer_lock(indexed):
    """A real Whoosh lock held elsewhere: the save succeeds, the update waits, and lands once the lock is free."""
    from whoosh import index as whoosh_index

    backend = get_backend()
    backend.search(SearchQuery())  # creates the index
    holder = whoosh_index.open_dir(str(backend.path)).writer()
    try:
        article = indexed(lambda: ArticleFactory(body="Talks in Sabratha."))
        assert Article.objects.filter(pk=article.pk).exists()
        assert PendingIndexUpdate.objects.get(article_id=article.pk).last_error == "index locked by another writer"
    finally:
        holder.cancel()
    indexing.process_queue()
    assert found("Sabratha") == [article.pk]


@pytest.mark.django_db(transaction=True)
def test_locked_update_is_retried_in_the_background(settings):
    """Once the lock is released, the process retries by itself and the article becomes searchable."""
    import time

    from whoosh import index as whoosh_index

    settings.ARCHIVE_INDEX_RETRY_SECONDS = 0.2
    backend = get_backend()
    backend.search(SearchQuery())
    holder = whoosh_index.open_dir(str(backend.path)).writer()
    try:
        article = ArticleFactory(body="Talks in Sabratha.")
    finally:
        holder.cancel()
    deadline = time.monotonic() + 10
    while PendingIndexUpdate.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert found("Sabratha") == [article.pk]
    assert PendingIndexUpdate.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_committed_save_never_reports_an_index_failure(monkeypatch, caplog):
    """A save outside a transaction stands even when the index write fails in an unforeseen way: it stays queued."""
    article = ArticleFactory(body="Talks in Sabratha.")

    def vanished(*args, **kwargs):
        raise FileNotFoundError("_MAIN_70.toc")

    monkeypatch.setattr(get_backend(), "refresh", vanished)
    article.title = "Talks resume in Sabratha"
    article.save()
    assert Article.objects.get(pk=article.pk).title == "Talks resume in Sabratha"
    assert PendingIndexUpdate.objects.filter(article_id=article.pk).exists()
    assert "its updates stay queued for a retry" in caplog.text
