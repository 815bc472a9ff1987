"""Reviewing suggestions in the admin: evidence highlighted, accept and reject buttons, accept above a confidence."""

import pytest
from django.urls import reverse

from archive.models import Suggestion, SuggestionKind, SuggestionStatus
from tests.extraction_support import authorities, seed_record  # noqa: F401 (fixture)
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("authorities")]


@pytest.fixture
def article(django_capture_on_commit_callbacks):
    record = seed_record()
    with django_capture_on_commit_callbacks(execute=True):
        return ArticleFactory(
            title=record.title,
            body=record.body,
            published_start=record.published.start,
            published_end=record.published.end,
            published_precision=record.published.precision,
        )


def _nato(article) -> Suggestion:
    return article.suggestions.get(actor__name="North Atlantic Treaty Organization")


def test_article_page_shows_suggestions_with_marked_evidence(admin_client, article):
    """The article's change page lists its suggestions with the matched words marked."""
    response = admin_client.get(reverse("admin:archive_article_change", args=[article.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Suggested access points" in content
    assert "<mark>Nato</mark>" in content
    assert "<mark>Noureddine Chouchane</mark>" in content
    assert reverse("admin:archive_suggestion_accept", args=[_nato(article).pk]) in content


def test_accept_button_links_the_actor(admin_client, article):
    """Accept links the actor to the article and says so."""
    nato = _nato(article)
    response = admin_client.post(reverse("admin:archive_suggestion_accept", args=[nato.pk]), follow=True)
    assert "Accepted: Actor North Atlantic Treaty Organization." in [str(m) for m in response.context["messages"]]
    assert article.actors.filter(pk=nato.actor_id).exists()


def test_reject_button_remembers(admin_client, article):
    """Reject marks the suggestion rejected and links nothing."""
    nato = _nato(article)
    response = admin_client.post(reverse("admin:archive_suggestion_reject", args=[nato.pk]), follow=True)
    assert "Rejected: Actor North Atlantic Treaty Organization." in [str(m) for m in response.context["messages"]]
    nato.refresh_from_db()
    assert nato.status == SuggestionStatus.REJECTED
    assert not article.actors.exists()


def test_decide_needs_post(admin_client, article):
    """A GET on the accept URL changes nothing."""
    response = admin_client.get(reverse("admin:archive_suggestion_accept", args=[_nato(article).pk]))
    assert response.status_code == 405
    assert not article.actors.exists()


def test_accept_above_on_the_article_page(admin_client, article):
    """The article page's 'accept all above' accepts exactly the pending suggestions at or above it."""
    expected = article.suggestions.filter(confidence__gte=0.9).count()
    response = admin_client.post(
        reverse("admin:archive_suggestion_accept_above", args=[article.pk]),
        {"suggestion_confidence": "0.9"},
        follow=True,
    )
    assert f"Accepted {expected} suggestions with confidence 0.9 or more." in [
        str(m) for m in response.context["messages"]
    ]
    assert article.suggestions.filter(status=SuggestionStatus.ACCEPTED).count() == expected
    assert not article.suggestions.filter(status=SuggestionStatus.PENDING, confidence__gte=0.9).exists()


def test_accept_above_refuses_a_bad_confidence(admin_client, article):
    """A confidence that is not between 0 and 1 is refused with a message and nothing is accepted."""
    response = admin_client.post(
        reverse("admin:archive_suggestion_accept_above", args=[article.pk]), {"suggestion_confidence": "7"}, follow=True
    )
    assert "Give a confidence between 0 and 1." in [str(m) for m in response.context["messages"]]
    assert not article.suggestions.filter(status=SuggestionStatus.ACCEPTED).exists()


def test_bulk_action_accepts_above_confidence(admin_client, article):
    """The suggestion list's bulk action accepts the selected suggestions above the confidence given."""
    selected = list(article.suggestions.filter(kind__in=[SuggestionKind.ACTOR, SuggestionKind.PLACE]))
    expected = sum(s.confidence >= 0.9 for s in selected)
    assert expected > 1
    response = admin_client.post(
        reverse("admin:archive_suggestion_changelist"),
        {
            "action": "accept_above_confidence",
            "_selected_action": [s.pk for s in selected],
            "suggestion_confidence": "0.9",
        },
        follow=True,
    )
    assert f"Accepted {expected} suggestions with confidence 0.9 or more." in [
        str(m) for m in response.context["messages"]
    ]
    assert article.actors.count() + article.places.count() == expected


def test_viewer_without_change_permission_cannot_decide(client, django_user_model, article):
    """A staff user who may not change articles is refused."""
    user = django_user_model.objects.create_user("reader", password="pw-reader-1", is_staff=True)
    client.force_login(user)
    response = client.post(reverse("admin:archive_suggestion_accept", args=[_nato(article).pk]))
    assert response.status_code == 403
    assert not article.actors.exists()
