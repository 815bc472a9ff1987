"""Bulk actions in the article list: on the ticked articles or on everything the search and filters match."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from archive.models import Article, ArticleStatus, PendingIndexUpdate
from archive.search import get_backend, indexing
from archive.search.base import SearchQuery
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:archive_article_changelist")


def found(text: str) -> set[int]:
    query = SearchQuery(text=text, statuses=tuple(ArticleStatus.values), per_page=100, highlight=False)
    return {hit.article_id for hit in get_backend().search(query).hits}


def run_action(client, action: str, articles, *, query: str = "", select_across: bool = False, **fields):
    """Post the action from the list, then confirm the intermediate page with ``fields``."""
    data = {
        "action": action,
        "index": 0,
        "select_across": "1" if select_across else "0",
        ACTION_CHECKBOX_NAME: [a.pk for a in articles],
    }
    url = f"{CHANGELIST}?{query}" if query else CHANGELIST
    page = client.post(url, data)
    assert page.status_code == 200
    return page, client.post(url, {**data, "apply": "1", **fields}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def harbour_articles(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return [
            ArticleFactory(title=f"Harbour strike enters day {n}", body="Dockers stay out in Genoa.", tags=["labour"])
            for n in range(3)
        ]


def test_add_tags_to_selected_articles(admin_client, harbour_articles, django_capture_on_commit_callbacks):
    """Adding tags to two ticked articles tags exactly those two, reports it, and they are searchable at once."""
    chosen = harbour_articles[:2]
    with django_capture_on_commit_callbacks(execute=True):
        page, response = run_action(admin_client, "add_tags", chosen, scope="selected", tags="strikes, ports")
    assert "The 2 selected articles" in page.content.decode()
    assert messages_of(response) == ["Added the tags ports, strikes to 2 articles."]
    assert found("tag:strikes") == {a.pk for a in chosen}
    assert sorted(harbour_articles[2].tags.names()) == ["labour"]


def test_adding_a_tag_counts_only_articles_that_changed(admin_client, harbour_articles):
    """Articles that already have the tag are not counted as changed and keep their version."""
    harbour_articles[0].tags.add("Strikes")
    before = Article.objects.get(pk=harbour_articles[0].pk).version
    _, response = run_action(admin_client, "add_tags", harbour_articles, scope="selected", tags="strikes")
    assert messages_of(response) == ["Added the tags strikes to 2 articles."]
    assert Article.objects.get(pk=harbour_articles[0].pk).version == before
    assert Article.objects.get(pk=harbour_articles[1].pk).version == before + 1


def test_remove_tags_from_every_matching_article(admin_client, harbour_articles, django_capture_on_commit_callbacks):
    """With "all matching", the action reaches every article the full-text search finds, not only the ticked one."""
    with django_capture_on_commit_callbacks(execute=True):
        other = ArticleFactory(title="Wheat harvest", body="Farmers report a record crop.", tags=["labour"])
    with django_capture_on_commit_callbacks(execute=True):
        page, response = run_action(
            admin_client, "remove_tags", harbour_articles[:1], query="q=dockers", scope="matching", tags="labour"
        )
    assert "All 3 articles matching the current search and filters" in page.content.decode()
    assert messages_of(response) == ["Removed the tags labour from 3 articles."]
    assert found("tag:labour") == {other.pk}


def test_link_and_unlink_actors_and_places(admin_client, harbour_articles, django_capture_on_commit_callbacks):
    """Actors and places are linked to and unlinked from the selected articles, and the index follows."""
    union, genoa = ActorFactory(name="Dockers' Union"), PlaceFactory(name="Genoa")
    with django_capture_on_commit_callbacks(execute=True):
        _, linked = run_action(admin_client, "add_actors", harbour_articles, scope="selected", actors=[union.pk])
        _, placed = run_action(admin_client, "add_places", harbour_articles[:2], scope="selected", places=[genoa.pk])
    assert messages_of(linked)[-1] == "Linked Dockers' Union to 3 articles."
    assert messages_of(placed)[-1] == "Linked Genoa to 2 articles."
    assert found("place:Genoa") == {a.pk for a in harbour_articles[:2]}
    with django_capture_on_commit_callbacks(execute=True):
        _, unlinked = run_action(
            admin_client, "remove_actors", harbour_articles[:1], scope="selected", actors=[union.pk]
        )
        _, unplaced = run_action(admin_client, "remove_places", harbour_articles, scope="selected", places=[genoa.pk])
    assert messages_of(unlinked)[-1] == "Unlinked Dockers' Union from 1 article."
    assert messages_of(unplaced)[-1] == "Unlinked Genoa from 2 articles."
    assert found('actor:"Dockers Union"') == {a.pk for a in harbour_articles[1:]}
    assert found("place:Genoa") == set()


def test_bulk_action_queues_one_index_batch(admin_client, harbour_articles, django_capture_on_commit_callbacks):
    """A bulk action over many articles writes one outbox row per article, all in one transaction."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_action(admin_client, "add_tags", harbour_articles, scope="selected", tags="strikes")
    assert sum(isinstance(callback, indexing._ProcessQueueOnCommit) for callback in callbacks) == 1
    assert sorted(PendingIndexUpdate.objects.values_list("article_id", flat=True)) == sorted(
        a.pk for a in harbour_articles
    )


def test_bulk_form_requires_its_input(admin_client, harbour_articles):
    """Confirming without any tag re-shows the page with the field's error and changes nothing."""
    _, response = run_action(admin_client, "add_tags", harbour_articles, scope="selected", tags="")
    assert "This field is required." in response.content.decode()
    assert all(sorted(a.tags.names()) == ["labour"] for a in harbour_articles)


def test_bulk_change_writes_one_history_row_per_changed_article(admin_client, admin_user, harbour_articles):
    """Each article a bulk action changed gets one history row with its new links, tags, the user and the reason."""
    union = ActorFactory(name="Dockers' Union")
    before = [a.history.count() for a in harbour_articles]
    run_action(admin_client, "add_actors", harbour_articles[:2], scope="selected", actors=[union.pk])
    run_action(admin_client, "add_tags", harbour_articles[:1], scope="selected", tags="strikes")
    assert [a.history.count() - n for a, n in zip(harbour_articles, before, strict=True)] == [2, 1, 0]
    row = harbour_articles[0].history.latest()
    assert (row.history_user, row.history_change_reason) == (admin_user, "Added tags strikes (bulk action)")
    assert [link.actor for link in row.actors.all()] == [union]
    assert row.tag_names == "labour, strikes"
    assert row.version == Article.objects.get(pk=harbour_articles[0].pk).version


def test_search_runs_once_per_action_request(admin_client, harbour_articles, monkeypatch):
    """The action page searches the index once and warns about a capped result once, not once per admin lookup."""
    from archive.admin import articles as article_admin
    from archive.search import get_backend

    monkeypatch.setattr(article_admin, "ADMIN_SEARCH_LIMIT", 2)
    backend = get_backend()
    calls = []
    original = backend.search
    monkeypatch.setattr(backend, "search", lambda query: calls.append(query.text) or original(query))
    page, _ = run_action(admin_client, "add_tags", harbour_articles[:1], query="q=dockers", scope="selected", tags="x")
    # The intermediate page, the confirmation and the list it redirects to: one search per request.
    assert calls.count("dockers") == 3
    assert messages_of(page) == ["3 articles match; only the best 2 are listed. Narrow the search to see the rest."]
