"""rebuild_index and check_index: the tools that prove the index matches the database."""

import os
import threading

import pytest

from archive.models import Article, PendingIndexUpdate
from archive.search import get_backend, indexing, postgres_backend, whoosh_backend
from archive.search.base import SearchQuery
from tests.command_support import run
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed_articles(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return [ArticleFactory(body=f"Cocoa report number {n}.") for n in range(3)]


def test_check_index_is_clean_when_in_step(indexed_articles):
    """Every article indexed from its current state: exit 0."""
    assert run("check_index") == (0, "The index matches the database.\n")


def test_check_index_reports_a_stale_entry(indexed_articles):
    """A change that bypassed the signals (a raw UPDATE) is reported as stale, exit 1."""
    stale = indexed_articles[1]
    Article.objects.filter(pk=stale.pk).update(body="Rewritten behind the index's back.")
    status, out = run("check_index")
    assert status == 1
    assert f"1 articles stale in the index: {stale.pk}" in out


def test_check_index_reports_missing_and_extra_entries(indexed_articles):
    """An unindexed article is missing; an entry for a vanished article is extra."""
    get_backend().remove([indexed_articles[0].pk])
    get_backend().index([{**_document(indexed_articles[2]), "id": 999999}])
    status, out = run("check_index")
    assert status == 1
    assert f"1 articles missing from the index: {indexed_articles[0].pk}" in out
    assert "1 articles in the index but not in the database: 999999" in out


def test_check_index_asks_for_a_rebuild_after_an_upgrade_that_changes_what_the_engine_stores(
    each_engine, indexed_articles, monkeypatch
):
    """An index written in an older format is named with the command that brings it up to date."""
    engine_module = {"whoosh": whoosh_backend, "postgres": postgres_backend}[each_engine]
    written = engine_module.INDEX_FORMAT
    monkeypatch.setattr(engine_module, "INDEX_FORMAT", written + 1)
    status, out = run("check_index")
    assert status == 1
    assert "The index must be rebuilt for this version of the archive: " in out
    assert f"was written in format {written}, and this version of the archive writes format {written + 1}.\n" in out
    assert "Run `manage.py rebuild_index`; searches keep using the index as it is until then.\n" in out
    assert run("rebuild_index")[0] == 0
    assert run("check_index") == (0, "The index matches the database.\n")


def test_rebuild_index_makes_check_index_clean(indexed_articles):
    """After a rebuild the stale entry is current again and check_index exits 0."""
    Article.objects.filter(pk=indexed_articles[0].pk).update(body="Rewritten behind the index's back.")
    assert run("rebuild_index")[0] == 0
    assert run("check_index")[0] == 0
    assert get_backend().search(SearchQuery(text="rewritten")).total == 1


def test_interrupted_rebuild_resumes_where_it_stopped(indexed_articles, monkeypatch):
    """A rebuild killed after its first checkpoint continues from there and indexes everything once."""
    monkeypatch.setattr(whoosh_backend, "REBUILD_CHECKPOINT", 1)
    batches_seen = []
    real_batches = indexing.document_batches

    def interrupting(batch_size, queryset=None):
        batches_after = real_batches(batch_size, queryset)

        def generate(last_id):
            for batch in batches_after(last_id):
                batches_seen.append([document["id"] for document in batch])
                if len(batches_seen) == 2:
                    raise KeyboardInterrupt
                yield batch

        return generate

    monkeypatch.setattr(indexing, "document_batches", interrupting)
    with pytest.raises(KeyboardInterrupt):
        list(indexing.rebuild_index(batch_size=1))
    monkeypatch.setattr(indexing, "document_batches", real_batches)

    resumed = list(indexing.rebuild_index(batch_size=1))
    assert resumed[0] == 1  # one article was already committed to the new index
    assert resumed[-1] == 3
    assert run("check_index")[0] == 0


def test_searches_use_the_old_index_until_the_swap(indexed_articles):
    """While a rebuild runs, the live index still answers."""
    steps = indexing.rebuild_index(batch_size=1)
    next(steps)
    next(steps)
    assert get_backend().search(SearchQuery(text="cocoa")).total == 3
    list(steps)
    assert get_backend().search(SearchQuery(text="cocoa")).total == 3


def test_changes_during_a_rebuild_reach_the_new_index(indexed_articles, django_capture_on_commit_callbacks):
    """An article edited after the rebuild passed it is current in the swapped-in index."""
    steps = indexing.rebuild_index(batch_size=10)
    next(steps)
    next(steps)  # every article is in the new index now
    edited = indexed_articles[0]
    edited.body = "Sabratha raid."
    with django_capture_on_commit_callbacks(execute=True):
        edited.save()
    assert PendingIndexUpdate.objects.filter(applied_to_live=True).count() == 1
    list(steps)
    assert [hit.article_id for hit in get_backend().search(SearchQuery(text="Sabratha")).hits] == [edited.pk]
    assert PendingIndexUpdate.objects.count() == 0
    assert run("check_index")[0] == 0


def test_process_index_queue_applies_what_was_left(indexed_articles):
    """Queued rows left by a crash are applied by the command."""
    Article.objects.filter(pk=indexed_articles[0].pk).update(body="Sabratha raid.")
    PendingIndexUpdate.objects.create(article_id=indexed_articles[0].pk)
    status, out = run("process_index_queue")
    assert (status, out) == (0, "Indexed 1, removed 0, still queued 0.\n")
    assert get_backend().search(SearchQuery(text="Sabratha")).total == 1


def _document(article):
    from archive.search.documents import article_document

    return article_document(article)


@pytest.mark.django_db(transaction=True)
def test_background_indexing_indexes_everything_queued():
    """Changes made while a background indexer runs are all indexed when the block ends."""
    with indexing.background_indexing(batch_size=2):
        articles = [ArticleFactory(body=f"Cocoa shipment {n}.") for n in range(5)]
    assert get_backend().search(SearchQuery(text="cocoa")).total == len(articles)
    assert PendingIndexUpdate.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_background_indexing_leaves_the_queue_for_the_next_run_when_interrupted():
    """An interruption keeps what was not yet indexed in the queue; the next drain applies it."""
    with pytest.raises(KeyboardInterrupt), indexing.background_indexing():
        ArticleFactory.create_batch(3, body="Cocoa shipment.")
        raise KeyboardInterrupt
    indexing.process_queue()
    assert get_backend().search(SearchQuery(text="cocoa")).total == 3
    assert run("check_index")[0] == 0


def _segment_sizes() -> list[int]:
    reader = get_backend()._current().searcher.reader()
    return sorted(leaf.doc_count_all() for leaf, _ in reader.leaf_readers())


def _finished_import():
    """The stop signal of an import that has queued everything: a worker drains the queue and returns."""
    stop = threading.Event()
    stop.set()
    return stop


def test_background_indexer_writes_sessions_that_grow_with_the_import(monkeypatch):
    """Each session commits once, without merging, and may write as many articles as all before it."""
    monkeypatch.setattr(indexing, "SESSION_FIRST", 2)
    monkeypatch.setattr(indexing, "SESSION_MAX", 4)
    monkeypatch.setattr(whoosh_backend, "_cores", lambda: 1)
    articles = ArticleFactory.create_batch(11, body="Cocoa shipment.")

    indexing._index_worker(_finished_import(), 1, os.getppid())

    assert _segment_sizes() == [2, 2, 3, 4]
    assert get_backend().search(SearchQuery(text="cocoa", per_page=20)).total == len(articles)
    assert PendingIndexUpdate.objects.count() == 0
    assert run("check_index")[0] == 0


def test_an_interrupted_session_leaves_its_updates_queued(monkeypatch):
    """Rows go only once their session has committed: an interruption mid-session leaves them all for the re-run."""
    monkeypatch.setattr(indexing, "SESSION_FIRST", 10)
    ArticleFactory.create_batch(4, body="Cocoa shipment.")
    original = indexing.apply_updates
    calls = []

    def interrupted(article_ids, *, writer=None):
        calls.append(article_ids)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(article_ids, writer=writer)

    monkeypatch.setattr(indexing, "apply_updates", interrupted)
    indexing._index_worker(_finished_import(), 1, os.getppid())

    assert get_backend().fingerprints() == {}
    assert PendingIndexUpdate.objects.count() == 4
    monkeypatch.setattr(indexing, "apply_updates", original)
    indexing._index_worker(_finished_import(), 1, os.getppid())
    assert PendingIndexUpdate.objects.count() == 0
    assert run("check_index")[0] == 0


def test_an_article_queued_twice_during_a_session_is_indexed_once_in_its_latest_state():
    """A later change of an article the session has already written replaces it."""
    article = ArticleFactory(title="Lead stocks")
    Article.objects.filter(pk=article.pk).update(title="Nickel stocks")
    PendingIndexUpdate.objects.create(article_id=article.pk)

    indexing._index_worker(_finished_import(), 1, os.getppid())

    assert get_backend().search(SearchQuery(text="lead")).total == 0
    assert get_backend().search(SearchQuery(text="nickel")).total == 1
    assert run("check_index")[0] == 0


def test_a_session_that_finds_the_index_locked_leaves_its_updates_queued_with_the_reason(monkeypatch):
    """Another writer holds the index: nothing is lost, and the next session indexes the rows."""
    from whoosh import index as whoosh_index

    monkeypatch.setattr(indexing, "BACKGROUND_MAX_WAIT", 0)
    get_backend().search(SearchQuery())  # creates the index
    articles = ArticleFactory.create_batch(2, body="Cocoa shipment.")
    holder = whoosh_index.open_dir(str(get_backend().path)).writer()
    try:
        assert indexing._session(_finished_import(), limit=10, batch_size=10, parent_pid=os.getppid()) == 0
    finally:
        holder.cancel()
    assert {row.last_error for row in PendingIndexUpdate.objects.all()} == {"index locked by another writer"}

    indexing._index_worker(_finished_import(), 10, os.getppid())
    assert get_backend().search(SearchQuery(text="cocoa")).total == len(articles)
    assert PendingIndexUpdate.objects.count() == 0


def test_background_indexing_compacts_the_index_when_it_ends(monkeypatch):
    """An import ends with no more than ``COMPACT_SEGMENTS`` segments, whatever it found."""
    monkeypatch.setattr(whoosh_backend, "_cores", lambda: 1)
    monkeypatch.setattr(whoosh_backend, "COMPACT_SEGMENTS", 2)
    for n in range(4):
        with get_backend().bulk() as writer:
            writer.index([_document(ArticleFactory(body=f"Cocoa shipment {n}."))])

    with indexing.background_indexing():
        ArticleFactory(body="Cocoa shipment.")

    assert len(_segment_sizes()) == 2
    assert get_backend().search(SearchQuery(text="cocoa")).total == 5
    assert run("check_index")[0] == 0


def test_rebuild_reports_how_many_articles_it_indexed(indexed_articles):
    """The closing line counts the articles, even with the progress bar off."""
    assert run("rebuild_index") == (0, "Index rebuilt: 3 articles.\n")
