"""The public search page: what it finds, what it never shows, and how it answers bad input."""

import datetime as dt
from urllib.parse import parse_qsl, urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.forms import SearchParams
from archive.models import Article, ArticleStatus
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory
from tests.public_data import SEED_TITLE, dated_article, draft, month_article

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [row.article.title for row in response.context["page"].rows]


def facet_counts(response, key: str) -> dict[str, int]:
    groups = [group for group in response.context["page"].facets if group.key == key]
    return {option.label: option.count for group in groups for _, options in group.sections for option in options}


def test_home_leads_to_search(client):
    """The front page sends the visitor to the search page."""
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("archive:search")


@pytest.mark.parametrize("words", ["Sigonella", 'actor:"Islamic State"', "Daesh", "place:Italy", "tag:drones"])
def test_done_when_queries_find_the_seed_article(client, world, words):
    """Each query from the core issue's 'done when' finds the seed-like article."""
    response = client.get("/search/", {"q": words})
    assert response.status_code == 200
    assert titles(response) == [SEED_TITLE]
    assert "1 article" in response.content.decode()


def test_from_a_month_finds_the_article_and_to_an_earlier_year_does_not(client, world):
    """from=2016-02 covers 24 February 2016; to=2015 ends on 31 December 2015."""
    assert titles(client.get("/search/", {"from": "2016-02"})) == [SEED_TITLE]
    assert titles(client.get("/search/", {"to": "2015"})) == []


def test_drafts_never_appear_in_results_or_facets(client, world, indexed):
    """A draft with the same words and access points is neither listed nor counted."""
    indexed(lambda: draft(title="Draft: Sigonella drones", body="Sigonella", places=[world.sigonella], tags=["drones"]))
    response = client.get("/search/", {"q": "Sigonella"})
    assert titles(response) == [SEED_TITLE]
    assert response.context["page"].total == 1
    place_counts = {
        o.label: o.count for g in response.context["page"].facets if g.key == "place" for o in g.sections[0][1]
    }
    assert place_counts["Sigonella Naval Air Station"] == 1
    assert "Draft: Sigonella" not in response.content.decode()


def test_article_unpublished_behind_the_index_is_not_listed(client, indexed):
    """An index that still holds an article as published never shows it once the database says draft."""
    article = indexed(lambda: ArticleFactory(title="Harbour dredging resumes", body="Dredging."))
    Article.objects.filter(pk=article.pk).update(status=ArticleStatus.DRAFT)
    response = client.get("/search/", {"q": "dredging"})
    assert titles(response) == []
    assert "Harbour dredging resumes" not in response.content.decode()


def test_draft_article_page_is_not_found(client, indexed):
    """An article that is not published has no public page."""
    article = indexed(lambda: draft(title="Unchecked wire copy", slug="unchecked-wire-copy"))
    assert client.get(f"/articles/{article.slug}/").status_code == 404


def test_highlights_escape_the_article_text(client, indexed):
    """Markup in an article's text is shown as text; only the highlight marks are HTML."""
    indexed(
        lambda: ArticleFactory(
            title="Leaked memo on patrols",
            body="The memo read <script>alert('x')</script> and mentioned Sigonella & Catania <b>twice</b>.",
        )
    )
    html = client.get("/search/", {"q": "Sigonella"}).content.decode()
    assert "<script>alert" not in html
    assert "The memo read &lt;script&gt;alert('x')&lt;/script&gt; and mentioned" in html
    assert "&amp; Catania &lt;b&gt;twice" in html
    assert "<mark>Sigonella</mark>" in html


def test_malformed_query_shows_the_engine_notice(client, world):
    """An unbalanced quote is searched as plain words and the page says so."""
    response = client.get("/search/", {"q": '"Sigonella drones'})
    assert response.status_code == 200
    assert titles(response) == [SEED_TITLE]
    assert "The query had an unbalanced quote, so it was searched as plain words." in response.content.decode()


def test_article_page_shows_metadata_and_links_each_access_point_to_search(client, world):
    """Actors, places and tags on the article page link to the search filtered by them."""
    html = client.get(world.article.get_absolute_url()).content.decode()
    assert SEED_TITLE in html
    assert "24 February 2016" in html and "10:42 UTC" in html
    assert "International Business Times" in html and "By Staff Writer" in html
    assert f'href="/search/?actor={world.islamic_state.pk}"' in html
    assert f'href="/search/?place={world.sigonella.pk}"' in html
    assert 'href="/search/?tag=drones"' in html
    assert "Armed group" in html and "in Sicily" in html


def test_article_page_hides_draft_access_points(client, world):
    """An actor still in draft is not named on the public article page."""
    world.chouchane.status = "draft"
    world.chouchane.save()
    html = client.get(world.article.get_absolute_url()).content.decode()
    assert f"?actor={world.chouchane.pk}" not in html
    assert "About Noureddine Chouchane" not in html
    assert f"?actor={world.islamic_state.pk}" in html


def test_results_are_ranked_title_first(client, indexed):
    """A word in the title outranks the same word once in the body."""

    def make():
        ArticleFactory(title="Coalition meeting in Brussels", body="Ministers discussed Sabratha briefly.")
        ArticleFactory(title="Sabratha strike kills militants", body="A strike hit a camp near Sabratha.")

    indexed(make)
    assert titles(client.get("/search/", {"q": "Sabratha"}))[0] == "Sabratha strike kills militants"


def test_total_and_pagination(client, indexed):
    """Twenty-five matches at ten a page: page 3 shows the last five and says which."""
    indexed(lambda: [ArticleFactory(title=f"Harbour patrol report {n}") for n in range(25)])
    response = client.get("/search/", {"q": "harbour", "per_page": "10", "page": "3"})
    page = response.context["page"]
    assert page.total == 25 and page.num_pages == 3 and len(page.rows) == 5
    assert "25 articles" in response.content.decode()
    assert "showing 21\N{EN DASH}25" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"actor": "999999"}, "There is no actor with id 999999; that filter was ignored."),
        ({"actor": "abc"}, "“abc” is not a valid actor id; that filter was ignored."),
        ({"actor": "9" * 30}, f"“{'9' * 30}” is not a valid actor id; that filter was ignored."),
        ({"q": "drones " * 100}, "The search words were longer than 500 characters; they were ignored."),
        ({"q": "drones\x00"}, "The search words contained a null character; they were ignored."),
        ({"per_page": "-5"}, "Page size -5 is not offered; showing 10 results per page."),
        ({"place": "424242"}, "There is no place with id 424242; that filter was ignored."),
        ({"tag": "no-such-tag"}, "There is no tag “no-such-tag”; that filter was ignored."),
        ({"tag": "drones\x00"}, "A tag contained a null character; that filter was ignored."),
        ({"from": "2016-13"}, "The “from” date was ignored: &#x27;2016-13&#x27; is not a date: there is no month 13."),
        ({"from": "0000"}, "The “from” date was ignored: &#x27;0000&#x27; is not a date: there is no year 0."),
        ({"to": "yesterday"}, "The “to” date was ignored: &#x27;yesterday&#x27; is not a date: use YYYY, YYYY-MM"),
        ({"page": "-1"}, "Page “-1” does not exist; showing page 1."),
        ({"page": "²"}, "Page “²” does not exist; showing page 1."),
        ({"actor": "²"}, "“²” is not a valid actor id; that filter was ignored."),
        ({"per_page": "²"}, "“²” is not a page size; showing 20 results per page."),
        ({"page": "99"}, "Page 99 does not exist; showing page 1."),
        ({"per_page": "100000"}, "Page size 100000 is not offered; showing 100 results per page."),
        ({"per_page": "lots"}, "“lots” is not a page size; showing 20 results per page."),
        ({"sort": "random"}, "Unknown sort order “random”; sorting by relevance."),
        ({"date_mode": "near"}, "Unknown date mode “near”; showing articles that overlap the period."),
        ({"from": "2017", "to": "2015"}, "The “from” date was after the “to” date; the two were swapped."),
    ],
)
def test_malformed_parameters_give_a_message_not_an_error(client, world, params, message):
    """Bad parameters are ignored or clamped with a clear message, and the search still runs."""
    response = client.get("/search/", params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_unknown_actor_is_ignored_and_the_rest_of_the_search_runs(client, world):
    """An unknown actor id beside a known one keeps the known filter."""
    response = client.get("/search/", {"actor": ["999999", str(world.islamic_state.pk)]})
    assert response.context["params"].actors == (world.islamic_state.pk,)
    assert titles(response) == [SEED_TITLE]


def test_draft_actor_id_is_treated_as_unknown(client, world):
    """Filtering by an actor that is still a draft says there is no such actor."""
    hidden = ActorFactory(name="Unverified militia", status="draft")
    response = client.get("/search/", {"actor": hidden.pk})
    assert f"There is no actor with id {hidden.pk}; that filter was ignored." in response.content.decode()


def test_huge_page_size_is_clamped(client, indexed):
    """per_page=100000 shows at most one hundred results."""
    indexed(lambda: [ArticleFactory(title=f"Grain shipment {n}") for n in range(105)])
    response = client.get("/search/", {"q": "grain", "per_page": "100000"})
    assert len(response.context["page"].rows) == 100


def test_sort_newest_and_oldest(client, indexed):
    """Newest first and oldest first order by published date."""

    def make():
        dated_article(dt.date(2015, 5, 1), title="Port talks May 2015")
        dated_article(dt.date(2017, 1, 9), title="Port talks January 2017")
        dated_article(dt.date(2016, 3, 3), title="Port talks March 2016")

    indexed(make)
    newest = titles(client.get("/search/", {"q": "port", "sort": "newest"}))
    oldest = titles(client.get("/search/", {"q": "port", "sort": "oldest"}))
    assert newest == ["Port talks January 2017", "Port talks March 2016", "Port talks May 2015"]
    assert oldest == list(reversed(newest))


def test_date_mode_overlap_and_within(client, indexed):
    """An article dated only to February 2016 overlaps 10 to 20 February but does not lie within it."""
    indexed(lambda: month_article(2016, 2, 29, title="Monthly naval digest"))
    period = {"q": "digest", "from": "2016-02-10", "to": "2016-02-20"}
    assert titles(client.get("/search/", period)) == ["Monthly naval digest"]
    assert titles(client.get("/search/", {**period, "date_mode": "within"})) == []
    assert titles(client.get("/search/", {"q": "digest", "from": "2016", "to": "2016", "date_mode": "within"})) == [
        "Monthly naval digest"
    ]


def test_several_values_in_one_facet_combine_with_or(client, world, indexed):
    """actor=A&actor=B finds articles about either actor."""
    other = indexed(lambda: ArticleFactory(title="NATO ministers meet", actors=[ActorFactory(name="NATO")]))
    nato = other.actors.get()
    response = client.get("/search/", {"actor": [world.chouchane.pk, nato.pk]})
    assert sorted(titles(response)) == sorted([SEED_TITLE, "NATO ministers meet"])


def test_different_facets_combine_with_and(client, world, indexed):
    """actor=A&tag=T finds only articles with both."""
    indexed(lambda: ArticleFactory(title="Drone policy review", tags=["drones"]))
    response = client.get("/search/", {"actor": world.islamic_state.pk, "tag": "drones"})
    assert titles(response) == [SEED_TITLE]


def test_place_filter_and_facet_roll_up_to_ancestors(client, world, indexed):
    """A place filter on Italy finds the Sigonella article, and Italy's facet count includes it."""
    indexed(lambda: ArticleFactory(title="Rome budget vote", places=[world.italy]))
    response = client.get("/search/", {"place": world.italy.pk})
    assert sorted(titles(response)) == sorted([SEED_TITLE, "Rome budget vote"])
    counts = facet_counts(response, "place")
    assert counts["Italy"] == 2 and counts["Sicily"] == 1


def test_actor_facet_is_grouped_by_type_with_counts(client, world):
    """The actor facet lists actors under their type with a count."""
    page = client.get("/search/").context["page"]
    actors = next(group for group in page.facets if group.key == "actor")
    sections = {title: [(o.label, o.count) for o in options] for title, options in actors.sections}
    assert sections["Armed group"] == [("Islamic State", 1)]
    assert sections["State or government"] == [("Italy", 1), ("United States", 1)]
    assert sections["Person"] == [("Noureddine Chouchane", 1)]


def test_facet_counts_follow_the_current_query(client, world, indexed):
    """Tag counts reflect the words searched, not the whole archive."""
    indexed(lambda: [ArticleFactory(title=f"Drone export rules {n}", tags=["drones"]) for n in range(3)])
    everything = client.get("/search/").context["page"]
    narrowed = client.get("/search/", {"q": "Sigonella"}).context["page"]

    def drones(page):
        tags = next(group for group in page.facets if group.key == "tag")
        return next(o.count for o in tags.sections[0][1] if o.label == "drones")

    assert drones(everything) == 4
    assert drones(narrowed) == 1


def test_active_filters_are_listed_and_each_removes_itself(client, world):
    """Every active filter has a link that removes only that filter."""
    response = client.get("/search/", {"q": "drones", "actor": world.islamic_state.pk, "tag": "airbase"})
    active = {(item.kind, item.label): item.remove_url for item in response.context["page"].active}
    assert active[("Actor", "Islamic State")] == "/search/?q=drones&tag=airbase"
    assert active[("Tag", "airbase")] == f"/search/?q=drones&actor={world.islamic_state.pk}"
    assert active[("Words", "drones")] == f"/search/?actor={world.islamic_state.pk}&tag=airbase"
    assert 'aria-label="Remove actor filter: Islamic State"' in response.content.decode()


def test_selected_facet_value_links_to_its_removal(client, world):
    """A chosen facet value is marked selected and its link removes it."""
    page = client.get("/search/", {"tag": "drones"}).context["page"]
    tags = next(group for group in page.facets if group.key == "tag")
    drones = next(o for o in tags.sections[0][1] if o.label == "drones")
    assert drones.selected and drones.url == "/search/"


def test_year_facet_then_months_of_the_selected_year(client, indexed):
    """Years are listed; choosing one lists its months with counts."""

    def make():
        dated_article(dt.date(2016, 2, 24), title="February story")
        dated_article(dt.date(2016, 2, 25), title="Another February story")
        dated_article(dt.date(2016, 7, 1), title="July story")
        dated_article(dt.date(2014, 7, 1), title="Older story")

    indexed(make)
    page = client.get("/search/").context["page"]
    years = next(group for group in page.facets if group.key == "year")
    assert [(o.label, o.count) for o in years.sections[0][1]] == [("2016", 3), ("2014", 1)]
    assert len(years.sections) == 1
    page = client.get("/search/", {"from": "2016", "to": "2016"}).context["page"]
    years = next(group for group in page.facets if group.key == "year")
    title, months = years.sections[1]
    assert title == "Months of 2016"
    assert [(o.label, o.count) for o in months] == [("February 2016", 2), ("July 2016", 1)]
    assert months[0].url == "/search/?from=2016-02&to=2016-02"


def test_timeline_bars_link_to_narrowed_searches(client, indexed):
    """The SVG timeline has one bar per year from first to last, each linking to that year."""

    def make():
        dated_article(dt.date(2014, 3, 1), title="Ceasefire talks open")
        dated_article(dt.date(2016, 3, 1), title="Ceasefire talks resume")

    indexed(make)
    response = client.get("/search/", {"q": "ceasefire"})
    bars = response.context["page"].timeline
    assert [(bar.label, bar.count) for bar in bars] == [("2014", 1), ("2015", 0), ("2016", 1)]
    html = response.content.decode()
    assert '<svg viewBox="0 0 640 120"' in html
    assert 'href="/search/?q=ceasefire&amp;from=2015&amp;to=2015" aria-label="2015: 0 articles"' in html


def test_timeline_shows_months_within_a_selected_year(client, world):
    """With the dates set to one year, the timeline has twelve monthly bars."""
    bars = client.get("/search/", {"from": "2016", "to": "2016"}).context["page"].timeline
    assert len(bars) == 12
    assert (bars[1].label, bars[1].count, bars[1].url) == ("Feb", 1, "/search/?from=2016-02&to=2016-02")


def test_did_you_mean_offers_a_correction_that_finds_articles(client, world):
    """A misspelt word gets a suggestion that links to the corrected search."""
    response = client.get("/search/", {"q": "Sigonela"})
    page = response.context["page"]
    assert page.suggestion == "sigonella"
    assert f'Did you mean <a href="{page.suggestion_url}">sigonella</a>?' in response.content.decode()


def test_did_you_mean_is_not_offered_from_draft_words(client, indexed):
    """A correction that only a draft would match is not offered."""
    indexed(lambda: draft(title="Zarqawi network", body="Zarqawi network financing."))
    response = client.get("/search/", {"q": "Zarqawy"})
    assert response.context["page"].suggestion == ""
    assert "Did you mean" not in response.content.decode()


def test_empty_result_explains_which_filter_removed_everything(client, world, indexed):
    """With words and a tag that never meet, the page says what each removal would find."""
    indexed(lambda: ArticleFactory(title="Wheat harvest outlook", tags=["agriculture"]))
    response = client.get("/search/", {"q": "Sigonella", "tag": "agriculture"})
    html = response.content.decode()
    assert "No articles found" in html
    assert "No published article matches all of this search." in html
    assert 'Without the tag agriculture: <a href="/search/?q=Sigonella">1 article</a>' in html
    assert 'Without the words “Sigonella”: <a href="/search/?tag=agriculture">1 article</a>' in html
    assert "Start again with the whole archive" in html


def test_empty_result_for_words_alone_says_so(client, world):
    """Words that match nothing, with no filters, get a plain explanation."""
    html = client.get("/search/", {"q": "zzxqv"}).content.decode()
    assert "No published article matches “zzxqv”." in html


def test_every_state_is_in_the_url(client, world):
    """Pagination links keep the words, filters, sort, page size and date mode."""
    indexed_params = {
        "q": "drones",
        "actor": world.islamic_state.pk,
        "from": "2016",
        "date_mode": "within",
        "sort": "oldest",
        "per_page": "10",
    }
    page = client.get("/search/", indexed_params).context["page"]
    assert page.page_url(2) == (
        f"/search/?q=drones&actor={world.islamic_state.pk}&from=2016&date_mode=within&sort=oldest&per_page=10&page=2"
    )


def test_source_filter(client, world, indexed):
    """source= narrows to one publication."""
    indexed(lambda: ArticleFactory(title="Drone rules tightened", source="Reuters", tags=["drones"]))
    response = client.get("/search/", {"tag": "drones", "source": "Reuters"})
    assert titles(response) == ["Drone rules tightened"]


def test_draft_place_is_not_offered_as_a_facet(client, world, indexed):
    """A place in draft is left out of the place facet even when articles link to it."""
    hidden = PlaceFactory(name="Undisclosed site", status="draft")
    indexed(lambda: world.article.places.add(hidden))
    page = client.get("/search/").context["page"]
    places = next(group for group in page.facets if group.key == "place")
    assert "Undisclosed site" not in [o.label for o in places.sections[0][1]]


def test_facets_list_the_most_frequent_values_only(client, indexed):
    """An article with 35 tags shows 30 of them in the tag facet, the most frequent first."""
    indexed(lambda: ArticleFactory(title="Everything at once", tags=[f"subject-{n:02d}" for n in range(35)]))
    indexed(lambda: ArticleFactory(title="Twice tagged", tags=["subject-34"]))
    counts = facet_counts(client.get("/search/"), "tag")
    assert len(counts) == 30
    assert counts["subject-34"] == 2


def test_search_answers_head_requests(client, world):
    """Link checkers that send HEAD get 200, not 405."""
    assert client.head("/search/", {"q": "Sigonella"}).status_code == 200


def test_source_facet_counts_and_links(client, world, indexed):
    """The source facet counts each publication and links to the search narrowed to it."""
    indexed(lambda: [ArticleFactory(title=f"Drone rules {n}", source="Reuters", tags=["drones"]) for n in range(2)])
    response = client.get("/search/", {"tag": "drones"})
    assert facet_counts(response, "source") == {"Reuters": 2, "International Business Times": 1}
    sources = next(group for group in response.context["page"].facets if group.key == "source")
    assert sources.sections[0][1][0].url == "/search/?tag=drones&source=Reuters"


def test_search_page_queries_do_not_grow_with_the_results(client, indexed):
    """Ten results with actors, places and tags take as many queries as two."""
    actor, place = ActorFactory(name="Cocoa Board"), PlaceFactory(name="Accra")

    def queries_for_page_with(count: int) -> int:
        indexed(
            lambda: [
                ArticleFactory(title=f"Cocoa report {n}", actors=[actor], places=[place], tags=["cocoa"])
                for n in range(count)
            ]
        )
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/search/", {"q": "cocoa"}).status_code == 200
        return len(captured)

    assert queries_for_page_with(2) == queries_for_page_with(8)


def test_search_links_encode_every_value_as_a_form_would():
    """Spaces, ampersands, plus signs, equals signs and accents in a state survive the round trip through a link."""
    params = SearchParams(text='"trade deficit" & x=1+2 Zürich', tags=("a&b",), sources=("Reuters / AP",), page=2)

    assert params.querystring() == "?" + urlencode(params.query_pairs())
    assert parse_qsl(params.querystring()[1:]) == params.query_pairs()


@pytest.mark.parametrize(
    "params",
    [
        SearchParams(),
        SearchParams(text="cocoa", actors=(3,), places=(7, 9), tags=("a&b",), sort="newest", page=4),
        SearchParams(sources=("Reuters",), date_from="1987-03", date_to="1987-04", per_page=50),
        SearchParams(text="x=1+2 Zürich", tags=("grain",), date_mode="within"),
    ],
)
@pytest.mark.parametrize(
    ("name", "values"),
    [("actors", [3, 5]), ("places", [9, 11]), ("tags", ["a&b", "tin"]), ("sources", ["Reuters", "AP / UPI"])],
)
def test_facet_option_links_are_the_toggled_states_links(params, name, values):
    """The links built together for a facet's options are each the link of the state with that value toggled."""
    assert params.toggled_querystrings(name, values) == [params.toggled(name, value).querystring() for value in values]
