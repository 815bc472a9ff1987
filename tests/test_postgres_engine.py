"""What the PostgreSQL engine does that the contract suite cannot say: its index commits with the change.

The contract (``test_search_backend.py``) and the index-sync tests run on this
engine too; these tests cover its transactions, its rebuild and its storage.
They are skipped on SQLite, where the engine cannot run.
"""

import datetime as dt
import io
import shutil
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse

from archive.models import Actor, Article
from archive.search import get_backend, indexing, postgres_backend
from archive.search.base import SearchBackendError, SearchQuery
from archive.search.documents import article_document
from archive.services.authorities import authorities_merge
from tests.admin_support import archivist_fixture, change_form_data, client_for  # noqa: F401
from tests.factories import ActorFactory, ArticleFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the PostgreSQL engine keeps its index in the database: run with a postgres DATABASE_URL",
)


@pytest.fixture(autouse=True)
def postgres_engine(settings):
    settings.ARCHIVE_SEARCH = {**settings.ARCHIVE_SEARCH, "BACKEND": settings.SEARCH_ENGINES["postgres"]}
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


@pytest.fixture
def empty_index(postgres_engine):
    """A transactional test's flush leaves the engine's table (it is not a model): start from an empty one."""
    get_backend().clear()


def total(text: str, **filters) -> int:
    return get_backend().search(SearchQuery(text=text, **filters)).total


def total_elsewhere(text: str) -> int:
    """The count another connection sees, as another web server would."""
    counted = []

    def count():
        try:
            counted.append(total(text))
        finally:
            connections.close_all()

    thread = threading.Thread(target=count)
    thread.start()
    thread.join(30)
    return counted[0]


@pytest.mark.django_db(transaction=True)
def test_an_entry_commits_with_its_change(empty_index):
    """Inside the transaction its own search finds the change; other connections see it once it commits."""
    with transaction.atomic():
        ArticleFactory(body="Talks in Sabratha.")
        assert total("Sabratha") == 1
        assert total_elsewhere("Sabratha") == 0
    assert total_elsewhere("Sabratha") == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_the_index_as_it_was(empty_index):
    """The entry is written in the change's transaction, so a rollback takes it back too."""
    article = ArticleFactory(body="Talks in Sabratha.")
    with pytest.raises(RuntimeError), transaction.atomic():
        article.body = "Talks in Tripoli."
        article.save()
        raise RuntimeError("abort")
    assert (total("Sabratha"), total("Tripoli")) == (1, 0)
    assert indexing.check_index().clean


@pytest.mark.django_db(transaction=True)
def test_an_admin_save_is_found_by_another_server_at_its_commit(empty_index, archivist):
    """No queue and no worker: the save's response has not yet arrived when the entry is already committed."""
    article = ArticleFactory(title="Weekly review", body="Talks in Sabratha.")
    response = client_for(archivist).post(
        reverse("admin:archive_article_change", args=[article.pk]),
        change_form_data(article, title="Drones leave Sigonella"),
    )
    assert response.status_code == 302
    assert total_elsewhere("Sigonella") == 1
    assert indexing.pending_count() == 0


@pytest.mark.django_db
def test_merging_two_actors_moves_their_articles_in_the_facets(archivist):
    """After a merge the survivor counts every article of both, and the merged actor none."""
    isis, daesh = ActorFactory(name="Islamic State"), ActorFactory(name="Daesh")
    ArticleFactory(actors=[isis]), ArticleFactory(actors=[daesh]), ArticleFactory(actors=[isis, daesh])
    authorities_merge(survivor=isis, merged=[daesh], user=archivist)
    counts = get_backend().search(SearchQuery(facets=("actor",))).facets["actor"]
    assert [(facet.value, facet.count) for facet in counts] == [(str(isis.pk), 3)]
    assert total("Daesh") == 3


@pytest.mark.django_db
def test_rebuild_repairs_stale_and_extra_entries(empty_index):
    """A rebuild rewrites every entry and drops the entries of articles that are gone."""
    kept = ArticleFactory(body="Talks in Sabratha.")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE archive_search_entry SET fingerprint = 'stale' WHERE article_id = %s", [kept.pk])
    get_backend().index([{**article_document(ArticleFactory()), "id": kept.pk + 1000}])
    report = indexing.check_index()
    assert (report.stale, report.extra) == ([kept.pk], [kept.pk + 1000])
    list(indexing.rebuild_index())
    assert indexing.check_index().clean


@pytest.mark.django_db
def test_an_interrupted_rebuild_resumes_after_its_last_batch(empty_index):
    """Stopped after its first batch, the next rebuild starts from there, not from the first article."""
    for _ in range(5):
        ArticleFactory()
    first = indexing.rebuild_index(batch_size=2)
    assert [next(first), next(first)] == [0, 2]
    first.close()
    assert next(indexing.rebuild_index(batch_size=2)) == 2


@pytest.mark.django_db
def test_a_rebuild_never_writes_an_older_copy_over_a_newer_save(empty_index):
    """A batch read before a save is read again once its rows are locked, so the save is what stays."""
    article = ArticleFactory(title="Weekly review")
    stale_batch = [article_document(article)]
    article.title = "Drones leave Sigonella"
    article.save()
    list(get_backend().rebuild(lambda last_id: iter([stale_batch] if last_id == 0 else [])))
    assert total("Sigonella") == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_rebuild_at_once_is_refused(empty_index):
    """Two rebuilds would interleave their progress: the second says another is running."""
    ArticleFactory()
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with get_backend()._rebuild_lock():
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(SearchBackendError, match="another rebuild"):
            list(indexing.rebuild_index())
    finally:
        release.set()
        thread.join(30)


@pytest.mark.django_db
def test_a_body_larger_than_a_tsvector_holds_is_indexed_up_to_the_limit(empty_index):
    """Two megabytes of distinct words would overflow a tsvector: the start of the body is indexed, the save stands."""
    words = " ".join(f"w{number:07d}x" for number in range(200_000))
    ArticleFactory(body=f"Sabratha {words}")
    assert total("Sabratha") == 1


@pytest.mark.django_db
def test_verify_names_a_missing_table(empty_index):
    """check_index says what is missing and how to create it, instead of failing on the first search."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE archive_search_word")
    assert get_backend().verify() == ["the table archive_search_word is missing; run `manage.py migrate`"]


@pytest.mark.django_db
def test_deleting_an_actor_leaves_no_entry_naming_it(empty_index):
    """The cascade removes the links without a signal per link: the articles are refreshed after it."""
    actor = ActorFactory(name="Noureddine Chouchane", type="person")
    ArticleFactory(actors=[actor])
    actor.delete()
    assert total("Chouchane") == 0
    assert indexing.check_index().clean


@pytest.mark.django_db
def test_date_filters_on_the_published_range(empty_index):
    """Overlap and within read the stored range, as on Whoosh; an undated article matches neither."""
    ArticleFactory(published_start=dt.date(2016, 1, 1), published_end=dt.date(2016, 12, 31))
    ArticleFactory(published_start=None, published_end=None)
    february = {"date_from": dt.date(2016, 2, 1), "date_to": dt.date(2016, 2, 29)}
    assert total("", **february) == 1
    assert total("", **february, date_mode="within") == 0
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_search_is_named_and_leaves_the_callers_transaction_usable(empty_index):
    """A failing statement is the engine's error, in words; the transaction around the search goes on."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TEXT SEARCH CONFIGURATION archive_simple CASCADE")
    with pytest.raises(SearchBackendError, match="searching failed in PostgreSQL"):
        get_backend().search(SearchQuery(text="counter*"))
    assert Actor.objects.count() == 0


@pytest.mark.django_db
def test_the_first_entries_of_an_empty_index_record_the_format_they_are_written_in(empty_index, monkeypatch):
    """A database migrated by a version with a newer format never asks for a rebuild."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_search_state")
    monkeypatch.setattr(postgres_backend, "INDEX_FORMAT", 2)
    ArticleFactory()
    ArticleFactory()
    assert get_backend().outdated() == ""


@pytest.mark.django_db
def test_an_index_without_a_recorded_format_was_written_in_format_1(empty_index, monkeypatch):
    """Entries written before formats were recorded are format 1; writing more does not make them current."""
    ArticleFactory()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_search_state")
    monkeypatch.setattr(postgres_backend, "INDEX_FORMAT", 2)
    ArticleFactory()
    assert get_backend().outdated() == (
        "the PostgreSQL index was written in format 1, and this version of the archive writes format 2"
    )
    list(indexing.rebuild_index())
    assert get_backend().outdated() == ""


@pytest.mark.django_db
def test_similar_articles_on_a_large_index_come_from_the_planners_word_statistics(empty_index, monkeypatch):
    """Past MORE_LIKE_LARGE entries, common words' shares come from ANALYZE, and the article sharing two of
    the best words ranks first; a word in most entries is never one of them."""
    monkeypatch.setattr(postgres_backend, "MORE_LIKE_LARGE", 1)
    monkeypatch.setattr(postgres_backend, "MORE_LIKE_MAX_SHARE", 0.5)
    cocoa = ArticleFactory(body="Cocoa arrivals in Bahia rose as showers helped the cocoa crop. Reuter")
    similar = ArticleFactory(body="Bahia cocoa crop estimates rose after showers. Reuter")
    only_reuter = [ArticleFactory(body=f"Story {number} about rates. Reuter") for number in range(6)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE archive_search_entry")
    hits = [hit.article_id for hit in get_backend().more_like(cocoa.pk)]
    assert hits[:1] == [similar.pk]
    assert not {article.pk for article in only_reuter} & set(hits)


@pytest.mark.django_db
def test_compact_recounts_the_word_list_and_drops_words_no_entry_holds(empty_index):
    """Run twice in one transaction, as a test or an admin import may: the counts' scratch table goes each time."""
    first = ArticleFactory(title="Zanzibar cloves")
    ArticleFactory(title="Zanzibar harbour")
    get_backend().compact()
    assert get_backend().suggest_terms("zan") == ["zanzibar"]
    first.title = "Pemba cloves"
    first.save()
    get_backend().compact()
    with connection.cursor() as cursor:
        cursor.execute("SELECT word, documents FROM archive_search_word WHERE word IN ('zanzibar', 'pemba', 'cloves')")
        assert dict(cursor.fetchall()) == {"zanzibar": 1, "pemba": 1, "cloves": 1}
    first.title = "Pemba harbour"
    first.save()
    get_backend().compact()
    assert get_backend().suggest_terms("clo") == []


def vacuums_of_the_entries() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'archive_search_entry'::regclass")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_compact_after_entries_were_rewritten_vacuums_their_old_row_versions(empty_index, monkeypatch):
    """A rebuild rewrites every entry; the old versions would double the pages each search reads."""
    monkeypatch.setattr(postgres_backend, "VACUUM_AFTER_DEAD_ENTRIES", 0)
    articles = ArticleFactory.create_batch(12)
    get_backend().compact()
    before = vacuums_of_the_entries()
    get_backend().refresh({article.pk for article in articles}, indexing._current_documents)
    vacuums_of_the_entries()
    get_backend().compact()
    assert vacuums_of_the_entries() == before + 1


@pytest.mark.django_db
def test_compact_inside_a_transaction_analyses_without_vacuuming(empty_index, monkeypatch):
    monkeypatch.setattr(postgres_backend, "VACUUM_AFTER_DEAD_ENTRIES", 0)
    articles = ArticleFactory.create_batch(3)
    get_backend().refresh({article.pk for article in articles}, indexing._current_documents)
    get_backend().compact()
    assert total(articles[0].title.split()[0]) >= 1


@pytest.mark.django_db
def test_an_empty_index_without_a_recorded_format_needs_no_rebuild(empty_index, monkeypatch):
    """A database copied or migrated before formats were recorded, with no entries yet, holds no old entry."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_search_state")
    monkeypatch.setattr(postgres_backend, "INDEX_FORMAT", 3)
    assert get_backend().outdated() == ""


@pytest.mark.django_db
def test_an_import_with_no_index_is_searchable_at_once_and_says_so(empty_index, tmp_path):
    """--no-index cannot defer this engine's entries, which commit with each batch: no false 'queued' line."""
    seed = Path(__file__).resolve().parent.parent / "seeds" / "2016-02-24-italy-us-drones-sigonella.txt"
    shutil.copy(seed, tmp_path / seed.name)
    out = io.StringIO()
    call_command("import_articles", "--no-index", "--publish", "--no-progress", str(tmp_path), stdout=out)
    assert "The articles are searchable: the PostgreSQL engine indexed each batch as it was stored." in out.getvalue()
    assert "process_index_queue" not in out.getvalue()
    assert total("Sigonella") == 1
