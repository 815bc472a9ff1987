"""Change history in the admin: who changed which field when, for articles and access points, and reverting."""

import pytest
from django.test import TestCase
from django.urls import reverse

from archive.models import Article
from tests.admin_support import (  # noqa: F401
    archivist_fixture,
    authority_form_data,
    change_form_data,
    client_for,
    editor_fixture,
    found,
)
from tests.factories import ActorFactory, ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return ArticleFactory(title="Drones to fly from Sigonella", status="draft", tags=["drones"])


def save(client, article, **changes):
    article.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("admin:archive_article_change", args=[article.pk]), change_form_data(article, **changes)
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()


def test_one_admin_save_is_one_history_row_with_fields_links_and_tags(archivist, article):
    """A save changing the title, an actor and the tags writes one row naming the user and what changed."""
    nato = ActorFactory(name="NATO")
    before = article.history.count()
    save(client_for(archivist), article, title="Italy allows US drones", actors=[nato.pk], tags="drones, airbase")
    assert article.history.count() == before + 1
    row = article.history.latest()
    assert row.history_user == archivist
    assert row.history_change_reason == "Changed Title, Actors and Tags."
    assert row.tag_names == "airbase, drones"
    assert [link.actor for link in row.actors.all()] == [nato]
    delta = row.diff_against(row.prev_record, included_fields=["title"])
    assert [(c.old, c.new) for c in delta.changes] == [("Drones to fly from Sigonella", "Italy allows US drones")]


def test_history_page_shows_each_change_and_its_author(archivist, editor, article):
    """The article's history page lists the archivist's edit and the editor's status change with their names."""
    save(client_for(archivist), article, tags="drones, airbase", status="in_review")
    save(client_for(editor), article, status="published")
    response = client_for(editor).get(reverse("admin:archive_article_history", args=[article.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "alma" in content and "eddie" in content
    assert "Changed Status and Tags." in content
    assert "Changed Status." in content


def test_revert_restores_fields_links_and_tags(archivist, article, django_capture_on_commit_callbacks):
    """Reverting to an earlier row restores the title, actors and tags, and the index follows."""
    nato = ActorFactory(name="NATO")
    client = client_for(archivist)
    save(client, article, title="First title", actors=[nato.pk], tags="drones")
    kept = article.history.latest()
    save(client, article, title="Second title", actors=[], tags="airbase")

    url = reverse("admin:archive_article_simple_history", args=[article.pk, kept.history_id])
    form = client.get(url).context["adminform"].form
    data = change_form_data(article, **{name: form.initial.get(name) for name in ("title", "actors", "tags")})
    data["version"] = form.initial["version"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.title == "First title"
    assert list(article.actors.all()) == [nato]
    assert list(article.tags.names()) == ["drones"]
    assert found('actor:"NATO"') == {article.pk}


def test_revert_cannot_bypass_the_workflow(archivist, editor, article):
    """Reverting a published article to a row where it was a draft is refused like any other status change."""
    draft_row = article.history.latest()
    save(client_for(archivist), article, status="in_review")
    save(client_for(editor), article, status="published")
    url = reverse("admin:archive_article_simple_history", args=[article.pk, draft_row.history_id])
    data = change_form_data(article, status="draft")
    response = client_for(editor).post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == ["An article cannot move from Published to Draft."]
    assert Article.objects.get(pk=article.pk).status == "published"


def test_actor_rename_and_alternate_name_are_in_history(archivist):
    """Renaming an actor keeps the old name in its history, with who renamed it."""
    actor = ActorFactory(name="ISIL")
    data = authority_form_data(
        actor, ["Daesh"], "alternate_names", name="Islamic State", type=actor.type, status=actor.status
    )
    data.update(description="", external_id="")
    response = client_for(archivist).post(reverse("admin:archive_actor_change", args=[actor.pk]), data)
    assert response.status_code == 302
    latest = actor.history.latest()
    assert (latest.prev_record.name, latest.name, latest.history_user) == ("ISIL", "Islamic State", archivist)
    name_row = actor.alternate_names.get().history.latest()
    assert (name_row.name, name_row.history_type, name_row.history_user) == ("Daesh", "+", archivist)


def test_actor_history_page_lists_alternate_name_changes(archivist, editor):
    """The actor's history page shows the alternate names added, with who added them."""
    actor = ActorFactory(name="Islamic State")
    data = authority_form_data(
        actor, ["Daesh"], "alternate_names", name=actor.name, type=actor.type, status="published"
    )
    data.update(description="", external_id="")
    client_for(editor).post(reverse("admin:archive_actor_change", args=[actor.pk]), data)
    response = client_for(archivist).get(reverse("admin:archive_actor_history", args=[actor.pk]))
    rows = list(response.context["name_history"])
    assert [(row.name, row.history_type, row.history_user.username) for row in rows] == [("Daesh", "+", "eddie")]
    assert "Daesh" in response.content.decode()
