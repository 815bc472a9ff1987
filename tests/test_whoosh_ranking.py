"""The Whoosh backend's own way of matching and ranking words, checked against Whoosh's matchers.

Queries of terms and exact phrases under AND and OR are matched with set
operations on whole posting blocks and scored with BM25F outside Whoosh's
matcher tree;
these tests pin down that totals, order and scores are what Whoosh itself
computes, across posting blocks, segments and deleted documents.
"""

import random

import pytest

from archive.search import get_backend
from archive.search.base import SearchQuery
from archive.search.documents import article_document
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

SENTENCES = (
    "Cocoa prices rose on the London terminal market.",
    "Ivory Coast cocoa exports fell in the quarter.",
    "Coffee exporters met in London to discuss quotas.",
    "Brazil raised its coffee export prices.",
    "Dealers said the cocoa harvest was late this year.",
    "Shipping costs weighed on exports of coffee and cocoa.",
    "The central bank left interest rates unchanged.",
    "Growers expect a larger harvest after the rains.",
)
# Whoosh writes postings in blocks of 128: the first commit's segment holds several blocks of "market".
ARTICLES = 170
FIRST_COMMIT = 150


@pytest.fixture
def corpus():
    """Articles of mixed sentences, indexed in two commits (two segments), with one of them removed."""
    chooser = random.Random(1987)
    articles = [
        ArticleFactory(
            title=chooser.choice(SENTENCES).rstrip("."),
            body=" ".join(["Market report.", *(chooser.choice(SENTENCES) for _ in range(chooser.randint(1, 6)))]),
        )
        for _ in range(ARTICLES)
    ]
    engine = get_backend()
    engine.index([article_document(article) for article in articles[:FIRST_COMMIT]])
    engine.index([article_document(article) for article in articles[FIRST_COMMIT:]])
    engine.remove([articles[0].pk])
    return articles[1:]


def whoosh_ranking(text: str) -> tuple[int, list[tuple[int, float]]]:
    """The total and the ranked (article id, score) pairs from Whoosh's own matchers."""
    engine = get_backend()
    snapshot = engine._current()
    text_query, _ = engine._parse(text, snapshot.searcher)
    matched, ranked = snapshot.score(text_query, snapshot.status_mask(("published",)), ARTICLES)
    return len(matched), [(snapshot.article_id(docnum), score) for docnum, score in ranked]


def ranking(text: str, **options) -> tuple[int, list[tuple[int, float]]]:
    results = get_backend().search(SearchQuery(text=text, per_page=ARTICLES, **options))
    return results.total, [(hit.article_id, hit.score) for hit in results.hits]


@pytest.mark.parametrize(
    "text",
    [
        "cocoa",
        "market cocoa",
        "cocoa prices",
        "cocoa OR coffee",
        "title:harvest cocoa",
        "coffee AND (prices OR exports)",
        "rates",
        '"cocoa prices"',
        '"coffee export prices" OR harvest',
        'title:"cocoa harvest"',
        '"prices cocoa"',
    ],
)
def test_word_queries_match_and_rank_as_whooshs_matchers_do(corpus, text):
    """Same total, same articles with the same scores as Whoosh's own matcher tree, best first.

    Scores are compared to nine places: Whoosh adds a document's term scores
    in an order that depends on its segment, so identical documents in two
    segments can differ in the last bit, and such ties may come in either order.
    """
    total, ranked = ranking(text)
    expected_total, expected = whoosh_ranking(text)
    assert total == expected_total > 0
    assert {article_id: round(score, 9) for article_id, score in ranked} == {
        article_id: round(score, 9) for article_id, score in expected
    }
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)


def test_totals_count_every_block_and_segment_but_no_removed_article(corpus):
    """A word in every article counts each live article once, however its postings are stored."""
    assert ranking("market")[0] == ranking("cocoa OR coffee OR rates OR harvest")[0] == len(corpus)


def test_pages_follow_the_ranking(corpus):
    """Pages of seven, put together, are the ranking; every page reports the full total."""
    total, ranked = ranking("cocoa OR coffee")
    pages = [get_backend().search(SearchQuery(text="cocoa OR coffee", page=page, per_page=7)) for page in (1, 2, 3)]
    assert {page.total for page in pages} == {total}
    assert [hit.article_id for page in pages for hit in page.hits] == [article_id for article_id, _ in ranked[:21]]


def test_phrase_needs_its_words_next_to_each_other_in_order():
    """A phrase finds the words side by side in its order, not apart or reversed."""
    together = ArticleFactory(title="Market report", body="The trade deficit widened in March.")
    apart = ArticleFactory(title="Market report", body="The deficit on trade widened in March.")
    reversed_ = ArticleFactory(title="Market report", body="Its deficit trade widened in March.")
    get_backend().index([article_document(article) for article in (together, apart, reversed_)])
    total, ranked = ranking('"trade deficit"')
    assert (total, [article_id for article_id, _ in ranked]) == (1, [together.pk])


def test_scores_descend_and_ties_keep_index_order():
    """Identical articles score the same and come in the order they were indexed."""
    twins = [ArticleFactory(title="Cocoa harvest", body="Cocoa.") for _ in range(3)]
    longer = ArticleFactory(title="Weekly review", body="Markets were quiet. " * 10 + "Cocoa.")
    get_backend().index([article_document(article) for article in [longer, *twins]])
    total, ranked = ranking("cocoa")
    assert total == 4
    assert [article_id for article_id, _ in ranked] == [*(twin.pk for twin in twins), longer.pk]
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == scores[1] == scores[2] > scores[3]


def test_filters_narrow_the_ranked_matches(corpus):
    """Ranking within a filter keeps the ranking's order for the articles the filter allows."""
    allowed = {article.pk for article in corpus[::3]}
    for article in corpus:
        if article.pk in allowed:
            article.tags.add("selected")
    get_backend().index([article_document(article) for article in corpus if article.pk in allowed])
    total, ranked = ranking("cocoa prices", tags=("selected",))
    _, everything = ranking("cocoa prices")
    assert total == len(ranked) == len([pair for pair in everything if pair[0] in allowed])
    assert [article_id for article_id, _ in ranked] == [
        article_id for article_id, _ in everything if article_id in allowed
    ]
