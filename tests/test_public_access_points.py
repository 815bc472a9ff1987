"""Access points on the public site: an actor, place or tag no published article carries is shown nowhere.

Importing a draft creates its new actors and places as published records;
until an article naming them is published, the public site, the API, the
typing suggestions and the search filters act as if they did not exist. The
admin still lists them.
"""

import json
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import pytest

from archive.models import Actor, Place
from archive.services.articles import article_set_status
from archive.services.imports import articles_import
from tests.admin_support import client_for, editor_fixture  # noqa: F401
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory
from tests.public_data import draft

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class DraftOnly:
    actor: Actor
    place: Place


@pytest.fixture
def draft_only(world, tmp_path, indexed) -> DraftOnly:
    """A draft article, imported beside the published seed, naming an actor and a place found nowhere else."""
    path = tmp_path / "leads.jsonl"
    record = {
        "title": "Unconfirmed: militia commander seen near Wadi Zamzam",
        "body": "A source says Abu Talha al-Libi met local elders near Wadi Zamzam.",
        "actors": [{"name": "Abu Talha al-Libi", "type": "person"}],
        "places": [{"name": "Wadi Zamzam", "type": "site", "country_code": "LY"}],
    }
    path.write_text(json.dumps(record) + "\n")
    indexed(lambda: articles_import(paths=[path], suggest=False))
    return DraftOnly(Actor.objects.get(name="Abu Talha al-Libi"), Place.objects.get(name="Wadi Zamzam"))


def test_draft_only_names_are_left_out_of_the_browse_pages(client, draft_only):
    """/actors/ and /places/ list the seed's access points but not the names only the draft carries."""
    assert draft_only.actor.status == draft_only.place.status == "published"
    actors = client.get("/actors/").content.decode()
    places = client.get("/places/").content.decode()
    assert "Islamic State" in actors
    assert "Abu Talha al-Libi" not in actors
    assert "Sabratha" in places
    assert "Wadi Zamzam" not in places


def test_draft_only_names_have_no_public_page(client, draft_only):
    """The actor's and the place's pages are not found, in HTML and in the API."""
    assert client.get(f"/actors/{draft_only.actor.pk}/").status_code == 404
    assert client.get(f"/places/{draft_only.place.pk}/").status_code == 404
    assert client.get(f"/api/actors/{draft_only.actor.pk}/").status_code == 404
    assert client.get(f"/api/places/{draft_only.place.pk}/").status_code == 404


def test_draft_only_names_are_left_out_of_the_api_lists(client, draft_only):
    """/api/actors/ and /api/places/ never list a record with no published article."""
    actors = [actor["name"] for actor in client.get("/api/actors/", {"per_page": 100}).json()["results"]]
    places = [place["name"] for place in client.get("/api/places/", {"per_page": 100}).json()["results"]]
    assert "Islamic State" in actors
    assert "Abu Talha al-Libi" not in actors
    assert "Libya" in places
    assert "Wadi Zamzam" not in places


def test_draft_only_names_are_not_suggested(client, draft_only):
    """Typing the names suggests neither the actor nor the place."""
    for typed in ("Abu Talha", "Wadi Z"):
        suggestions = client.get("/search/suggest", {"q": typed}).json()["suggestions"]
        assert [item for item in suggestions if item["kind"] in {"actor", "place"}] == []


def test_a_search_filter_on_a_draft_only_name_does_not_reveal_it(client, draft_only):
    """Filtering by the actor's id is ignored with the notice for an unknown id; the name appears in no page or feed."""
    response = client.get("/search/", {"actor": draft_only.actor.pk, "place": draft_only.place.pk})
    html = response.content.decode()
    assert f"There is no actor with id {draft_only.actor.pk}; that filter was ignored." in html
    assert f"There is no place with id {draft_only.place.pk}; that filter was ignored." in html
    assert "Abu Talha al-Libi" not in html
    assert "Wadi Zamzam" not in html
    feed = ET.fromstring(client.get("/search/feed/", {"actor": draft_only.actor.pk}).content)
    assert feed.find(f"{ATOM}title").text == "News archive: newest articles"


def test_publishing_the_article_makes_its_names_public(client, draft_only, editor, indexed):
    """Once the draft is published, its actor and place are listed, with pages, and counted."""
    article = draft_only.actor.articles.get()
    for status in ("in_review", "published"):
        indexed(lambda status=status: article_set_status(article=article, status=status, user=editor))
    assert client.get(f"/actors/{draft_only.actor.pk}/").status_code == 200
    assert client.get(f"/places/{draft_only.place.pk}/").status_code == 200
    actors = {actor["name"]: actor["article_count"] for actor in client.get("/api/actors/").json()["results"]}
    assert actors["Abu Talha al-Libi"] == 1


def test_a_parent_place_is_public_through_a_published_article_inside_it(client, indexed):
    """A country whose only published article is about one of its cities keeps its page, entry and count."""
    syria = PlaceFactory(name="Syria", type="country", country_code="SY")
    aleppo = PlaceFactory(name="Aleppo", parent=syria)
    PlaceFactory(name="Idlib", parent=syria)
    indexed(lambda: ArticleFactory(title="Aleppo water supply restored", places=[aleppo]))
    roots = {node.place.name: node for node in client.get("/places/").context["roots"]}
    assert roots["Syria"].count == 1
    assert [node.place.name for node in roots["Syria"].children] == ["Aleppo"]
    assert client.get(f"/places/{syria.pk}/").status_code == 200
    places = {place["name"]: place["article_count"] for place in client.get("/api/places/").json()["results"]}
    assert places == {"Aleppo": 1, "Syria": 0}
    labels = [item["label"] for item in client.get("/search/suggest", {"q": "Syr"}).json()["suggestions"]]
    assert "Syria" in labels


def test_a_tag_only_on_drafts_is_shown_nowhere(client, world, indexed):
    """A tag carried only by a draft is not in /tags/, /api/tags/, the suggestions or a search filter."""
    indexed(lambda: draft(title="Draft on a ceasefire", tags=["secret-ceasefire"]))
    assert "secret-ceasefire" not in client.get("/tags/").content.decode()
    assert "secret-ceasefire" not in [tag["slug"] for tag in client.get("/api/tags/").json()["results"]]
    assert client.get("/api/tags/secret-ceasefire/").status_code == 404
    assert client.get("/search/suggest", {"q": "secret"}).json()["suggestions"] == []
    html = client.get("/search/", {"tag": "secret-ceasefire"}).content.decode()
    assert "There is no tag “secret-ceasefire”; that filter was ignored." in html


def test_the_admin_still_lists_draft_only_names(draft_only, editor):
    """The archivist's workbench shows every record, whatever its articles' status."""
    html = client_for(editor).get("/admin/archive/actor/").content.decode()
    assert "Abu Talha al-Libi" in html


def test_an_actor_with_only_withdrawn_articles_is_hidden_again(client, indexed):
    """Withdrawing the last published article about an actor takes the actor off the public site."""
    actor = ActorFactory(name="Harakat Hazm")
    indexed(lambda: ArticleFactory(title="Hazm fighters regroup", actors=[actor], status="withdrawn"))
    assert client.get(f"/actors/{actor.pk}/").status_code == 404
    assert "Harakat Hazm" not in client.get("/actors/").content.decode()
