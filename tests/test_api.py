"""The read-only JSON API: search with filters and facets, records, pagination and the OpenAPI schema."""

import pytest
import yaml

from tests.factories import ActorFactory, ArticleFactory
from tests.public_data import SEED_TITLE, draft

pytestmark = pytest.mark.django_db


def test_search_finds_the_article_with_facets(client, world):
    """/api/search/ answers like the site: hits with highlights, total and labelled facet counts."""
    data = client.get("/api/search/", {"q": "Daesh"}).json()
    assert data["count"] == 1
    hit = data["results"][0]
    assert hit["article"]["title"] == SEED_TITLE
    assert hit["article"]["page"] == f"http://testserver/articles/{world.article.slug}/"
    assert hit["article"]["tags"] == ["airbase", "counter-terrorism", "drones"]
    places = {item["label"]: item["count"] for item in data["facets"]["place"]}
    assert places["Italy"] == 1
    actors = {item["label"]: item["detail"] for item in data["facets"]["actor"]}
    assert actors["Islamic State"] == "Armed group"
    assert data["facets"]["year"] == [{"value": "2016", "label": "2016", "count": 1, "detail": ""}]


def test_search_applies_filters_and_never_returns_drafts(client, world, indexed):
    """Filters combine as on the site, and drafts are never returned."""
    indexed(lambda: draft(title="Draft about drones", tags=["drones"]))
    indexed(lambda: ArticleFactory(title="Drone export rules", tags=["drones"]))
    data = client.get("/api/search/", {"tag": "drones", "actor": world.islamic_state.pk}).json()
    assert [hit["article"]["title"] for hit in data["results"]] == [SEED_TITLE]
    everything = client.get("/api/search/", {"tag": "drones"}).json()
    assert sorted(hit["article"]["title"] for hit in everything["results"]) == ["Drone export rules", SEED_TITLE]


def test_search_reports_bad_parameters_as_notices(client, world):
    """Malformed parameters are listed in notices, and the search still answers."""
    response = client.get("/api/search/", {"actor": "999999", "from": "2016-13", "per_page": "100000"})
    assert response.status_code == 200
    data = response.json()
    assert data["notices"] == [
        "There is no actor with id 999999; that filter was ignored.",
        "Page size 100000 is not offered; showing 100 results per page.",
        "The “from” date was ignored: '2016-13' is not a date: there is no month 13.",
    ]
    assert data["count"] == 1 and data["per_page"] == 100


def test_search_is_paginated_with_links(client, indexed):
    """Twelve matches at ten a page: page one links to page two, and page two back."""
    indexed(lambda: [ArticleFactory(title=f"Refinery outage {n}") for n in range(12)])
    first = client.get("/api/search/", {"q": "refinery", "per_page": "10"}).json()
    assert (first["count"], first["num_pages"], len(first["results"])) == (12, 2, 10)
    assert first["next"] == "http://testserver/api/search/?q=refinery&per_page=10&page=2"
    assert first["previous"] is None
    second = client.get("/api/search/", {"q": "refinery", "per_page": "10", "page": "2"}).json()
    assert len(second["results"]) == 2
    assert second["previous"] == "http://testserver/api/search/?q=refinery&per_page=10"


def test_article_detail_by_slug_and_drafts_not_found(client, world, indexed):
    """An article's record has its text and access points; a draft's address is not found."""
    data = client.get(f"/api/articles/{world.article.slug}/").json()
    assert data["title"] == SEED_TITLE
    assert data["published"] == "2016-02-24" and data["date_precision"] == "day"
    assert "Sigonella air base" in data["body"]
    assert {"id": world.sigonella.pk, "name": "Sigonella Naval Air Station"}.items() <= data["places"][2].items()
    hidden = indexed(lambda: draft(title="Unreleased", slug="unreleased"))
    assert client.get(f"/api/articles/{hidden.slug}/").status_code == 404


def test_article_list_is_paginated_and_published_only(client, world, indexed):
    """The article list pages through published articles only."""
    indexed(lambda: [ArticleFactory(title=f"Wire item {n}") for n in range(3)])
    indexed(lambda: draft(title="Draft wire item"))
    data = client.get("/api/articles/", {"per_page": "2"}).json()
    assert data["count"] == 4
    assert len(data["results"]) == 2 and data["next"].endswith("page=2&per_page=2")


def test_actors_have_alternate_names_and_published_counts(client, world, indexed):
    """Actors list their alternate names and count only published articles; drafts actors are hidden."""
    indexed(lambda: draft(title="Draft on IS", actors=[world.islamic_state]))
    ActorFactory(name="Unverified militia", status="draft")
    data = client.get("/api/actors/", {"type": "armed_group"}).json()
    assert [(a["name"], a["alternate_names"], a["article_count"]) for a in data["results"]] == [
        ("Islamic State", ["Daesh", "ISIL", "ISIS"], 1)
    ]
    names = [actor["name"] for actor in client.get("/api/actors/").json()["results"]]
    assert "Unverified militia" not in names


def test_places_filter_by_parent(client, world):
    """Places can be listed by parent; each gives its coordinates."""
    data = client.get("/api/places/", {"parent": world.sicily.pk}).json()
    assert [(p["name"], p["latitude"], p["longitude"]) for p in data["results"]] == [
        ("Sigonella Naval Air Station", 37.4017, 14.9222)
    ]


def test_tags_with_counts(client, world):
    """Tags carry their number of published articles."""
    data = client.get("/api/tags/").json()
    assert [(t["slug"], t["article_count"]) for t in data["results"]] == [
        ("airbase", 1),
        ("counter-terrorism", 1),
        ("drones", 1),
    ]


def test_api_is_read_only(client, world):
    """Writes are refused."""
    assert client.post("/api/actors/", {"name": "New"}).status_code == 405
    assert client.delete(f"/api/articles/{world.article.slug}/").status_code == 405


def test_openapi_schema_describes_every_endpoint(client):
    """/api/schema/ is an OpenAPI 3 document covering search, articles, actors, places and tags."""
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/search/",
        "/api/articles/",
        "/api/articles/{slug}/",
        "/api/actors/",
        "/api/places/",
        "/api/tags/",
    } <= set(schema["paths"])
    parameters = {p["name"] for p in schema["paths"]["/api/search/"]["get"]["parameters"]}
    assert {"q", "actor", "place", "tag", "from", "to", "date_mode", "sort", "page", "per_page"} <= parameters


def test_api_root_lists_the_endpoints_in_json_and_html(client):
    """/api/ links to every collection; a browser gets the browsable HTML page."""
    data = client.get("/api/", HTTP_ACCEPT="application/json").json()
    assert data == {
        "search": "http://testserver/api/search/",
        "articles": "http://testserver/api/articles/",
        "actors": "http://testserver/api/actors/",
        "places": "http://testserver/api/places/",
        "tags": "http://testserver/api/tags/",
        "schema": "http://testserver/api/schema/",
    }
    response = client.get("/api/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "http://testserver/api/articles/" in response.content.decode()
