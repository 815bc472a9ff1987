"""Optimistic locking: a save from a change form opened before someone else's save is refused, and nothing is lost."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from archive.models import Article
from tests.admin_support import archivist_fixture, change_form_data, client_for, editor_fixture  # noqa: F401
from tests.factories import ActorFactory, ArticleFactory

pytestmark = pytest.mark.django_db

STALE = "Someone else saved this article after you opened it, so your changes were not saved."


@pytest.fixture
def article():
    return ArticleFactory(title="Drones to fly from Sigonella", status="draft", tags=["drones"])


def opened_form(client, article) -> dict:
    """The change form's data as a browser has it after opening the page."""
    response = client.get(reverse("admin:archive_article_change", args=[article.pk]))
    form = response.context["adminform"].form
    assert form.initial["version"] == article.version
    return change_form_data(article, version=form.initial["version"])


def test_later_save_from_a_stale_form_is_refused(archivist, editor, article):
    """The second of two people editing at once gets the message naming the field the first one changed."""
    first, second = client_for(archivist), client_for(editor)
    first_data, second_data = opened_form(first, article), opened_form(second, article)

    first_data["title"] = "Italy allows US drones at Sigonella"
    assert first.post(reverse("admin:archive_article_change", args=[article.pk]), first_data).status_code == 302

    second_data["body"] = "A longer account of the agreement."
    response = second.post(reverse("admin:archive_article_change", args=[article.pk]), second_data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        f"{STALE} They are still in the form below. Changed since you opened it: "
        "title (“Drones to fly from Sigonella” → “Italy allows US drones at Sigonella”). "
        "Copy what you need, then reload the article."
    ]
    stored = Article.objects.get(pk=article.pk)
    assert stored.title == "Italy allows US drones at Sigonella"
    assert stored.body == article.body
    assert response.context["adminform"].form.data["body"] == "A longer account of the agreement."


def test_bulk_change_makes_open_forms_stale(archivist, editor, article):
    """A bulk action raises the version, so a form opened before it cannot silently undo its links."""
    client = client_for(archivist)
    data = opened_form(client, article)
    nato = ActorFactory(name="NATO")
    client_for(editor).post(
        reverse("admin:archive_article_changelist"),
        {
            "action": "add_actors",
            "index": 0,
            ACTION_CHECKBOX_NAME: [article.pk],
            "apply": "1",
            "scope": "selected",
            "actors": [nato.pk],
        },
    )
    response = client.post(reverse("admin:archive_article_change", args=[article.pk]), data)
    assert response.status_code == 200
    message = response.context["adminform"].form.non_field_errors()[0]
    assert message.startswith(STALE)
    assert "actors (“” → “NATO”)" in message
    assert list(Article.objects.get(pk=article.pk).actors.all()) == [nato]


def test_save_from_a_fresh_form_raises_the_version(archivist, article):
    """A save from an up-to-date form is accepted and raises the version by one."""
    client = client_for(archivist)
    data = opened_form(client, article)
    data["title"] = "Sigonella agreement"
    assert client.post(reverse("admin:archive_article_change", args=[article.pk]), data).status_code == 302
    assert Article.objects.get(pk=article.pk).version == article.version + 1
