"""The article, actor and place admin: the list, its filters, the full-text search box and the change forms."""

import datetime as dt

import pytest
from django.urls import reverse

from archive.models import Actor, ActorName, ActorType, Article, ArticleStatus, Place, PlaceType
from tests.admin_support import authority_form_data, change_form_data, found
from tests.factories import ActorFactory, ActorNameFactory, ArticleFactory, PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sigonella(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        italy = PlaceFactory(name="Italy", type=PlaceType.COUNTRY, country_code="IT")
        sicily = PlaceFactory(name="Sicily", type=PlaceType.REGION, parent=italy)
        base = PlaceFactory(name="Sigonella Naval Air Station", type=PlaceType.SITE, parent=sicily)
        islamic_state = ActorFactory(name="Islamic State", type=ActorType.ARMED_GROUP)
        ActorNameFactory(actor=islamic_state, name="ISIL")
        article = ArticleFactory(
            title="Italy lets US drones fly from Sigonella",
            body="Italy has quietly agreed to let American drones take off from the Sigonella air base in Sicily.",
            status=ArticleStatus.DRAFT,
            actors=[islamic_state],
            places=[base],
            tags=["drones"],
        )
    return article


def test_article_list_shows_access_points(admin_client, sigonella):
    """The article list shows each article's title, status, date, actors, places and tags."""
    response = admin_client.get(reverse("admin:archive_article_changelist"))
    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.pk == sigonella.pk)
    assert row.title == "Italy lets US drones fly from Sigonella"
    content = response.content.decode()
    for text in [
        "Italy lets US drones fly from Sigonella",
        "Draft",
        "Islamic State",
        "Sigonella Naval Air Station",
        "drones",
    ]:
        assert text in content


def test_article_list_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    """Fifty articles with links and tags are listed in a fixed, small number of queries (no N+1)."""
    actors = ActorFactory.create_batch(3)
    places = PlaceFactory.create_batch(3)
    for i in range(50):
        ArticleFactory(actors=actors[: i % 3 + 1], places=places[: i % 2 + 1], tags=["shipping", f"port-{i % 5}"])
    with django_assert_max_num_queries(20):
        response = admin_client.get(reverse("admin:archive_article_changelist"))
    assert len(response.context["cl"].result_list) == 50


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "draft"}, {"draft"}),
        ({"queue": "no_actor"}, {"bare"}),
        ({"queue": "no_place"}, {"bare"}),
        ({"queue": "no_tag"}, {"bare"}),
        ({"queue": "no_date"}, {"undated"}),
        ({"queue": "in_review"}, {"undated"}),
    ],
)
def test_article_list_filters(admin_client, query, expected):
    """The status filter and the work queues (no actor, no place, no tag, no date, in review) narrow the list."""
    actor, place = ActorFactory(), PlaceFactory()
    articles = {
        "draft": ArticleFactory(status=ArticleStatus.DRAFT, actors=[actor], places=[place], tags=["ports"]),
        "bare": ArticleFactory(),
        "undated": ArticleFactory(
            status=ArticleStatus.IN_REVIEW,
            published_start=None,
            published_end=None,
            published_precision="",
            actors=[actor],
            places=[place],
            tags=["ports"],
        ),
    }
    response = admin_client.get(reverse("admin:archive_article_changelist"), query)
    listed = {a.pk for a in response.context["cl"].result_list}
    assert listed == {articles[name].pk for name in expected}


def test_article_list_filters_by_actor_place_and_tag(admin_client):
    """Filtering by an actor, a place or a tag keeps only the articles linked to it."""
    nato, libya = ActorFactory(name="NATO"), PlaceFactory(name="Libya")
    linked = ArticleFactory(actors=[nato], places=[libya], tags=["airbase"])
    ArticleFactory(tags=["shipping"])
    url = reverse("admin:archive_article_changelist")
    for query in [
        {"actors__id__exact": nato.pk},
        {"places__id__exact": libya.pk},
        {"tags__id__exact": linked.tags.get().pk},
    ]:
        response = admin_client.get(url, query)
        assert [a.pk for a in response.context["cl"].result_list] == [linked.pk], query


def test_article_list_date_hierarchy(admin_client):
    """The date hierarchy on the published date narrows the list to a year and month."""
    february = ArticleFactory(published_start=dt.date(2016, 2, 24))
    ArticleFactory(published_start=dt.date(2017, 3, 1))
    response = admin_client.get(
        reverse("admin:archive_article_changelist"), {"published_start__year": 2016, "published_start__month": 2}
    )
    assert [a.pk for a in response.context["cl"].result_list] == [february.pk]


def test_admin_search_box_uses_the_full_text_index(admin_client, sigonella):
    """The search box finds a draft through an actor's alternate name, which is only in the index."""
    with_other_text = ArticleFactory(title="Harbour strike ends", body="Dockers return to work.")
    response = admin_client.get(reverse("admin:archive_article_changelist"), {"q": "ISIL"})
    listed = [a.pk for a in response.context["cl"].result_list]
    assert listed == [sigonella.pk]
    assert with_other_text.pk not in listed


def test_articles_with_ids_are_those_ids_whatever_the_number(db):
    """The admin search's ids go to the database as one parameter: the right rows come back, none or thousands."""
    articles = ArticleFactory.create_batch(3)
    wanted = [articles[2].pk, articles[0].pk, 10**9]
    assert set(Article.objects.with_ids(wanted)) == {articles[0], articles[2]}
    assert not Article.objects.with_ids([]).exists()
    assert Article.objects.with_ids([articles[1].pk, *range(10**9, 10**9 + 20_000)]).get() == articles[1]


def test_admin_search_box_survives_a_malformed_query(admin_client, sigonella):
    """An unbalanced quote never gives an error page: it is searched as plain words, with a notice saying so."""
    response = admin_client.get(reverse("admin:archive_article_changelist"), {"q": '"drones'})
    assert response.status_code == 200
    assert [a.pk for a in response.context["cl"].result_list] == [sigonella.pk]
    assert [str(m) for m in response.context["messages"]] == [
        "The query had an unbalanced quote, so it was searched as plain words."
    ]


def test_saving_an_article_records_who_created_and_changed_it(admin_client, admin_user, sigonella):
    """A save through the admin sets updated_by to the user who saved."""
    response = admin_client.post(
        reverse("admin:archive_article_change", args=[sigonella.pk]), change_form_data(sigonella, title="New title")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    sigonella.refresh_from_db()
    assert sigonella.title == "New title"
    assert sigonella.updated_by == admin_user


def test_adding_an_article_records_its_creator(admin_client, admin_user):
    """An article added through the admin has created_by and updated_by set to the user."""
    data = change_form_data(
        Article(title="Port reopens", slug="port-reopens", status=ArticleStatus.DRAFT, language="en"), tags="shipping"
    )
    response = admin_client.post(reverse("admin:archive_article_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(slug="port-reopens")
    assert (article.created_by, article.updated_by) == (admin_user, admin_user)
    assert list(article.tags.names()) == ["shipping"]


def test_tags_actors_places_edited_in_admin_are_searchable_at_once(
    admin_client, sigonella, django_capture_on_commit_callbacks
):
    """Tags, actors and places set in the change form are in the index right after the save."""
    nato = ActorFactory(name="NATO", type=ActorType.INTERNATIONAL_ORGANISATION)
    tunisia = PlaceFactory(name="Tunisia", type=PlaceType.COUNTRY)
    data = change_form_data(sigonella, actors=[nato.pk], places=[tunisia.pk], tags="counter-terrorism, airbase")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:archive_article_change", args=[sigonella.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert found('tag:"counter-terrorism"') == {sigonella.pk}
    assert found('actor:"NATO"') == {sigonella.pk}
    assert found("place:Tunisia") == {sigonella.pk}
    assert found('actor:"Islamic State"') == set()
    assert found("tag:drones") == set()


def test_renaming_an_actor_in_admin_is_reflected_in_search(admin_client, sigonella, django_capture_on_commit_callbacks):
    """An actor renamed in the admin is found under its new name and no longer under the old one."""
    actor = sigonella.actors.get()
    data = authority_form_data(
        actor, [], "alternate_names", name="Daesh", type=actor.type, status=actor.status, description="", external_id=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:archive_actor_change", args=[actor.pk]), data)
    assert response.status_code == 302
    assert found('actor:"Daesh"') == {sigonella.pk}
    assert found('actor:"Islamic State"') == set()


def test_alternate_name_added_inline_is_searchable(admin_client, sigonella, django_capture_on_commit_callbacks):
    """An alternate name added through the actor's inline finds the actor's articles as a plain word."""
    actor = sigonella.actors.get()
    data = authority_form_data(
        actor, ["Daesh"], "alternate_names", name=actor.name, type=actor.type, status=actor.status, description=""
    )
    data["external_id"] = ""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:archive_actor_change", args=[actor.pk]), data)
    assert response.status_code == 302
    assert ActorName.objects.filter(actor=actor, name="Daesh").exists()
    assert found("Daesh") == {sigonella.pk}


def test_renaming_a_place_or_adding_its_alternate_name_is_reflected_in_search(
    admin_client, sigonella, django_capture_on_commit_callbacks
):
    """A place renamed with a new alternate name in the admin reaches every article inside it."""
    italy = Place.objects.get(name="Italy")
    data = authority_form_data(
        italy,
        ["Italia"],
        "alternate_names",
        name="Italian Republic",
        type=italy.type,
        status=italy.status,
        parent="",
        country_code="IT",
        latitude="",
        longitude="",
        external_id="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:archive_place_change", args=[italy.pk]), data)
    assert response.status_code == 302
    assert found('place:"Italian Republic"') == {sigonella.pk}
    assert found("Italia") == {sigonella.pk}


def test_renaming_a_tag_in_admin_is_reflected_in_search(admin_client, sigonella, django_capture_on_commit_callbacks):
    """A tag renamed in the tag admin is found under its new name."""
    tag = sigonella.tags.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:taggit_tag_change", args=[tag.pk]),
            {"name": "unmanned aircraft", "slug": "unmanned-aircraft"},
        )
    assert response.status_code == 302
    assert found('tag:"unmanned-aircraft"') == {sigonella.pk}
    assert found("unmanned") == {sigonella.pk}


def test_actor_list_shows_sortable_article_counts(admin_client):
    """The actor list shows how many articles each actor is linked to, and sorts by it."""
    busy, quiet = ActorFactory(name="NATO"), ActorFactory(name="Arab League")
    ArticleFactory.create_batch(3, actors=[busy])
    ArticleFactory(actors=[quiet])
    url = reverse("admin:archive_actor_changelist")
    response = admin_client.get(url, {"o": "-5"})
    rows = [(a.name, a.article_count) for a in response.context["cl"].result_list]
    assert rows == [("NATO", 3), ("Arab League", 1)]


def test_place_list_shows_article_counts(admin_client):
    """The place list shows the number of linked articles."""
    libya = PlaceFactory(name="Libya")
    ArticleFactory.create_batch(2, places=[libya])
    response = admin_client.get(reverse("admin:archive_place_changelist"))
    assert [(p.name, p.article_count) for p in response.context["cl"].result_list] == [("Libya", 2)]


def test_actor_autocomplete_finds_alternate_names(admin_client):
    """The actors autocomplete on the article form finds an actor by an alternate name."""
    islamic_state = ActorFactory(name="Islamic State", type=ActorType.ARMED_GROUP)
    ActorNameFactory(actor=islamic_state, name="Daesh")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "daes", "app_label": "archive", "model_name": "article", "field_name": "actors"},
    )
    assert response.json()["results"] == [{"id": str(islamic_state.pk), "text": "Islamic State"}]
    assert Actor.objects.count() == 1


def test_date_hierarchy_lists_the_years_with_articles(admin_client):
    """With no year chosen, the date hierarchy offers each year that has articles, oldest first."""
    ArticleFactory(published_start=dt.date(2017, 3, 1))
    ArticleFactory(published_start=dt.date(2015, 6, 30))
    ArticleFactory(published_start=dt.date(2017, 11, 5))
    ArticleFactory(published_start=None, published_end=None, published_precision="")
    response = admin_client.get(reverse("admin:archive_article_changelist"))
    content = response.content.decode()
    assert content.index("?published_start__year=2015") < content.index("?published_start__year=2017")
    assert "?published_start__year=2016" not in content


def test_actor_filter_offers_the_most_linked_and_the_chosen_one(admin_client):
    """The actor filter lists the most linked actors, plus the chosen one even when it is rarely linked."""
    from django.core.cache import cache

    from archive.admin.filters import MostLinkedFilter

    cache.clear()
    busy = ActorFactory.create_batch(MostLinkedFilter.limit)
    for actor in busy:
        ArticleFactory.create_batch(2, actors=[actor])
    rare = ActorFactory(name="Arab Maghreb Union")
    ArticleFactory(actors=[rare])
    url = reverse("admin:archive_article_changelist")
    spec = next(
        f
        for f in admin_client.get(url).context["cl"].filter_specs
        if getattr(f, "parameter_name", "") == "actors__id__exact"
    )
    assert {name for _, name in spec.lookup_choices} == {actor.name for actor in busy}
    response = admin_client.get(url, {"actors__id__exact": rare.pk})
    spec = next(
        f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "actors__id__exact"
    )
    assert (str(rare.pk), "Arab Maghreb Union") in spec.lookup_choices
    assert len(response.context["cl"].result_list) == 1


def test_admin_search_caps_the_listed_hits_and_says_so(admin_client, monkeypatch, django_capture_on_commit_callbacks):
    """More hits than the admin lists: the best ones are listed, with a warning giving the total."""
    from archive.admin import articles as article_admin

    monkeypatch.setattr(article_admin, "ADMIN_SEARCH_LIMIT", 2)
    with django_capture_on_commit_callbacks(execute=True):
        ArticleFactory.create_batch(3, title="Harbour strike in Genoa")
    response = admin_client.get(reverse("admin:archive_article_changelist"), {"q": "Genoa"})
    assert len(response.context["cl"].result_list) == 2
    assert [str(m) for m in response.context["messages"]] == [
        "3 articles match; only the best 2 are listed. Narrow the search to see the rest."
    ]
