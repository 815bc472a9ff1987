"""Property-based fuzzing of the search form, the Whoosh backend's query language and the search page.

Whatever a reader types (control characters, unbalanced quotes and
parentheses, field prefixes, date ranges, operators, very long or non-Latin
text), the form gives a clean query or says what it dropped, the backend
answers with results, and the page answers 200, never 500.

The module shares one small archive and one index, built once: each example
only reads them.

Three crashes it found in the backend are kept as examples: operators with
nothing to join (``NOT AND drones``), a misspelled word joined to another by
punctuation (``sigonela-libya``) and a range among the words (``[2015 TO 2016]``).
"""

import datetime as dt

import pytest
from django.db import transaction
from django.http import QueryDict
from django.test import Client, TestCase, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.forms import SearchForm
from archive.search import get_backend
from archive.search.base import FACETS, SearchQuery, SearchResults

NULL_MESSAGE = "The search words contained a null character; they were ignored."
LENGTH_MESSAGE = "The search words were longer than 500 characters; they were ignored."

FUZZ = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Pieces of the query language and of things that look like it, joined at random.
SYNTAX = st.sampled_from(
    [
        *("drones", "Sigonella", "libya", "Italy", "strike", "the", "ISIS"),
        *("actor:", "place:", "tag:", "source:", "title:", "body:", "byline:", "author:", "names:", "nosuchfield:"),
        *("published:", "published:2016", "published:2016-02", "published:2016-13", "date:1987-02-30"),
        *("published:[", "published:[2015 TO 2016-06]", "published:[ TO 2016]", "published:[2016 TO ]", " TO ", "]"),
        *("[", "{", "}", "(", ")", '"', "'", ":", "*", "?", "~", "~2", "^", "^3", "+", "-", "!", "\\", "/"),
        *("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "and", "or", "not", "<", ">", "=", "&", "|"),
        *("\x00", "\t", "\n", "\r", "\x0b", "\x1f", "\x7f", "\u200b", "\u00a0", "\ufeff", "\U0001f6e9"),
        *("Ελλάδα", "ليبيا", "東京", "İstanbul", "ß", "ﬁ", "e\u0301", "\uff19\uff19", "١٢٣"),
        *("0", "9999", "99999999999999999999", "-1", "2016-02-24", "0000-00-00"),
    ]
)
QUERY_LANGUAGE = st.lists(SYNTAX, max_size=12).map(" ".join) | st.lists(SYNTAX, max_size=12).map("".join)
ANY_TEXT = st.text() | st.text(min_size=400, max_size=1200)
TYPED = QUERY_LANGUAGE | ANY_TEXT | st.tuples(QUERY_LANGUAGE, ANY_TEXT).map(" ".join)

SORTS = st.sampled_from(["relevance", "newest", "oldest"])


@pytest.fixture(scope="module", autouse=True)
def isolated_index(tmp_path_factory, django_db_setup, django_db_blocker):
    """Replaces the per-test empty index: one archive and one index for the module.

    As with ``setUpTestData``, the rows live in a transaction rolled back after
    the module; each test's own transaction nests inside it.
    """
    data_dir = tmp_path_factory.mktemp("fuzz")
    search = {
        "BACKEND": "archive.search.whoosh_backend.WhooshBackend",
        "OPTIONS": {"PATH": data_dir / "index", "LOCK_TIMEOUT": 1.0},
    }
    with override_settings(ARCHIVE_DATA_DIR=data_dir, ARCHIVE_SEARCH=search, ARCHIVE_INDEX_RETRY_SECONDS=None):
        get_backend.cache_clear()
        with django_db_blocker.unblock(), transaction.atomic():
            with TestCase.captureOnCommitCallbacks(execute=True):
                archive()
            yield
            transaction.set_rollback(True)
        get_backend.cache_clear()


def archive() -> None:
    """The seed article's world and a few dated stories, indexed."""
    from tests.factories import ArticleFactory
    from tests.public_data import dated_article, month_article, seed_world

    world = seed_world()
    dated_article(dt.date(1987, 3, 2), title="Opec output ceiling holds, says minister", tags=["oil"])
    dated_article(dt.date(1987, 3, 11), title="Wheat exports to China rise", places=[world.libya])
    month_article(2015, 6, 30, title="Drone strike reported near Sabratha", actors=[world.chouchane])
    ArticleFactory(title="Coffee quota talks fail in London", body="Producers and consumers could not agree.")


def query_dict(pairs: dict[str, list[str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in pairs.items():
        data.setlist(key, values)
    return data


@FUZZ
@given(text=TYPED)
@pytest.mark.django_db
def test_form_gives_a_clean_query_or_says_why_it_dropped_it(text):
    """The words come back with whitespace collapsed, or empty with the form's message when they
    held a null character or ran past 500 characters."""
    params = SearchForm(query_dict({"q": [text]})).search_params()
    stripped = text.strip()
    problems = {NULL_MESSAGE} if "\x00" in stripped else set()
    if len(stripped) > 500:
        problems.add(LENGTH_MESSAGE)
    if problems:
        assert params.text == ""
        assert problems <= set(params.notices)
    else:
        assert params.text == " ".join(text.split())
        assert not {NULL_MESSAGE, LENGTH_MESSAGE} & set(params.notices)


FILTER_VALUE = st.text(max_size=30) | st.sampled_from(["1", "2", "99999999999999999999", "drones", "-3", "²", "\uff12"])
DATE_VALUE = st.text(max_size=30) | st.sampled_from(["2016", "2016-02", "2016-02-30", "1987-13", "0000", "9999-12-31"])
TAG_VALUE = st.sampled_from(["drones", "airbase", "oil", "drones\x00"])
PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "from": st.lists(DATE_VALUE, min_size=1, max_size=2),
        "to": st.lists(DATE_VALUE, min_size=1, max_size=2),
        "page": st.lists(FILTER_VALUE | st.integers(-5, 10**6).map(str), min_size=1, max_size=2),
        "per_page": st.lists(FILTER_VALUE | st.integers(-5, 10**4).map(str), min_size=1, max_size=2),
        "sort": st.lists(SORTS | st.text(max_size=10), min_size=1, max_size=2),
        "date_mode": st.lists(st.sampled_from(["overlap", "within"]) | st.text(max_size=10), min_size=1, max_size=2),
        "actor": st.lists(FILTER_VALUE, min_size=1, max_size=3),
        "place": st.lists(FILTER_VALUE, min_size=1, max_size=3),
        "tag": st.lists(FILTER_VALUE | TAG_VALUE, min_size=1, max_size=3),
        "source": st.lists(FILTER_VALUE, min_size=1, max_size=2),
    },
)


@FUZZ
@given(text=TYPED, others=PARAMS)
@pytest.mark.django_db
def test_form_never_raises_on_any_parameters(text, others):
    """Any mix of words, filters, dates, pages, sizes and sorts gives usable parameters, whatever is dropped."""
    params = SearchForm(query_dict({"q": [text], **others})).search_params()
    assert params.page >= 1
    assert params.sort in ("relevance", "newest", "oldest")
    assert params.date_mode in ("overlap", "within")
    assert all(notice.strip() for notice in params.notices)


@FUZZ
@given(text=TYPED, sort=SORTS, page=st.integers(1, 4))
@pytest.mark.django_db
def test_backend_answers_any_words_with_results(text, sort, page):
    """The Whoosh backend reads any text in its query language, or as plain words, and returns results."""
    results = get_backend().search(
        SearchQuery(text=text, sort=sort, page=page, per_page=2, facets=FACETS, highlight=True, spellcheck=True)
    )
    assert isinstance(results, SearchResults)
    assert 0 <= len(results.hits) <= 2
    assert results.total >= len(results.hits)


@FUZZ
@given(text=TYPED, others=PARAMS)
@pytest.mark.django_db
def test_search_page_never_answers_500(text, others):
    """GET /search/ with any words and any filter parameters answers 200 or 400."""
    response = Client().get("/search/", query_dict({"q": [text], **others}))
    assert response.status_code in (200, 400)


@settings(FUZZ, max_examples=100)
@given(text=TYPED)
@pytest.mark.django_db
def test_suggestions_answer_any_typing_with_a_list(text):
    """The typing suggestions answer anything typed with a JSON list."""
    response = Client().get("/search/suggest", {"q": text})
    assert response.status_code == 200
    assert isinstance(response.json()["suggestions"], list)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["NOT AND drones", "NOT OR drones", "drones ANDNOT ANDNOT drones"])
def test_dangling_operators_get_a_page(text):
    """Operators with nothing to join give a search page, not a 500."""
    assert Client().get("/search/", {"q": text}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["sigonela-libya", "drones\x08drnes"])
def test_misspelled_words_joined_by_punctuation_get_a_page(text):
    """Words joined by punctuation, one of them misspelled, give a search page, not a 500."""
    assert Client().get("/search/", {"q": text}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["[2015 TO 2016]", "title:[a TO c]", "[0TO]"])
def test_ranges_in_the_words_get_a_page(text):
    """A range in the words (not a published: filter) gives a search page, not a 500."""
    assert Client().get("/search/", {"q": text}).status_code == 200
