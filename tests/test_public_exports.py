"""Taking results away: CSV and JSON exports of the whole result set, and the Atom feed."""

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

import pytest

from archive import selectors
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory
from tests.public_data import SEED_TITLE, dated_article, draft

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def read_json(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


def test_csv_export_has_the_stable_columns_and_the_article(client, world):
    """The CSV header is fixed and each access point is written with its details."""
    response = client.get("/search/export.csv", {"q": "Sigonella"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="archive-search.csv"'
    rows = read_csv(response)
    assert list(rows[0]) == [
        "id",
        "url",
        "title",
        "published",
        "date_precision",
        "source",
        "byline",
        "actors",
        "actor_types",
        "places",
        "country_codes",
        "latitude",
        "longitude",
        "tags",
    ]
    row = rows[0]
    assert row["id"] == str(world.article.pk)
    assert row["url"] == f"http://testserver/articles/{world.article.slug}/"
    assert row["title"] == SEED_TITLE
    assert (row["published"], row["date_precision"]) == ("2016-02-24", "day")
    assert row["actors"] == "Islamic State; Italy; Noureddine Chouchane; United States"
    assert row["actor_types"] == "armed_group; state; person; state"
    assert row["places"] == "Libya; Sabratha; Sigonella Naval Air Station"
    assert row["country_codes"] == "IT; LY"
    assert row["latitude"] == "26.34; 32.79; 37.4017"
    assert row["longitude"] == "17.23; 12.48; 14.9222"
    assert row["tags"] == "airbase; counter-terrorism; drones"


def test_export_covers_the_whole_result_set_not_one_page(client, indexed, monkeypatch):
    """Twenty-three matches are all exported, read from the engine in chunks of ten."""
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 10)
    indexed(lambda: [ArticleFactory(title=f"Convoy report {n}") for n in range(23)])
    rows = read_csv(client.get("/search/export.csv", {"q": "convoy", "per_page": "10", "page": "2"}))
    assert len(rows) == 23
    assert len({row["id"] for row in rows}) == 23


def test_exports_never_contain_drafts(client, world, indexed):
    """A draft matching the search is in neither the CSV nor the JSON export."""
    indexed(lambda: draft(title="Draft: Sigonella expansion", body="Sigonella"))
    assert [row["title"] for row in read_csv(client.get("/search/export.csv", {"q": "Sigonella"}))] == [SEED_TITLE]
    data = read_json(client.get("/search/export.json", {"q": "Sigonella"}))
    assert [article["title"] for article in data["articles"]] == [SEED_TITLE]


def test_json_export_keeps_lists_and_the_query(client, world):
    """The JSON export echoes the search, its total and typed values per article."""
    response = client.get("/search/export.json", {"q": "drones", "tag": "airbase", "sort": "newest"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = read_json(response)
    assert data["query"] == {"q": "drones", "tag": "airbase", "sort": "newest"}
    assert data["total"] == 1
    article = data["articles"][0]
    assert article["id"] == world.article.pk
    assert article["places"] == ["Libya", "Sabratha", "Sigonella Naval Air Station"]
    assert article["latitude"] == [26.34, 32.79, 37.4017]
    assert article["country_codes"] == ["IT", "LY"]


def test_export_of_a_month_dated_article_gives_the_partial_date(client, indexed):
    """An article dated to a month is exported as YYYY-MM with precision month."""
    indexed(
        lambda: ArticleFactory(
            title="Monthly shipping digest",
            published_start=dt.date(2016, 2, 1),
            published_end=dt.date(2016, 2, 29),
            published_precision="month",
        )
    )
    row = read_csv(client.get("/search/export.csv", {"q": "digest"}))[0]
    assert (row["published"], row["date_precision"]) == ("2016-02", "month")


def test_atom_feed_follows_the_search_newest_first(client, indexed):
    """The feed for a search lists its published matches, newest first, with the search in its title."""

    def make():
        dated_article(dt.date(2015, 1, 5), title="Pipeline deal signed")
        dated_article(dt.date(2017, 6, 1), title="Pipeline deal extended")
        draft(title="Pipeline deal draft")

    indexed(make)
    response = client.get("/search/feed/", {"q": "pipeline"})
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.find(f"{ATOM}title").text == "News archive: “pipeline”"
    assert [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")] == [
        "Pipeline deal extended",
        "Pipeline deal signed",
    ]
    assert feed.find(f"{ATOM}link").get("href") == "http://testserver/search/?q=pipeline"


def test_atom_feed_names_the_filters(client, world):
    """A filtered feed says which filters it follows, and carries tags as categories."""
    feed = ET.fromstring(client.get("/search/feed/", {"actor": world.islamic_state.pk}).content)
    assert feed.find(f"{ATOM}title").text == "News archive: actor Islamic State"
    entry = feed.find(f"{ATOM}entry")
    assert sorted(c.get("term") for c in entry.findall(f"{ATOM}category")) == ["airbase", "counter-terrorism", "drones"]
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Staff Writer"


def test_atom_feed_summary_is_plain_text_without_markup(client, indexed):
    """An entry's summary is type="text" with the article's tags stripped: no markup reaches a reader."""
    indexed(
        lambda: ArticleFactory(
            title="Pipeline sabotage claimed",
            body='Officials <b>confirmed</b> the attack.<script>alert("feed")</script> <img src=x onerror=alert(1)>',
        )
    )
    feed = ET.fromstring(client.get("/search/feed/", {"q": "pipeline"}).content)
    summary = feed.find(f"{ATOM}entry/{ATOM}summary")
    assert summary.get("type") == "text"
    assert summary.text == 'Officials confirmed the attack.alert("feed")'
    assert list(summary) == []


def test_search_page_links_to_exports_and_feed_with_its_parameters(client, world):
    """The result header offers CSV, JSON and Atom for exactly this search."""
    html = client.get("/search/", {"q": "drones", "tag": "airbase"}).content.decode()
    assert 'href="/search/export.csv?q=drones&amp;tag=airbase"' in html
    assert 'href="/search/export.json?q=drones&amp;tag=airbase"' in html
    assert 'href="/search/feed/?q=drones&amp;tag=airbase"' in html


def test_export_leaves_out_draft_access_points(client, world):
    """An actor or place still in draft is not named in the export."""
    world.chouchane.status = "draft"
    world.chouchane.save()
    world.sabratha.status = "draft"
    world.sabratha.save()
    row = read_csv(client.get("/search/export.csv", {"q": "Sigonella"}))[0]
    assert row["actors"] == "Islamic State; Italy; United States"
    assert row["places"] == "Libya; Sigonella Naval Air Station"
    assert row["latitude"] == "26.34; 37.4017"


def test_csv_export_quotes_cells_a_spreadsheet_would_run(client, indexed):
    """Formula-like titles, bylines and names get a leading quote; a negative longitude stays a number."""
    indexed(
        lambda: ArticleFactory(
            title='=HYPERLINK("http://attacker.example/","Convoy report")',
            byline="=cmd|' /C calc'!A0",
            actors=[ActorFactory(name="-2+3+cmd|' /C calc'!A0")],
            places=[PlaceFactory(name="Convoy camp", latitude=14.5, longitude=-17.4)],
        )
    )
    row = read_csv(client.get("/search/export.csv", {"q": "convoy"}))[0]
    assert row["title"] == """'=HYPERLINK("http://attacker.example/","Convoy report")"""
    assert row["byline"] == "'=cmd|' /C calc'!A0"
    assert row["actors"] == "'-2+3+cmd|' /C calc'!A0"
    assert (row["latitude"], row["longitude"]) == ("14.5", "-17.4")
