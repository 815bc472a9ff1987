"""The search contract, run against every engine the archive ships.

Documents are indexed straight through the backend (no signals), so each
test states what the engine does with a given document.
"""

import datetime as dt

import pytest

from archive.models import ArticleStatus, DatePrecision
from archive.search import get_backend
from archive.search.base import FacetCount, SearchQuery
from archive.search.documents import article_document
from tests.factories import ActorFactory, ActorNameFactory, ArticleFactory, PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def engine(each_engine):
    return get_backend()


def index(engine, *articles):
    for article in articles:
        article.refresh_from_db()
    engine.index([article_document(article) for article in articles])


def ids(results):
    return [hit.article_id for hit in results.hits]


@pytest.fixture
def sigonella_article():
    italy = PlaceFactory(name="Italy", type="country", country_code="IT")
    sicily = PlaceFactory(name="Sicily", type="region", parent=italy)
    sigonella = PlaceFactory(name="Sigonella Naval Air Station", type="site", parent=sicily)
    islamic_state = ActorFactory(name="Islamic State", type="armed_group")
    ActorNameFactory(actor=islamic_state, name="Daesh")
    return ArticleFactory(
        title="Italy agrees to launch US armed drones from Sicily",
        body="The drones are based at the Sigonella naval air station in Sicily, a Nato base.",
        actors=[islamic_state],
        places=[sigonella],
        tags=["drones", "counter-terrorism"],
    )


def test_plain_word_finds_the_body(engine, sigonella_article):
    """A word from the body finds the article."""
    index(engine, sigonella_article)
    assert ids(engine.search(SearchQuery(text="Sigonella"))) == [sigonella_article.pk]


def test_words_are_stemmed(engine, sigonella_article):
    """'drone' matches 'drones'."""
    index(engine, sigonella_article)
    assert engine.search(SearchQuery(text="drone")).total == 1


def test_accents_are_folded(engine):
    """'Sao Tome' finds 'São Tomé' and the other way round."""
    article = ArticleFactory(body="Elections in São Tomé were calm.")
    index(engine, article)
    assert engine.search(SearchQuery(text="Sao Tome")).total == 1


def test_title_outranks_body(engine):
    """A word in the title ranks above the same word in a body."""
    in_body = ArticleFactory(title="Weekly review", body="Sabratha was quiet; Sabratha markets opened.")
    in_title = ArticleFactory(title="Sabratha raid kills dozens", body="Aircraft struck a camp near the border.")
    index(engine, in_body, in_title)
    assert ids(engine.search(SearchQuery(text="Sabratha"))) == [in_title.pk, in_body.pk]


def test_alternate_name_of_a_linked_actor_finds_the_article(engine, sigonella_article):
    """'Daesh' is a name of the Islamic State, which the article is linked to."""
    index(engine, sigonella_article)
    assert engine.search(SearchQuery(text="Daesh")).total == 1


def test_actor_field_filter_matches_a_phrase(engine, sigonella_article):
    """actor:"Islamic State" searches the linked actors' names."""
    other = ArticleFactory(body="The state of Islamic art in Sicily.")
    index(engine, sigonella_article, other)
    assert ids(engine.search(SearchQuery(text='actor:"Islamic State"'))) == [sigonella_article.pk]


def test_place_field_filter_matches_an_ancestor(engine, sigonella_article):
    """place:Italy finds an article linked only to Sigonella, inside Sicily, inside Italy."""
    index(engine, sigonella_article)
    assert engine.search(SearchQuery(text="place:Italy")).total == 1


def test_tag_field_filter(engine, sigonella_article):
    """tag:drones finds the tagged article; tag:airbase does not."""
    index(engine, sigonella_article)
    assert engine.search(SearchQuery(text="tag:drones")).total == 1
    assert engine.search(SearchQuery(text="tag:airbase")).total == 0


def test_source_field_filter(engine):
    """source:Reuters matches the source, not the body."""
    wire = ArticleFactory(source="Reuters", body="Oil prices rose.")
    mention = ArticleFactory(source="Guardian", body="Reuters reported that oil prices rose.")
    index(engine, wire, mention)
    assert ids(engine.search(SearchQuery(text="source:Reuters"))) == [wire.pk]


def test_phrase_needs_the_words_in_order(engine):
    """A quoted phrase matches adjacent words only."""
    adjacent = ArticleFactory(body="The naval air station reopened.")
    apart = ArticleFactory(body="The air force and the naval command met.")
    index(engine, adjacent, apart)
    assert ids(engine.search(SearchQuery(text='"naval air station"'))) == [adjacent.pk]


def test_prefix_query(engine):
    """counter* matches 'counterterrorism'."""
    article = ArticleFactory(body="A counterterrorism unit was deployed.")
    index(engine, article)
    assert engine.search(SearchQuery(text="counter*")).total == 1


def test_boolean_operators(engine):
    """AND narrows, OR widens and NOT excludes."""
    oil = ArticleFactory(body="Oil exports from Libya fell.")
    gas = ArticleFactory(body="Gas exports from Algeria rose.")
    index(engine, oil, gas)
    assert ids(engine.search(SearchQuery(text="exports AND Libya"))) == [oil.pk]
    assert engine.search(SearchQuery(text="Libya OR Algeria")).total == 2
    assert ids(engine.search(SearchQuery(text="exports NOT Libya"))) == [gas.pk]


def test_unbalanced_quote_is_searched_as_plain_words(engine, sigonella_article):
    """An unbalanced quote gives results for the words and a notice, never an error."""
    index(engine, sigonella_article)
    results = engine.search(SearchQuery(text='"Sigonella drones'))
    assert results.total == 1
    assert results.notice == "The query had an unbalanced quote, so it was searched as plain words."


def test_lone_operator_is_answered_with_a_message(engine, sigonella_article):
    """A query of nothing but an operator finds nothing and says why."""
    index(engine, sigonella_article)
    results = engine.search(SearchQuery(text="AND"))
    assert results.total == 0
    assert results.notice == "The query has no searchable words (only common words such as 'the' or operators)."


def test_published_date_in_the_query_language(engine):
    """published:2016-02 and published:[2015 TO 2015-12] filter by the published range."""
    article = ArticleFactory(body="Drone strikes.", published_start=dt.date(2016, 2, 24))
    index(engine, article)
    assert engine.search(SearchQuery(text="drone published:2016-02")).total == 1
    assert engine.search(SearchQuery(text="drone published:[2015 TO 2015-12]")).total == 0


def test_impossible_date_in_the_query_is_ignored_with_a_notice(engine):
    """published:2016-13 is reported and the rest of the query still runs."""
    article = ArticleFactory(body="Drone strikes.")
    index(engine, article)
    results = engine.search(SearchQuery(text="drone published:2016-13"))
    assert results.total == 1
    assert results.notice == "Date filter ignored: '2016-13' is not a date: there is no month 13."


def test_year_zero_in_the_query_is_ignored_with_a_notice(engine):
    """published:0000-02 names the year that does not exist, and the rest of the query still runs."""
    article = ArticleFactory(body="Drone strikes.")
    index(engine, article)
    results = engine.search(SearchQuery(text="drone published:0000-02"))
    assert results.total == 1
    assert results.notice == "Date filter ignored: '0000-02' is not a date: there is no year 0."


def test_drafts_are_not_found_by_default(engine):
    """Only published articles are searched unless other statuses are asked for."""
    draft = ArticleFactory(body="Unchecked report about Sabratha.", status=ArticleStatus.DRAFT)
    index(engine, draft)
    assert engine.search(SearchQuery(text="Sabratha")).total == 0
    assert engine.search(SearchQuery(text="Sabratha", statuses=("draft",))).total == 1


def test_actor_filter_combines_values_with_or(engine):
    """Two actor ids find articles linked to either."""
    italy, libya = ActorFactory(name="Italy", type="state"), ActorFactory(name="Libya", type="state")
    first, second = ArticleFactory(actors=[italy]), ArticleFactory(actors=[libya])
    index(engine, first, second, ArticleFactory())
    assert sorted(ids(engine.search(SearchQuery(actors=(italy.pk, libya.pk))))) == sorted([first.pk, second.pk])


def test_different_filters_combine_with_and(engine):
    """An actor filter and a tag filter together need both."""
    italy = ActorFactory(name="Italy", type="state")
    both = ArticleFactory(actors=[italy], tags=["drones"])
    index(engine, both, ArticleFactory(actors=[italy]), ArticleFactory(tags=["drones"]))
    assert ids(engine.search(SearchQuery(actors=(italy.pk,), tags=("drones",)))) == [both.pk]


def test_place_filter_includes_places_inside(engine, sigonella_article):
    """Filtering on Italy's id finds the article linked to Sigonella."""
    index(engine, sigonella_article)
    italy = sigonella_article.places.get().parent.parent
    assert engine.search(SearchQuery(places=(italy.pk,))).total == 1


def test_date_range_overlap_and_within(engine):
    """A month-precision article overlaps a day inside it but does not lie within that day."""
    february = ArticleFactory(
        published_start=dt.date(2016, 2, 1),
        published_end=dt.date(2016, 2, 29),
        published_precision=DatePrecision.MONTH,
    )
    index(engine, february)
    day = dt.date(2016, 2, 24)
    assert engine.search(SearchQuery(date_from=day, date_to=day, date_mode="overlap")).total == 1
    assert engine.search(SearchQuery(date_from=day, date_to=day, date_mode="within")).total == 0
    year = (dt.date(2016, 1, 1), dt.date(2016, 12, 31))
    assert engine.search(SearchQuery(date_from=year[0], date_to=year[1], date_mode="within")).total == 1


def test_open_ended_date_range(engine):
    """from alone and to alone each bound one side."""
    article = ArticleFactory(published_start=dt.date(2016, 2, 24))
    index(engine, article)
    assert engine.search(SearchQuery(date_from=dt.date(2016, 2, 1))).total == 1
    assert engine.search(SearchQuery(date_to=dt.date(2015, 12, 31))).total == 0


def test_sort_newest_and_oldest(engine):
    """Date sorts order by the published start."""
    old = ArticleFactory(body="Oil.", published_start=dt.date(1987, 3, 1))
    new = ArticleFactory(body="Oil.", published_start=dt.date(2016, 2, 24))
    index(engine, old, new)
    assert ids(engine.search(SearchQuery(text="oil", sort="newest"))) == [new.pk, old.pk]
    assert ids(engine.search(SearchQuery(text="oil", sort="oldest"))) == [old.pk, new.pk]


def test_pagination(engine):
    """Page 2 holds the hits after the first page; total counts them all."""
    articles = [ArticleFactory(body="Cocoa harvest.", published_start=dt.date(1987, 1, day)) for day in range(1, 6)]
    index(engine, *articles)
    results = engine.search(SearchQuery(text="cocoa", sort="oldest", page=2, per_page=2))
    assert results.total == 5
    assert ids(results) == [articles[2].pk, articles[3].pk]


def test_page_past_the_end_is_empty(engine):
    """A page beyond the last has no hits but keeps the total."""
    index(engine, ArticleFactory(body="Cocoa."))
    results = engine.search(SearchQuery(text="cocoa", page=9))
    assert (results.total, results.hits) == (1, [])


def test_highlights_escape_the_article_text(engine):
    """Markup in the article is escaped; only the <mark> tags are HTML."""
    article = ArticleFactory(body="Officials said <script>alert(1)</script> the drones & planes left.")
    index(engine, article)
    snippet = engine.search(SearchQuery(text="drones")).hits[0].highlight
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "<mark>drones</mark>" in snippet


def test_words_joined_by_a_slash_are_found_one_by_one(engine):
    """'oil/gas' holds the word oil, as Whoosh splits it; PostgreSQL's parser would read one file path."""
    article = ArticleFactory(title="Pipeline sale", body="Prices of OIL/GAS leases fell in the U.S./Canada region.")
    index(engine, article)
    assert ids(engine.search(SearchQuery(text="oil"))) == [article.pk]
    assert ids(engine.search(SearchQuery(text="canada"))) == [article.pk]
    assert "<mark>OIL</mark>/GAS" in engine.search(SearchQuery(text="oil")).hits[0].highlight


def test_a_company_named_in_angle_brackets_is_found_and_highlighted(engine):
    """Newswires write companies as <New London Oil Ltd>: the name is searchable, and marked in the snippet."""
    article = ArticleFactory(
        title="Greenwood Resources <GRRL> sells stake", body="It sold a holding in <New London Oil\nLtd> of London."
    )
    index(engine, article)
    assert ids(engine.search(SearchQuery(text="GRRL"))) == [article.pk]
    assert ids(engine.search(SearchQuery(text='"London Oil"'))) == [article.pk]
    assert ids(engine.search(SearchQuery(text="<GRRL>"))) == [article.pk]
    snippet = engine.search(SearchQuery(text="oil")).hits[0].highlight
    assert "&lt;New London <mark>Oil</mark>" in snippet


def test_snippet_without_a_body_match_is_the_escaped_opening(engine):
    """A hit found through its tags still shows the start of the text, escaped."""
    article = ArticleFactory(body="<b>Bold</b> claims.", tags=["drones"])
    index(engine, article)
    assert engine.search(SearchQuery(text="tag:drones")).hits[0].highlight == "&lt;b&gt;Bold&lt;/b&gt; claims."


def test_facet_counts_roll_places_up(engine, sigonella_article):
    """Italy counts the article linked to Sigonella; tags and years are counted too."""
    index(engine, sigonella_article, ArticleFactory(body="Unrelated.", published_start=dt.date(1987, 2, 26)))
    results = engine.search(SearchQuery(facets=("place", "tag", "year", "actor")))
    place_counts = {facet.value: facet.count for facet in results.facets["place"]}
    italy = sigonella_article.places.get().parent.parent
    assert place_counts[str(italy.pk)] == 1
    assert {facet.value: facet.count for facet in results.facets["year"]} == {"2016": 1, "1987": 1}
    assert {facet.value for facet in results.facets["tag"]} == {"drones", "counter-terrorism"}


def test_facet_counts_follow_the_query(engine):
    """Counts cover only the articles the query matched."""
    index(
        engine,
        ArticleFactory(body="Oil.", tags=["crude"]),
        ArticleFactory(body="Oil.", tags=["crude"]),
        ArticleFactory(body="Grain.", tags=["wheat"]),
    )
    results = engine.search(SearchQuery(text="oil", facets=("tag",)))
    assert [(facet.value, facet.count) for facet in results.facets["tag"]] == [("crude", 2)]


def test_spelling_suggestion_only_when_it_finds_something(engine, sigonella_article):
    """'Sigonela' suggests 'sigonella'; a correction that finds only drafts is not offered."""
    draft = ArticleFactory(body="Cocoa arrivals at Bahia.", status=ArticleStatus.DRAFT)
    index(engine, sigonella_article, draft)
    assert engine.search(SearchQuery(text="Sigonela", spellcheck=True)).suggestion == "sigonella"
    assert engine.search(SearchQuery(text="Bahai", spellcheck=True)).suggestion == ""


def test_remove_drops_the_document(engine, sigonella_article):
    """A removed article is no longer found, even by a searcher opened before the removal."""
    index(engine, sigonella_article)
    assert engine.search(SearchQuery(text="Sigonella")).total == 1
    engine.remove([sigonella_article.pk])
    assert engine.search(SearchQuery(text="Sigonella")).total == 0


def test_indexing_twice_keeps_one_entry(engine, sigonella_article):
    """Index updates are keyed on the id."""
    index(engine, sigonella_article)
    index(engine, sigonella_article)
    assert engine.search(SearchQuery(text="Sigonella")).total == 1
    assert list(engine.fingerprints()) == [sigonella_article.pk]


def test_more_like_this_finds_the_similar_article(engine):
    """The article sharing most words ranks first among the similar ones."""
    cocoa = ArticleFactory(body="Cocoa arrivals in Bahia rose as showers helped the cocoa crop and cocoa exports.")
    similar = ArticleFactory(body="Bahia cocoa crop estimates rose after showers; cocoa exports steady.")
    other = ArticleFactory(body="The central bank left interest rates unchanged.")
    index(engine, cocoa, similar, other)
    assert [hit.article_id for hit in engine.more_like(cocoa.pk)][:1] == [similar.pk]


def test_more_like_an_article_without_a_body_answers(engine):
    """A title-only story (a tenth of the Reuters wire) gets an answer, not an engine error."""
    headline = ArticleFactory(title="Cocoa arrivals in Bahia", body="")
    other = ArticleFactory(body="Bahia cocoa crop estimates rose after showers.")
    index(engine, headline, other)
    assert other.pk not in [hit.article_id for hit in engine.more_like(other.pk)]
    assert headline.pk not in [hit.article_id for hit in engine.more_like(headline.pk)]


def test_suggest_terms_completes_title_words(engine):
    """Title words starting with the typed prefix, unstemmed."""
    index(engine, ArticleFactory(title="Sabratha raid"), ArticleFactory(title="Sabratha border"))
    assert engine.suggest_terms("sab") == ["sabratha"]


def test_clear_empties_the_index(engine, sigonella_article):
    """After clear nothing is found."""
    index(engine, sigonella_article)
    engine.clear()
    assert engine.search(SearchQuery()).total == 0


def test_no_spelling_suggestion_for_a_word_the_index_knows(engine, sigonella_article):
    """A correctly spelled word that appears anywhere is never 'corrected'."""
    index(engine, sigonella_article)
    assert engine.search(SearchQuery(text="drone Nato", spellcheck=True)).suggestion == ""


def test_spelling_suggestion_from_an_actor_name(engine, sigonella_article):
    """Misspelled names of linked actors are corrected too."""
    index(engine, sigonella_article)
    assert engine.search(SearchQuery(text="Daesk", spellcheck=True)).suggestion == "daesh"


def test_snippet_is_cut_around_the_matches(engine):
    """A long text is cut to a window around the matched words, with ellipses where it was cut."""
    filler = "Markets were calm. " * 30
    article = ArticleFactory(body=f"{filler}Drones left Sigonella at dawn. {filler}")
    index(engine, article)
    snippet = engine.search(SearchQuery(text="Sigonella")).hits[0].highlight
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>Sigonella</mark>" in snippet
    assert len(snippet) < 300


def test_highlight_marks_stemmed_accented_and_prefixed_words(engine):
    """'drone' marks 'Drones', 'Sao' marks 'São' and 'counter*' marks 'counterterrorism'."""
    article = ArticleFactory(body="Drones flew over São Tomé during a counterterrorism drill.")
    index(engine, article)
    assert "<mark>Drones</mark>" in engine.search(SearchQuery(text="drone")).hits[0].highlight
    assert "<mark>São</mark>" in engine.search(SearchQuery(text="Sao")).hits[0].highlight
    assert "<mark>counterterrorism</mark>" in engine.search(SearchQuery(text="counter*")).hits[0].highlight


def test_total_counts_every_match_when_only_the_first_page_is_ranked(engine):
    """Weakly scoring matches after strong ones still count in the total and the facets."""
    strong = [ArticleFactory(title="Oil prices", body="Oil.", tags=["energy"]) for _ in range(20)]
    weak = [
        ArticleFactory(title="Weekly review", body="Output rose in the quarter. " * 20 + "Some oil.", tags=["energy"])
        for _ in range(10)
    ]
    index(engine, *strong, *weak)
    results = engine.search(SearchQuery(text="oil", per_page=1, facets=("tag",)))
    assert results.total == 30
    assert results.facets["tag"] == [FacetCount(value="energy", count=30)]


def test_browse_facets_follow_index_changes(engine):
    """Counts for a search without words are shared, yet a new article changes them at once."""
    index(engine, ArticleFactory(tags=["energy"]))
    assert engine.search(SearchQuery(facets=("tag",))).facets["tag"] == [FacetCount(value="energy", count=1)]
    index(engine, ArticleFactory(tags=["energy"]))
    assert engine.search(SearchQuery(facets=("tag",))).facets["tag"] == [FacetCount(value="energy", count=2)]


def test_facets_and_totals_follow_an_article_retagged_and_one_removed(engine):
    """After later writes, an updated article counts with its new tags only and a removed one not at all."""
    retagged, removed, kept = (ArticleFactory(body="Cocoa.", tags=["energy"]) for _ in range(3))
    index(engine, retagged, removed, kept)
    assert engine.search(SearchQuery(text="cocoa", facets=("tag",))).facets["tag"] == [
        FacetCount(value="energy", count=3)
    ]
    retagged.tags.set(["commodities"])
    index(engine, retagged)
    engine.remove([removed.pk])
    results = engine.search(SearchQuery(text="cocoa", facets=("tag",)))
    assert results.total == 2
    assert set(results.facets["tag"]) == {FacetCount(value="energy", count=1), FacetCount(value="commodities", count=1)}
