"""A damaged index: check_index finds it and names the repair, pages say so or do without it.

Each damage is done for real to the files of a small index, as issue 13
found them: the largest postings file truncated, the stored-fields column
deleted, the table of contents emptied.
"""

import os
from pathlib import Path

import pytest

from archive.middleware import UNAVAILABLE
from archive.search import get_backend
from archive.search.base import IndexUnreadable, SearchQuery
from tests.command_support import run
from tests.factories import ArticleFactory, PlaceFactory

pytestmark = pytest.mark.django_db

REPAIR = "Run `manage.py rebuild_index` to repair the index."


def live_files() -> Path:
    return get_backend().path.resolve()


def truncate_largest_postings() -> str:
    postings = max(live_files().glob("*.pst"), key=os.path.getsize)
    os.truncate(postings, os.path.getsize(postings) // 10)
    return postings.name


def delete_stored_column() -> str:
    (stored,) = live_files().glob("*._stored.col")
    stored.unlink()
    return stored.name


def empty_toc() -> str:
    (toc,) = live_files().glob("*.toc")
    os.truncate(toc, 0)
    return toc.name


DAMAGES = [truncate_largest_postings, delete_stored_column, empty_toc]


@pytest.fixture
def archive(indexed):
    """A few published articles about oil, one in a place, in a freshly rebuilt index (one segment)."""
    place = PlaceFactory(name="Basra")
    articles = indexed(
        lambda: [
            ArticleFactory(
                title=f"Oil exports from Basra, report {n}",
                body=f"Oil tankers left the southern oil terminals, report {n}.",
                places=[place] if n == 0 else [],
            )
            for n in range(6)
        ]
    )
    assert run("rebuild_index") == (0, "Index rebuilt: 6 articles.\n")
    # A backend that has never opened the damaged files, as after a restart of the stopped server.
    get_backend.cache_clear()
    return articles


@pytest.fixture(params=DAMAGES, ids=lambda damage: damage.__name__)
def damaged(request, archive):
    """The archive's index with one kind of damage; the damaged file's name."""
    name = request.param()
    get_backend.cache_clear()
    return name


def test_check_index_names_the_damaged_file_and_the_repair(damaged):
    """check_index exits 1, naming the damaged file and the command that repairs it, without a traceback."""
    status, out = run("check_index")
    assert status == 1
    assert damaged in out
    assert out.rstrip().endswith(REPAIR)


def test_search_page_answers_503_with_a_message(client, damaged):
    """The search page says the index cannot be read, with status 503."""
    response = client.get("/search/", {"q": "oil"})
    assert response.status_code == 503
    assert response.context["message"] == UNAVAILABLE
    assert "The search index cannot be read right now" in response.content.decode()


def test_api_search_answers_503_with_a_json_error(client, damaged):
    """The API's search answers 503 with the message as a JSON error."""
    response = client.get("/api/search/", {"q": "oil"})
    assert response.status_code == 503
    assert response.json() == {"error": UNAVAILABLE}


@pytest.mark.parametrize("damaged", [truncate_largest_postings, empty_toc], indirect=True, ids=lambda d: d.__name__)
def test_typing_suggestions_answer_503_with_a_json_error(client, damaged):
    """Suggestions answer 503 with the message as a JSON error."""
    response = client.get("/search/suggest", {"q": "oi"})
    assert response.status_code == 503
    assert response.json() == {"error": UNAVAILABLE}


@pytest.mark.parametrize("damaged", [delete_stored_column], indirect=True, ids=lambda d: d.__name__)
def test_typing_suggestions_need_no_stored_fields(client, damaged):
    """Without the stored-fields column suggestions still come: they read terms and postings only."""
    response = client.get("/search/suggest", {"q": "oi"})
    assert ("word", "oil") in {(item["kind"], item["value"]) for item in response.json()["suggestions"]}


def test_article_page_leaves_out_similar_articles_and_logs_why(client, archive, damaged, caplog):
    """The article page comes from the database: it answers 200 without 'More like this', and logs the error."""
    response = client.get(archive[0].get_absolute_url())
    assert response.status_code == 200
    assert "More like this" not in response.content.decode()
    assert any(
        record.levelname == "ERROR" and "Similar articles" in record.message and "rebuild_index" in record.message
        for record in caplog.records
    )


@pytest.mark.parametrize("damaged", [delete_stored_column, empty_toc], indirect=True, ids=lambda d: d.__name__)
def test_places_page_leaves_out_the_counts(client, damaged):
    """The places page lists the places from the database, without the counts the index gives."""
    response = client.get("/places/")
    assert response.status_code == 200
    assert [(node.place.name, node.count) for node in response.context["roots"]] == [("Basra", None)]


@pytest.mark.parametrize("damaged", [truncate_largest_postings], indirect=True, ids=lambda d: d.__name__)
def test_places_page_counts_need_no_postings(client, damaged):
    """With the postings cut short the places page still counts: the counts come from the facet column."""
    assert [node.count for node in client.get("/places/").context["roots"]] == [1]


def test_search_raises_index_unreadable_naming_the_repair(damaged):
    """The backend's search raises IndexUnreadable, whose message names rebuild_index."""
    with pytest.raises(IndexUnreadable, match="rebuild_index"):
        get_backend().search(SearchQuery(text="oil"))


def test_rebuild_index_repairs_every_page(client, archive, damaged):
    """After rebuild_index, check_index is clean and every page answers 200 again, similar articles included."""
    assert run("rebuild_index") == (0, "Index rebuilt: 6 articles.\n")
    assert run("check_index") == (0, "The index matches the database.\n")
    assert client.get("/search/", {"q": "oil"}).context["page"].total == len(archive)
    assert client.get("/api/search/", {"q": "oil"}).json()["count"] == len(archive)
    assert client.get("/search/suggest", {"q": "oi"}).status_code == 200
    assert "More like this" in client.get(archive[0].get_absolute_url()).content.decode()
    assert [node.count for node in client.get("/places/").context["roots"]] == [1]


def test_sound_index_passes_the_deep_check(archive):
    """An undamaged index passes check_index --deep."""
    assert run("check_index", "--deep") == (0, "The index matches the database.\n")


def test_deep_check_finds_damage_inside_the_postings_that_the_cheap_check_misses(archive):
    """Bytes overwritten in the middle of a postings file keep its size: only --deep reads them."""
    postings = max(live_files().glob("*.pst"), key=os.path.getsize)
    with open(postings, "r+b") as file:
        file.seek(os.path.getsize(postings) // 3)
        file.write(b"\xff" * 64)
    assert run("check_index")[0] == 0
    status, out = run("check_index", "--deep")
    assert status == 1
    assert f"{postings.name}: the postings of" in out
    assert out.rstrip().endswith(REPAIR)


def test_a_column_cut_short_is_found(archive):
    """A facet column cut in half cannot decode its last document: check_index names it."""
    (facets,) = live_files().glob("*.facets.col")
    os.truncate(facets, os.path.getsize(facets) // 2)
    status, out = run("check_index")
    assert status == 1
    assert f"{facets.name}: the column cannot be read" in out
