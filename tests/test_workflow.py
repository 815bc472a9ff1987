"""The review workflow: draft → in review → published → withdrawn, enforced by the Archivist and Editor groups."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from archive.models import Article, ArticleStatus
from archive.services.articles import TransitionNotAllowed, article_set_status
from tests.admin_support import archivist_fixture, change_form_data, client_for, editor_fixture, found  # noqa: F401
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def change_url(article):
    return reverse("admin:archive_article_change", args=[article.pk])


def post_status(user, article, status):
    return client_for(user).post(change_url(article), change_form_data(article, status=status))


def form_errors(response) -> list[str]:
    return [str(e) for errors in response.context["adminform"].form.errors.values() for e in errors]


@pytest.fixture
def draft(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return ArticleFactory(
            title="Sabratha raid kills dozens", body="Air strikes hit a training camp near Sabratha.", status="draft"
        )


def test_groups_exist_with_their_permissions(archivist, editor):
    """The data migration creates Archivist (submit, no publish) and Editor (also publish and withdraw)."""
    assert archivist.has_perm("archive.submit_article") and archivist.has_perm("archive.import_articles")
    assert not archivist.has_perm("archive.publish_article")
    assert not archivist.has_perm("archive.withdraw_article")
    assert not archivist.has_perm("archive.delete_article")
    assert editor.has_perm("archive.publish_article") and editor.has_perm("archive.withdraw_article")
    assert editor.has_perm("archive.submit_article")


def test_archivist_submits_a_draft_for_review(archivist, draft):
    """An archivist moves a draft to In review through the change form."""
    response = post_status(archivist, draft, ArticleStatus.IN_REVIEW)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ArticleStatus.IN_REVIEW
    assert draft.updated_by == archivist


def test_archivist_cannot_publish(archivist, draft):
    """An archivist publishing an article in review gets a clear refusal and the status stays."""
    Article.objects.filter(pk=draft.pk).update(status=ArticleStatus.IN_REVIEW)
    draft.refresh_from_db()
    response = post_status(archivist, draft, ArticleStatus.PUBLISHED)
    assert response.status_code == 200
    assert form_errors(response) == ["You do not have permission to move an article from In review to Published."]
    assert Article.objects.get(pk=draft.pk).status == ArticleStatus.IN_REVIEW


def test_archivist_sees_only_the_statuses_they_may_choose(archivist, draft):
    """The status menu of a draft offers an archivist Draft and In review only."""
    response = client_for(archivist).get(change_url(draft))
    choices = [value for value, _ in response.context["adminform"].form.fields["status"].widget.choices]
    assert choices == ["draft", "in_review"]


def test_editor_publishes_an_article_in_review(editor, draft, django_capture_on_commit_callbacks):
    """An editor publishes an article in review, and it is searchable among published articles at once."""
    Article.objects.filter(pk=draft.pk).update(status=ArticleStatus.IN_REVIEW)
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_status(editor, draft, ArticleStatus.PUBLISHED)
    assert response.status_code == 302
    assert Article.objects.get(pk=draft.pk).status == ArticleStatus.PUBLISHED
    assert found("Sabratha", statuses=("published",)) == {draft.pk}


def test_a_draft_cannot_skip_review(editor, draft):
    """Even an editor cannot publish a draft that was never submitted for review."""
    response = post_status(editor, draft, ArticleStatus.PUBLISHED)
    assert form_errors(response) == ["An article cannot move from Draft to Published."]
    assert Article.objects.get(pk=draft.pk).status == ArticleStatus.DRAFT


def test_editor_withdraws_a_published_article(editor, django_capture_on_commit_callbacks):
    """An editor withdraws a published article and it leaves the published search."""
    with django_capture_on_commit_callbacks(execute=True):
        article = ArticleFactory(title="Sabratha raid kills dozens", status=ArticleStatus.PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_status(editor, article, ArticleStatus.WITHDRAWN)
    assert response.status_code == 302
    assert found("Sabratha", statuses=("published",)) == set()


def test_archivist_cannot_withdraw(archivist):
    """Withdrawing is an editor's decision; the service refuses an archivist with the reason."""
    article = ArticleFactory(status=ArticleStatus.PUBLISHED)
    with pytest.raises(TransitionNotAllowed, match="You do not have permission to move an article from Published"):
        article_set_status(article=article, status=ArticleStatus.WITHDRAWN, user=archivist)
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.PUBLISHED


def test_archivist_cannot_delete_articles(archivist, draft):
    """Deleting an article needs the Editor group."""
    response = client_for(archivist).get(reverse("admin:archive_article_delete", args=[draft.pk]))
    assert response.status_code == 403


def test_bulk_status_reports_refusals_per_reason(editor):
    """Setting Published on a mix publishes what was in review and says why the drafts stayed."""
    in_review = ArticleFactory.create_batch(2, status=ArticleStatus.IN_REVIEW)
    drafts = ArticleFactory.create_batch(3, status=ArticleStatus.DRAFT)
    client = client_for(editor)
    url = reverse("admin:archive_article_changelist")
    data = {"action": "set_status", "index": 0, ACTION_CHECKBOX_NAME: [a.pk for a in [*in_review, *drafts]]}
    response = client.post(url, {**data, "apply": "1", "scope": "selected", "status": "published"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "3 articles left unchanged: An article cannot move from Draft to Published.",
        "Set the status to Published on 2 articles.",
    ]
    assert set(Article.objects.filter(status="published").values_list("pk", flat=True)) == {a.pk for a in in_review}


def test_archivist_bulk_publish_is_refused(archivist):
    """An archivist's bulk publish changes nothing and says they lack the permission."""
    articles = ArticleFactory.create_batch(2, status=ArticleStatus.IN_REVIEW)
    data = {
        "action": "set_status",
        "index": 0,
        ACTION_CHECKBOX_NAME: [a.pk for a in articles],
        "apply": "1",
        "scope": "selected",
        "status": "published",
    }
    response = client_for(archivist).post(reverse("admin:archive_article_changelist"), data, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "2 articles left unchanged: You do not have permission to move an article from In review to Published.",
        "Set the status to Published on 0 articles.",
    ]
    assert not Article.objects.filter(status="published").exists()


def test_archivist_sees_the_workbench_sections(archivist):
    """An archivist's admin home lists articles, actors, places, tags and the admin imports."""
    response = client_for(archivist).get(reverse("admin:index"))
    models = {model["object_name"] for app in response.context["app_list"] for model in app["models"]}
    assert {"Article", "Actor", "Place", "Tag", "ImportJob"} <= models


def test_bulk_status_change_is_recorded_and_searchable(editor, django_capture_on_commit_callbacks):
    """A bulk publish raises each version, writes a history row naming the editor, and reaches the index."""
    with django_capture_on_commit_callbacks(execute=True):
        articles = ArticleFactory.create_batch(2, title="Sabratha raid kills dozens", status=ArticleStatus.IN_REVIEW)
    data = {
        "action": "set_status",
        "index": 0,
        ACTION_CHECKBOX_NAME: [a.pk for a in articles],
        "apply": "1",
        "scope": "selected",
        "status": "published",
    }
    with django_capture_on_commit_callbacks(execute=True):
        client_for(editor).post(reverse("admin:archive_article_changelist"), data)
    for article in articles:
        stored = Article.objects.get(pk=article.pk)
        row = stored.history.latest()
        assert (stored.version, row.status, row.history_user) == (article.version + 1, "published", editor)
        assert row.history_change_reason == "Status set to Published (bulk action)"
    assert found("Sabratha", statuses=("published",)) == {a.pk for a in articles}
