"""Browsing the archive: indexes of actors, places, tags and time; actor, place and article pages."""

import datetime as dt

import pytest

from tests.factories import ActorFactory, ArticleFactory, PlaceFactory
from tests.public_data import SEED_TITLE, dated_article, draft, month_article

pytestmark = pytest.mark.django_db


def test_actor_index_groups_by_type_and_counts_only_published_articles(client, world, indexed):
    """A draft linked to an actor does not raise its count; draft actors are not listed."""
    indexed(lambda: draft(title="Draft on Islamic State", actors=[world.islamic_state]))
    ActorFactory(name="Unverified militia", status="draft")
    response = client.get("/actors/")
    groups = {label: {a.name: a.article_count for a in actors} for label, actors in response.context["groups"]}
    assert groups["Armed group"] == {"Islamic State": 1}
    assert groups["State or government"] == {"Italy": 1, "United States": 1}
    assert "Unverified militia" not in response.content.decode()


def test_place_index_is_a_tree_with_rolled_up_counts(client, world, indexed):
    """Italy contains Sicily contains Sigonella; Italy counts articles about any of them."""
    indexed(lambda: ArticleFactory(title="Rome budget vote", places=[world.italy]))
    indexed(lambda: draft(title="Draft on Sicily", places=[world.sicily]))
    roots = {node.place.name: node for node in client.get("/places/").context["roots"]}
    italy = roots["Italy"]
    assert italy.count == 2
    sicily = italy.children[0]
    assert (sicily.place.name, sicily.count) == ("Sicily", 1)
    assert [(n.place.name, n.count) for n in sicily.children] == [("Sigonella Naval Air Station", 1)]
    assert [(n.place.name, n.count) for n in roots["Libya"].children] == [("Sabratha", 1)]


def test_place_index_lifts_children_of_a_draft_place(client, world):
    """A draft place is hidden and its published children move up to the nearest published ancestor."""
    world.sicily.status = "draft"
    world.sicily.save()
    html = client.get("/places/").content.decode()
    roots = {node.place.name: node for node in client.get("/places/").context["roots"]}
    assert [n.place.name for n in roots["Italy"].children] == ["Sigonella Naval Air Station"]
    assert ">Sicily<" not in html


def test_tag_index_counts_published_articles(client, world, indexed):
    """Tags carry the number of published articles; tags only on drafts are absent."""
    indexed(lambda: ArticleFactory(title="Drone rules", tags=["drones"]))
    indexed(lambda: draft(title="Secret draft", tags=["drones", "embargoed"]))
    tags = {tag.name: tag.article_count for tag in client.get("/tags/").context["tags"]}
    assert tags == {"airbase": 1, "counter-terrorism": 1, "drones": 2}


def test_time_index_counts_years_and_months(client, indexed):
    """Years with counts, and months where the date is known to the month."""

    def make():
        dated_article(dt.date(2016, 2, 24))
        month_article(2016, 3, 31)
        ArticleFactory(
            published_start=dt.date(2016, 1, 1), published_end=dt.date(2016, 12, 31), published_precision="year"
        )
        dated_article(dt.date(2015, 7, 1))
        draft(published_start=dt.date(2014, 1, 1), published_end=dt.date(2014, 1, 1))

    indexed(make)
    response = client.get("/time/")
    years = [(y.year, y.count, [(m.month, c) for m, c in y.months]) for y in response.context["years"]]
    assert years == [(2016, 3, [(2, 1), (3, 1)]), (2015, 1, [(7, 1)])]
    assert 'href="/search/?from=2016-02&amp;to=2016-02"' in response.content.decode()


def test_actor_page_shows_names_type_companions_and_articles(client, world, indexed):
    """The actor page has alternate names, type, co-occurring actors and places with counts, and articles."""
    indexed(
        lambda: ArticleFactory(title="Sabratha raid aftermath", actors=[world.islamic_state], places=[world.sabratha])
    )
    response = client.get(f"/actors/{world.islamic_state.pk}/")
    html = response.content.decode()
    assert "<h1>Islamic State</h1>" in html
    assert "Armed group" in html
    for alias in ("Daesh", "ISIL", "ISIS"):
        assert f'<span class="alias">{alias}</span>' in html
    assert [(item.label, item.count) for item in response.context["co_places"]][:2] == [("Libya", 2), ("Sabratha", 2)]
    assert ("United States", 1) in [(item.label, item.count) for item in response.context["co_actors"]]
    assert "Islamic State" not in [item.label for item in response.context["co_actors"]]
    assert [row.article.title for row in response.context["rows"]] == ["Sabratha raid aftermath", SEED_TITLE]
    assert len(response.context["timeline"]) == 1


def test_draft_actor_and_place_pages_are_not_found(client):
    """Access points still in draft have no public page."""
    actor = ActorFactory(name="Unverified militia", status="draft")
    place = PlaceFactory(name="Undisclosed site", status="draft")
    assert client.get(f"/actors/{actor.pk}/").status_code == 404
    assert client.get(f"/places/{place.pk}/").status_code == 404


def test_place_page_shows_parent_children_and_counts(client, world):
    """Sicily's page shows Italy above it and Sigonella inside it with its count."""
    response = client.get(f"/places/{world.sicily.pk}/")
    html = response.content.decode()
    assert "<h1>Sicily</h1>" in html
    assert f'<a href="/places/{world.italy.pk}/">Italy</a>' in html
    assert [(child.name, count) for child, count in response.context["children"]] == [
        ("Sigonella Naval Air Station", 1)
    ]
    assert [row.article.title for row in response.context["rows"]] == [SEED_TITLE]
    assert "Libya" in [item.label for item in response.context["co_places"]]
    assert "Italy" not in [item.label for item in response.context["co_places"]]


def test_article_page_has_a_citation_line(client, world):
    """The citation names author, title, source, date and the page's address."""
    html = client.get(world.article.get_absolute_url()).content.decode()
    expected = (
        f"Staff Writer. “{SEED_TITLE}.” International Business Times, 24 February 2016. "
        f"http://testserver/articles/{world.article.slug}/"
    )
    assert expected in html


def test_article_page_offers_more_like_this_from_published_articles_only(client, world, indexed):
    """Similar published articles are listed; a similar draft is not."""
    indexed(
        lambda: ArticleFactory(
            title="US drones at Sigonella cleared for Libya missions",
            body="Armed drones may take off from Sigonella in Sicily for missions over Libya, officials agreed.",
        )
    )
    indexed(lambda: draft(title="Draft: drones at Sigonella", body="Armed drones Sigonella Sicily Libya missions."))
    response = client.get(world.article.get_absolute_url())
    similar = [article.title for article in response.context["similar"]]
    assert similar == ["US drones at Sigonella cleared for Libya missions"]
    assert "More like this" in response.content.decode()
