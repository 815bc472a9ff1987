"""Behaviour particular to the Whoosh engine, beyond the search contract."""

import datetime as dt

import pytest

from archive.search import get_backend, whoosh_backend, whoosh_schema
from archive.search.base import SearchQuery
from archive.search.documents import article_document
from archive.search.whoosh_schema import to_whoosh
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_large_batch_is_written_by_several_processes_and_replaces_old_entries(monkeypatch):
    """Bulk writes are split between writer processes, yet every article is found once, in its latest text."""
    monkeypatch.setattr(whoosh_backend, "PARALLEL_WRITE_THRESHOLD", 2)
    monkeypatch.setattr(whoosh_backend, "_cores", lambda: 2)
    articles = [ArticleFactory(title=f"Cocoa report {n}", body="Cocoa arrivals rose.") for n in range(6)]
    engine = get_backend()
    engine.index([article_document(article) for article in articles])
    articles[0].body = "Coffee arrivals rose."
    articles[0].save()
    engine.index([article_document(article) for article in articles[:3]], remove=[articles[5].pk])

    assert engine.search(SearchQuery(text="cocoa", per_page=20)).total == 5
    assert [hit.article_id for hit in engine.search(SearchQuery(text="coffee")).hits] == [articles[0].pk]
    assert sorted(engine.fingerprints()) == sorted(article.pk for article in articles[:5])


@pytest.mark.parametrize("batch", [1, 6])
def test_segments_are_written_as_separate_files(monkeypatch, batch):
    """No compound segment files: Whoosh would read each one through an in-memory copy in every searching process."""
    monkeypatch.setattr(whoosh_backend, "PARALLEL_WRITE_THRESHOLD", 2)
    monkeypatch.setattr(whoosh_backend, "_cores", lambda: 2)
    engine = get_backend()
    engine.index([article_document(ArticleFactory(title=f"Tin report {n}")) for n in range(batch)])

    files = [path.name for path in engine.path.resolve().iterdir()]
    assert any(name.endswith(".pst") for name in files)
    assert not any(name.endswith(".seg") for name in files)
    assert engine.search(SearchQuery(text="tin")).total == batch


def test_a_word_searched_again_after_writes_finds_the_new_articles_and_not_the_removed_ones():
    """Postings are cached per segment; a later write adds a segment and deletions, and both count."""
    engine = get_backend()
    first, second = ArticleFactory(body="Cocoa arrivals rose."), ArticleFactory(body="Cocoa stocks fell.")
    engine.index([article_document(first), article_document(second)])
    assert engine.search(SearchQuery(text="cocoa")).total == 2
    third = ArticleFactory(body="Cocoa prices eased.")
    engine.index([article_document(third)], remove=[first.pk])

    found = engine.search(SearchQuery(text="cocoa"))

    assert sorted(hit.article_id for hit in found.hits) == sorted([second.pk, third.pk])


def test_a_phrase_checks_word_order_after_its_words_were_searched_alone():
    """A word cached without positions is read again with them when a phrase needs its order."""
    engine = get_backend()
    article = ArticleFactory(body="Cocoa arrivals rose sharply.")
    engine.index([article_document(article)])
    assert engine.search(SearchQuery(text="arrivals rose")).total == 1

    assert engine.search(SearchQuery(text='"arrivals rose"')).total == 1
    assert engine.search(SearchQuery(text='"rose arrivals"')).total == 0


def test_a_postings_cache_of_zero_keeps_nothing(tmp_path):
    engine = whoosh_backend.WhooshBackend({"PATH": tmp_path / "index", "POSTINGS_CACHE_MB": 0})
    engine.index([article_document(ArticleFactory(body="Cocoa arrivals rose."))])

    assert engine.search(SearchQuery(text="cocoa")).total == 1
    assert len(engine._postings_cache) == 0


DATED = {
    "day": (dt.date(2016, 2, 24), dt.date(2016, 2, 24)),
    "month": (dt.date(2016, 2, 1), dt.date(2016, 2, 29)),
    "year": (dt.date(2015, 1, 1), dt.date(2015, 12, 31)),
    "undated": (None, None),
}


@pytest.mark.parametrize(
    ("date_from", "date_to", "mode", "expected"),
    [
        (dt.date(2016, 2, 24), dt.date(2016, 2, 24), "overlap", {"day", "month"}),
        (dt.date(2016, 2, 24), dt.date(2016, 2, 24), "within", {"day"}),
        (dt.date(2015, 6, 1), dt.date(2016, 2, 10), "overlap", {"month", "year"}),
        (dt.date(2015, 1, 1), dt.date(2016, 12, 31), "within", {"day", "month", "year"}),
        (dt.date(2016, 2, 25), None, "overlap", {"month"}),
        (None, dt.date(2015, 12, 31), "within", {"year"}),
    ],
)
def test_date_filters_agree_whether_answered_from_the_tables_or_from_an_older_index(
    monkeypatch, date_from, date_to, mode, expected
):
    """An index written before the end day was kept beside each document answers with Whoosh's ranges, the same."""
    articles = {
        name: ArticleFactory(body="Drone report.", published_start=start, published_end=end)
        for name, (start, end) in DATED.items()
    }
    names = {article.pk: name for name, article in articles.items()}
    search = SearchQuery(date_from=date_from, date_to=date_to, date_mode=mode, per_page=10)
    engine = get_backend()
    engine.index([article_document(article) for article in articles.values()])
    from_tables = {names[hit.article_id] for hit in engine.search(search).hits}
    assert engine._current().days is not None

    def without_end_day(document):
        fields_ = to_whoosh(document)
        return {**fields_, "facets": fields_["facets"][: whoosh_schema.END]}

    monkeypatch.setattr(whoosh_backend, "to_whoosh", without_end_day)
    engine.index([article_document(article) for article in articles.values()])
    assert engine._current().days is None

    assert from_tables == expected
    assert {names[hit.article_id] for hit in engine.search(search).hits} == expected


def segment_sizes(engine) -> list[int]:
    reader = engine._current().searcher.reader()
    return sorted(leaf.doc_count_all() for leaf, _ in reader.leaf_readers())


def test_a_bulk_block_commits_once_at_its_end_and_merges_nothing(monkeypatch):
    """Batches in one block become one segment when it ends, searchable from then on; earlier blocks'
    small segments stay unmerged."""
    monkeypatch.setattr(whoosh_backend, "_cores", lambda: 1)
    engine = get_backend()
    for n in range(6):
        with engine.bulk() as writer:
            writer.index([article_document(ArticleFactory(title=f"Zinc report {n}"))])
    with engine.bulk() as writer:
        for n in range(3):
            writer.index([article_document(ArticleFactory(title=f"Zinc outlook {n}"))])
        # Searches meanwhile see what was committed before the block.
        assert engine.search(SearchQuery(text="zinc", per_page=20)).total == 6

    assert segment_sizes(engine) == [1, 1, 1, 1, 1, 1, 3]
    assert engine.search(SearchQuery(text="zinc", per_page=20)).total == 9


def test_an_article_written_twice_in_a_bulk_block_is_indexed_once_in_its_later_text():
    """Whoosh cannot replace an uncommitted document, so the second version commits the first."""
    article = ArticleFactory(title="Lead stocks")
    engine = get_backend()
    with engine.bulk() as writer:
        writer.index([article_document(article)])
        article.title = "Nickel stocks"
        article.save()
        writer.index([article_document(article)])

    assert engine.search(SearchQuery(text="lead")).total == 0
    assert [hit.article_id for hit in engine.search(SearchQuery(text="nickel")).hits] == [article.pk]
    assert sorted(engine.fingerprints()) == [article.pk]


def test_a_bulk_block_that_raises_writes_nothing():
    """What the block held is dropped with it; the caller still has its queue rows."""
    engine = get_backend()
    with pytest.raises(KeyboardInterrupt), engine.bulk() as writer:
        writer.index([article_document(ArticleFactory(title="Tin report"))])
        raise KeyboardInterrupt
    assert engine.fingerprints() == {}


def test_a_bulk_write_replaces_and_removes_entries_of_earlier_segments():
    """Entries committed before the block are found in every segment and replaced or removed."""
    articles = [ArticleFactory(title=f"Copper report {n}", body="Copper output rose.") for n in range(4)]
    engine = get_backend()
    for article in articles[:3]:
        engine.index([article_document(article)])
    articles[1].body = "Copper output fell."
    articles[1].save()
    with engine.bulk() as writer:
        writer.index([article_document(article) for article in articles[1:]], remove=[articles[0].pk])

    assert sorted(engine.fingerprints()) == sorted(article.pk for article in articles[1:])
    assert [hit.article_id for hit in engine.search(SearchQuery(text="fell")).hits] == [articles[1].pk]


def test_compact_merges_the_smallest_segments_and_keeps_every_entry(monkeypatch):
    """Down to ``COMPACT_SEGMENTS``: the smallest are folded into one, the largest are left as they are."""
    monkeypatch.setattr(whoosh_backend, "_cores", lambda: 1)
    monkeypatch.setattr(whoosh_backend, "COMPACT_SEGMENTS", 3)
    engine = get_backend()
    for size in (4, 1, 3, 1, 2):
        with engine.bulk() as writer:
            writer.index([article_document(ArticleFactory(title="Silver report")) for _ in range(size)])
    before = engine.fingerprints()

    engine.compact()

    assert segment_sizes(engine) == [3, 4, 4]
    assert engine.fingerprints() == before
    assert engine.search(SearchQuery(text="silver", per_page=20)).total == 11


def test_compact_leaves_few_segments_alone(monkeypatch):
    """No merge at all while the index has no more than ``COMPACT_SEGMENTS``."""
    monkeypatch.setattr(whoosh_backend, "_cores", lambda: 1)
    monkeypatch.setattr(whoosh_backend, "COMPACT_SEGMENTS", 3)
    engine = get_backend()
    for size in (2, 1, 1):
        with engine.bulk() as writer:
            writer.index([article_document(ArticleFactory(title="Silver report")) for _ in range(size)])

    engine.compact()

    assert segment_sizes(engine) == [1, 1, 2]


def test_processes_that_find_no_index_at_once_share_the_first_one_made(settings, monkeypatch):
    """Two processes both find no index; the first makes one and writes to it: the second uses that one too."""
    first = whoosh_backend.WhooshBackend(settings.ARCHIVE_SEARCH["OPTIONS"])
    second = whoosh_backend.WhooshBackend(settings.ARCHIVE_SEARCH["OPTIONS"])
    article = ArticleFactory(body="Talks in Sabratha.")
    new_generation = second._new_generation

    def once_the_first_has_written():
        first.index([article_document(article)])
        return new_generation()

    monkeypatch.setattr(second, "_new_generation", once_the_first_has_written)
    assert second.search(SearchQuery(text="Sabratha")).total == 1
    assert first.search(SearchQuery(text="Sabratha")).total == 1
    assert [path for path in first.generations.iterdir() if path.is_dir()] == [first.path.resolve()]


def test_a_new_index_records_the_format_it_is_written_in(monkeypatch):
    """An archive started by a version with a newer format never asks for a rebuild."""
    monkeypatch.setattr(whoosh_backend, "INDEX_FORMAT", 2)
    engine = get_backend()
    engine.index([article_document(ArticleFactory())])
    assert (engine.path / whoosh_backend.FORMAT_FILE).read_text() == "2\n"
    assert engine.outdated() == ""


def test_an_index_without_a_recorded_format_was_written_in_format_1(monkeypatch):
    """Indexes written before formats were recorded are format 1, and a newer format asks for their rebuild."""
    engine = get_backend()
    engine.index([article_document(ArticleFactory())])
    (engine.path / whoosh_backend.FORMAT_FILE).unlink()
    monkeypatch.setattr(whoosh_backend, "INDEX_FORMAT", 2)
    assert engine.outdated() == (
        f"the index at {engine.path} was written in format 1, and this version of the archive writes format 2"
    )
    list(engine.rebuild(lambda last_id: iter([])))
    assert engine.outdated() == ""
