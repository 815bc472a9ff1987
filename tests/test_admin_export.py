"""Exporting articles from the admin list as CSV or JSON, for the ticked articles or everything matching."""

import csv
import datetime as dt
import io
import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from tests.admin_support import archivist_fixture, client_for  # noqa: F401
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:archive_article_changelist")


def export(client, action, articles, *, query="", select_across=False) -> str:
    data = {
        "action": action,
        "index": 0,
        "select_across": int(select_across),
        ACTION_CHECKBOX_NAME: [a.pk for a in articles],
    }
    response = client.post(f"{CHANGELIST}?{query}", data)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_csv_export_of_selected_articles(archivist):
    """The CSV has a header and one row per ticked article, with links as names joined by '; '."""
    nato, libya = ActorFactory(name="NATO"), PlaceFactory(name="Libya")
    chosen = ArticleFactory(
        title='Strikes near Sabratha, "officials say"',
        actors=[nato],
        places=[libya],
        tags=["airstrikes", "drones"],
        published_start=dt.date(2016, 2, 19),
    )
    ArticleFactory(title="Not exported")
    rows = list(csv.DictReader(io.StringIO(export(client_for(archivist), "export_csv", [chosen]))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["title"], row["actors"], row["places"], row["tags"]) == (
        'Strikes near Sabratha, "officials say"',
        "NATO",
        "Libya",
        "airstrikes; drones",
    )
    assert (row["published_start"], row["status"], row["id"]) == ("2016-02-19", "published", str(chosen.pk))


def test_csv_export_quotes_cells_a_spreadsheet_would_run(archivist):
    """A title or tag starting with a formula character is written with a leading quote, the rest unchanged."""
    chosen = ArticleFactory(title="=cmd|' /C calc'!A0", tags=["@SUM(1+1)"], byline="-1 correspondent")
    row = next(csv.DictReader(io.StringIO(export(client_for(archivist), "export_csv", [chosen]))))
    assert (row["title"], row["tags"], row["byline"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'-1 correspondent")


def test_json_export_of_every_article_matching_the_filters(archivist):
    """With "select all", the JSON holds every article the current filter matches, not only the ticked one."""
    drafts = ArticleFactory.create_batch(3, status="draft")
    ArticleFactory(status="published")
    body = export(client_for(archivist), "export_json", drafts[:1], query="status__exact=draft", select_across=True)
    records = json.loads(body)
    assert sorted(r["id"] for r in records) == sorted(a.pk for a in drafts)
    assert {r["status"] for r in records} == {"draft"}
