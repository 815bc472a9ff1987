"""Storing, accepting and rejecting suggestions; suggesting again when the text changes; the commands."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from archive.extraction.receivers import SuggestOnCommit, schedule_suggestions
from archive.models import Actor, ActorType, Article, Place, PlaceType, Suggestion, SuggestionKind, SuggestionStatus
from archive.services.suggestions import (
    article_suggest,
    suggestion_accept,
    suggestion_reject,
    suggestions_accept_above,
)
from tests.extraction_support import authorities, seed_record  # noqa: F401 (fixture)
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("authorities")]


@pytest.fixture
def seed_article(django_capture_on_commit_callbacks):
    record = seed_record()
    with django_capture_on_commit_callbacks(execute=True):
        article = ArticleFactory(
            title=record.title,
            body=record.body,
            published_start=record.published.start,
            published_end=record.published.end,
            published_precision=record.published.precision,
        )
    return article


def test_suggestions_are_made_when_an_article_is_saved(seed_article):
    """Creating an article stores its suggestions once the transaction commits."""
    kinds = set(seed_article.suggestions.values_list("kind", flat=True))
    assert {SuggestionKind.ACTOR, SuggestionKind.PLACE, SuggestionKind.DATE, SuggestionKind.NEW_PERSON} <= kinds
    nato = seed_article.suggestions.get(actor__name="North Atlantic Treaty Organization")
    assert nato.evidence == [
        {"field": "body", "start": nato.evidence[0]["start"], "end": nato.evidence[0]["end"], "text": "Nato"}
    ]
    assert seed_article.body[nato.evidence[0]["start"] : nato.evidence[0]["end"]] == "Nato"


def test_editing_the_text_suggests_again(seed_article, django_capture_on_commit_callbacks):
    """A new paragraph with German officials leads to a Germany suggestion after the save commits."""
    assert not seed_article.suggestions.filter(place__name="Germany").exists()
    seed_article.body += "\n\nGermany was not consulted, German officials said."
    with django_capture_on_commit_callbacks(execute=True):
        seed_article.save()
    assert seed_article.suggestions.filter(place__name="Germany", status=SuggestionStatus.PENDING).exists()


def test_saving_without_a_text_change_leaves_suggestions_alone(seed_article, django_capture_on_commit_callbacks):
    """Changing only the status runs no extraction: the pending rows are the same rows."""
    before = set(seed_article.suggestions.values_list("pk", flat=True))
    seed_article.status = "in_review"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        seed_article.save()
    assert set(seed_article.suggestions.values_list("pk", flat=True)) == before
    assert not [c for c in callbacks if isinstance(c, SuggestOnCommit)]


def test_rejected_suggestion_does_not_come_back(seed_article):
    """A rejected suggestion stays rejected when the article is read again."""
    italy = seed_article.suggestions.get(kind=SuggestionKind.ACTOR, actor__name="Italy")
    suggestion_reject(suggestion=italy)
    article_suggest(article=seed_article)
    rows = seed_article.suggestions.filter(kind=SuggestionKind.ACTOR, actor__name="Italy")
    assert [row.status for row in rows] == [SuggestionStatus.REJECTED]


def test_accepting_links_the_actor(seed_article, admin_user):
    """Accepting an actor suggestion links the actor to the article and records who decided."""
    nato = seed_article.suggestions.get(actor__name="North Atlantic Treaty Organization")
    suggestion_accept(suggestion=nato, user=admin_user)
    nato.refresh_from_db()
    assert nato.status == SuggestionStatus.ACCEPTED
    assert nato.decided_by == admin_user
    assert seed_article.actors.filter(name="North Atlantic Treaty Organization").exists()


def test_accepting_raises_the_version_and_says_why_in_the_history(seed_article, admin_user):
    """A change form opened before the accept can no longer save over it, and the history names the suggestion."""
    version = Article.objects.get(pk=seed_article.pk).version
    nato = seed_article.suggestions.get(actor__name="North Atlantic Treaty Organization")
    suggestion_accept(suggestion=nato, user=admin_user)

    article = Article.objects.get(pk=seed_article.pk)
    latest = article.history.latest()
    assert article.version == version + 1
    assert article.updated_by == admin_user
    assert latest.history_user == admin_user
    assert latest.history_change_reason == "Accepted the suggestion Actor: North Atlantic Treaty Organization"


def test_accepted_actor_is_not_suggested_again(seed_article):
    """Once linked, an actor is no longer proposed as a pending suggestion."""
    nato = seed_article.suggestions.get(actor__name="North Atlantic Treaty Organization")
    suggestion_accept(suggestion=nato)
    article_suggest(article=seed_article)
    statuses = list(seed_article.suggestions.filter(actor=nato.actor).values_list("status", flat=True))
    assert statuses == [SuggestionStatus.ACCEPTED]


def test_accepting_a_new_person_creates_the_actor(seed_article):
    """Accepting the candidate 'Noureddine Chouchane' creates a person record and links it."""
    candidate = seed_article.suggestions.get(kind=SuggestionKind.NEW_PERSON, candidate_name="Noureddine Chouchane")
    suggestion_accept(suggestion=candidate)
    person = Actor.objects.get(name="Noureddine Chouchane")
    assert person.type == ActorType.PERSON
    assert seed_article.actors.filter(pk=person.pk).exists()


def test_accepting_a_new_place_creates_the_place(seed_article):
    """Accepting the candidate 'Sigonella' (before 'naval air station') creates a site and links it."""
    candidate = seed_article.suggestions.get(kind=SuggestionKind.NEW_PLACE, candidate_name="Sigonella")
    suggestion_accept(suggestion=candidate)
    sigonella = Place.objects.get(name="Sigonella")
    assert sigonella.type == PlaceType.SITE
    assert seed_article.places.filter(pk=sigonella.pk).exists()


def test_accept_all_above_a_confidence(seed_article):
    """Only pending suggestions at or above the threshold are accepted in bulk."""
    pending = seed_article.suggestions.filter(status=SuggestionStatus.PENDING)
    above = pending.filter(confidence__gte=0.9).count()
    below = pending.filter(confidence__lt=0.9).count()
    assert above and below
    assert suggestions_accept_above(suggestions=seed_article.suggestions.all(), threshold=0.9) == above
    assert seed_article.suggestions.filter(status=SuggestionStatus.PENDING).count() == below


def test_accept_above_refuses_a_confidence_out_of_range(seed_article):
    """A threshold above 1 is refused with a clear message and nothing is accepted."""
    with pytest.raises(ValueError, match=r"^The confidence must be between 0 and 1, not 1.5.$"):
        suggestions_accept_above(suggestions=seed_article.suggestions.all(), threshold=1.5)
    assert not seed_article.suggestions.filter(status=SuggestionStatus.ACCEPTED).exists()


def test_suggest_command_reruns_for_chosen_articles(seed_article):
    """The command re-reads the given articles and reports what it did."""
    Suggestion.objects.filter(article=seed_article).delete()
    out = StringIO()
    call_command("suggest_access_points", str(seed_article.pk), stdout=out)
    created = seed_article.suggestions.count()
    assert created
    assert out.getvalue().strip() == f"Suggestions for 1 articles: {created} new, 0 updated, 0 withdrawn."


def test_suggest_command_names_a_missing_article():
    """An id that is not an article gives one clear error."""
    with pytest.raises(CommandError, match=r"^No article with id 987654\.$"):
        call_command("suggest_access_points", "987654", stdout=StringIO())


def test_the_articles_own_published_date_is_not_proposed(seed_article):
    """The date the article already carries is no question: only the other dates it names are proposed."""
    dates = set(seed_article.suggestions.filter(kind=SuggestionKind.DATE).values_list("date_start", "date_end"))
    assert (dt.date(2016, 2, 24), dt.date(2016, 2, 24)) not in dates
    assert (dt.date(2016, 2, 22), dt.date(2016, 2, 22)) in dates


def test_a_pending_date_the_article_is_then_given_is_no_longer_listed(seed_article):
    """An archivist who dates the article by hand after the suggestions were made sees that date no more."""
    suggestion = seed_article.suggestions.get(kind=SuggestionKind.DATE, date_start=dt.date(2016, 2, 22))
    Article.objects.filter(pk=seed_article.pk).update(
        published_start=dt.date(2016, 2, 22), published_end=dt.date(2016, 2, 22)
    )
    assert suggestion not in Suggestion.objects.pending()


def test_gazetteer_reload_changes_nothing():
    """Running load_gazetteer again for the same countries creates and updates nothing."""
    out = StringIO()
    call_command("load_gazetteer", "--countries", "IT,LY", "--min-population", "50000", stdout=out)
    assert out.getvalue().strip() == "Gazetteer: 0 places created, 0 updated, 0 alternate names added."


def test_gazetteer_refuses_a_tiny_threshold():
    """A population threshold below the gazetteer's smallest cities is refused."""
    with pytest.raises(CommandError, match=r"^--min-population must be at least 1000, not 10\.$"):
        call_command("load_gazetteer", "--min-population", "10", stdout=StringIO())


def test_seed_actors_reload_changes_nothing():
    """Running seed_actors again creates nothing new."""
    out = StringIO()
    call_command("seed_actors", "--countries", "IT,LY", stdout=out)
    assert out.getvalue().strip() == "Actor seeds: 0 actors created, 0 alternate names added."


def test_suggest_command_refuses_an_unknown_status():
    """A status that does not exist is named in one clear error."""
    with pytest.raises(
        CommandError, match=r"^--status must be one of draft, in_review, published, withdrawn, not 'old'\.$"
    ):
        call_command("suggest_access_points", "--status", "old", stdout=StringIO())


def test_bulk_writers_can_schedule_suggestions(django_capture_on_commit_callbacks):
    """Articles written without signals (bulk imports) get suggestions once their ids are scheduled."""
    [article] = Article.objects.bulk_create(
        [ArticleFactory.build(title="Talks in Libya", body="Libyan officials met in Tripoli on Monday.")]
    )
    assert not article.suggestions.exists()
    with django_capture_on_commit_callbacks(execute=True):
        schedule_suggestions([article.pk])
    assert article.suggestions.filter(place__name="Libya").exists()
