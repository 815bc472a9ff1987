"""Suggestions follow the authority records: stale when a record or a name changes, made again when the
article is opened in the admin, by the worker, or by ``suggest_access_points --stale``; never a pending
suggestion of a record the article already carries, and never a second record when a stale one is accepted."""

import multiprocessing
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError, connections, transaction
from django.urls import reverse

from archive.admin_suggestions import suggestion_target
from archive.extraction.authorities import authority_version
from archive.models import (
    ActorType,
    Article,
    AuthorityStatus,
    Place,
    PlaceName,
    PlaceType,
    Suggestion,
    SuggestionKind,
    SuggestionRun,
    SuggestionStatus,
)
from archive.services.authorities import authorities_merge
from archive.services.suggestions import (
    suggest_for_articles,
    suggestion_accept,
    suggestions_refresh,
    suggestions_refresh_stale,
)
from tests.factories import ActorFactory, ArticleFactory, PlaceFactory, PlaceNameFactory

pytestmark = pytest.mark.django_db

BODY = (
    "The US has made an attack last week on a base in Sabratha, close to the Tunisian border. "
    "The drones are based at the Sigonella naval air station in Sicily."
)


@pytest.fixture
def article(django_capture_on_commit_callbacks):
    """Saved before any authority record exists, as the seed article is imported before its fixture."""
    with django_capture_on_commit_callbacks(execute=True):
        return ArticleFactory(title="Drone strike near Sabratha", body=BODY)


def pending(article) -> set[tuple[str, str]]:
    """The article's pending suggestions of actors, places and new names, as the admin names them."""
    rows = article.suggestions.pending().exclude(kind=SuggestionKind.DATE).select_related("actor", "place")
    return {(row.get_kind_display(), suggestion_target(row)) for row in rows}


def open_in_admin(client, article) -> str:
    response = client.get(reverse("admin:archive_article_change", args=[article.pk]))
    assert response.status_code == 200
    return response.content.decode()


def sabratha(name: str = "Sabratha", **fields) -> Place:
    libya = PlaceFactory(name="Libya", type=PlaceType.COUNTRY, country_code="LY")
    return PlaceFactory(name=name, type=PlaceType.CITY, parent=libya, country_code="LY", population=100_000, **fields)


def rename(place, name):
    place.name = name
    place.save()


def publish(place, name):
    place.status = AuthorityStatus.PUBLISHED
    place.save()


def add_name(place, name):
    PlaceNameFactory(place=place, name="Sabratah")


def correct_name(place, name):
    name.name = "Sabratah"
    name.save()


WRITES = {
    "a record created": lambda place, name: PlaceFactory(name="Sicily", type=PlaceType.REGION),
    "a record renamed": lambda place, name: rename(place, "Sabrātah"),
    "a record published": publish,
    "an alternate name added": add_name,
    "an alternate name corrected in place": correct_name,
    "an alternate name deleted": lambda place, name: name.delete(),
    "a record deleted": lambda place, name: place.delete(),
}


@pytest.mark.parametrize("write", WRITES, ids=list(WRITES))
def test_every_write_of_a_record_or_a_name_changes_the_version(write):
    """Each kind of write to the authority records gives them a new version, which makes suggestions stale."""
    place = PlaceFactory(name="Sabratha", status=AuthorityStatus.DRAFT)
    name = PlaceNameFactory(place=place, name="Sabrata")
    before = authority_version()
    WRITES[write](place, name)
    assert authority_version() != before


def test_a_change_rolled_back_leaves_the_version_as_it_was():
    """A write that is rolled back (its change row with it) leaves the version, and the suggestions, alone."""
    PlaceFactory(name="Sabratha")
    before = authority_version()
    try:
        with transaction.atomic():
            PlaceFactory(name="Atlantis")
            raise RuntimeError("the archivist cancelled")
    except RuntimeError:
        pass
    assert authority_version() == before


def test_records_loaded_after_the_article_are_seen_when_it_is_opened(article, admin_client):
    """Places created after the article (a fixture loaded later) replace its 'New place' rows once it is opened."""
    assert {("New place", "Sabratha"), ("New place", "Sigonella"), ("New place", "Sicily")} <= pending(article)
    sicily = PlaceFactory(name="Sicily", type=PlaceType.REGION, country_code="IT")
    base = PlaceFactory(name="Sigonella Naval Air Station", type=PlaceType.SITE, parent=sicily)
    PlaceNameFactory(place=base, name="Sigonella")
    sabratha()

    content = open_in_admin(admin_client, article)

    assert "New place" not in content
    assert {("Place", "Sabratha"), ("Place", "Sigonella Naval Air Station"), ("Place", "Sicily")} <= pending(article)
    assert not {kind for kind, _ in pending(article)} & {"New place", "New person", "New organisation"}


def test_opening_an_article_whose_records_did_not_change_reads_nothing_again(article, admin_client):
    """The second view finds the suggestions up to date: the same rows, and the run is not repeated."""
    open_in_admin(admin_client, article)
    rows = set(article.suggestions.values_list("pk", "confidence"))
    run = SuggestionRun.objects.get(article=article)
    open_in_admin(admin_client, article)
    assert set(article.suggestions.values_list("pk", "confidence")) == rows
    assert SuggestionRun.objects.get(article=article).ran_at == run.ran_at


def test_gazetteer_loaded_after_the_article_is_applied_a_batch_at_a_time(article):
    """After load_gazetteer, the worker's step makes the stale suggestions again, then finds nothing to do."""
    assert ("New place", "Sabratha") in pending(article)
    call_command("load_gazetteer", "--countries", "LY,TN", "--min-population", "50000", stdout=StringIO())
    assert suggestions_refresh_stale().articles == 1
    assert suggestions_refresh_stale().articles == 0
    assert ("New place", "Sabratha") not in pending(article)
    assert {("Place", "Şabrātah"), ("Place", "Libya"), ("Place", "Tunisia")} <= pending(article)


def test_a_new_alternate_name_turns_a_new_place_into_the_record(article):
    """'Sabratha' becomes the record Sabrata once that record is given the alternate name Sabratha."""
    record = sabratha("Sabrata")
    suggestions_refresh(article_ids=[article.pk])
    assert ("New place", "Sabratha") in pending(article)
    PlaceNameFactory(place=record, name="Sabratha")
    suggestions_refresh(article_ids=[article.pk])
    assert ("Place", "Sabrata") in pending(article)
    assert ("New place", "Sabratha") not in pending(article)


def test_a_renamed_record_is_followed(article):
    """Correcting the record's name from 'Sabrata' to 'Sabratha' makes the text's Sabratha that record."""
    record = sabratha("Sabrata")
    suggestions_refresh(article_ids=[article.pk])
    rename(record, "Sabratha")
    suggestions_refresh(article_ids=[article.pk])
    assert ("Place", "Sabratha") in pending(article)
    assert ("New place", "Sabratha") not in pending(article)


def test_a_deleted_record_is_proposed_as_a_new_place_again(article):
    """Once the record is deleted, the name is a new place again (its suggestion went with it)."""
    record = sabratha()
    suggestions_refresh(article_ids=[article.pk])
    assert ("Place", "Sabratha") in pending(article)
    record.delete()
    suggestions_refresh(article_ids=[article.pk])
    assert ("New place", "Sabratha") in pending(article)


def test_merged_records_leave_one_suggestion(admin_user, django_capture_on_commit_callbacks):
    """Two records suggested for one article and then merged leave one pending suggestion with both words."""
    survivor = ActorFactory(name="Islamic State", type=ActorType.ARMED_GROUP)
    duplicate = ActorFactory(name="Daesh", type=ActorType.ARMED_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        article = ArticleFactory(body="Islamic State fighters, whom Libyans call Daesh, took the port.")
    assert {("Actor", "Islamic State"), ("Actor", "Daesh")} <= pending(article)

    authorities_merge(survivor=survivor, merged=[duplicate], user=admin_user)
    suggestions_refresh(article_ids=[article.pk])

    [row] = article.suggestions.filter(kind=SuggestionKind.ACTOR, actor=survivor)
    assert row.status == SuggestionStatus.PENDING
    assert {item["text"] for item in row.evidence} == {"Islamic State", "Daesh"}


def test_stale_command_reads_only_stale_articles(article):
    """``--stale`` leaves up-to-date articles alone and reads again those whose records changed."""
    out = StringIO()
    call_command("suggest_access_points", "--stale", stdout=out)
    assert out.getvalue().strip() == "Suggestions for 0 articles: 0 new, 0 updated, 0 withdrawn."
    sabratha()
    out = StringIO()
    call_command("suggest_access_points", "--stale", stdout=out)
    assert out.getvalue().strip() == "Suggestions for 1 articles: 2 new, 0 updated, 1 withdrawn."


def test_a_record_linked_by_hand_is_no_longer_pending(article, admin_client):
    """Linking a suggested place by hand takes its pending row off the article page and the suggestion list."""
    record = sabratha()
    suggestions_refresh(article_ids=[article.pk])
    row = article.suggestions.get(kind=SuggestionKind.PLACE, place=record)
    Article.places.through.objects.create(article=article, place=record)  # as an import links, with no signal

    assert ("Place", "Sabratha") not in pending(article)
    assert f'value="{row.pk}"' not in admin_client.get(reverse("admin:archive_suggestion_changelist")).content.decode()
    assert reverse("admin:archive_suggestion_accept", args=[row.pk]) not in open_in_admin(admin_client, article)


def test_accepting_a_stale_new_place_links_the_existing_record(article):
    """'New place: Sigonella', accepted after the base was recorded with that alternate name, links the base."""
    stale = article.suggestions.get(kind=SuggestionKind.NEW_PLACE, candidate_name="Sigonella")
    base = PlaceFactory(name="Sigonella Naval Air Station", type=PlaceType.SITE)
    PlaceName.objects.create(place=base, name="sigonella")
    places = Place.objects.count()

    suggestion_accept(suggestion=stale)

    assert Place.objects.count() == places
    assert list(article.places.all()) == [base]


def test_a_draft_record_is_proposed_and_named_as_a_draft(article, admin_client):
    """The draft record of Sabratha is what the article is offered, marked as a draft."""
    sabratha(status=AuthorityStatus.DRAFT)
    content = open_in_admin(admin_client, article)
    assert ("Place", "Sabratha (draft)") in pending(article)
    assert "Sabratha (draft)" in content


def test_the_article_page_still_opens_when_the_refresh_fails(article, admin_client, monkeypatch):
    """A locked database while refreshing shows the stored suggestions and says they may be stale."""

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("archive.admin_suggestions.suggestions_refresh", locked)
    response = admin_client.get(reverse("admin:archive_article_change", args=[article.pk]))
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "The suggestions could not be brought up to date (database is locked); they may be stale."
    ]


# Concurrency: web processes refreshing on view, two workers and an archivist editing records, at once.

ARTICLES = 12
ROUNDS = 15
TIMEOUT = 120


def _refresh_on_view(seed: int, article_ids: list[int]) -> None:
    rng = random.Random(seed)
    for _ in range(ROUNDS):
        suggestions_refresh(article_ids=[rng.choice(article_ids)])


def _sweep(seed: int, article_ids: list[int]) -> None:
    for _ in range(ROUNDS):
        suggestions_refresh_stale(limit=4)


def _edit_records(seed: int, article_ids: list[int]) -> None:
    place = Place.objects.get(name="Sabrata")
    for round_ in range(ROUNDS // 3):
        with transaction.atomic():
            PlaceName.objects.create(place=place, name=f"Sabratha{'h' * round_}" if round_ else "Sabratha")


def _in_child(target, seed, article_ids):
    connections.close_all()
    target(seed, article_ids)
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_and_edits_leave_what_one_refresh_makes():
    """Refreshes on view, two sweeping workers and record edits at once leave, once settled, exactly the
    suggestions one refresh from scratch makes: no duplicate row, one run per article, none stale."""
    sabratha("Sabrata")
    ids = [ArticleFactory(title=f"Raid {n}", body=BODY).pk for n in range(ARTICLES)]
    suggest_for_articles(article_ids=ids)
    jobs = [(_refresh_on_view, 1), (_refresh_on_view, 2), (_sweep, 3), (_sweep, 4), (_edit_records, 5)]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_in_child, args=(target, seed, ids)) for target, seed in jobs]
    for process in processes:
        process.start()
    for process in processes:
        process.join(TIMEOUT)
        if process.is_alive():
            process.kill()
    assert [process.exitcode for process in processes] == [0] * len(jobs)

    for _ in range(ARTICLES):
        if not suggestions_refresh_stale().articles:
            break
    version = authority_version()
    assert set(SuggestionRun.objects.values_list("article_id", "authorities")) == {(pk, version) for pk in ids}
    settled = _rows()
    Suggestion.objects.all().delete()
    suggest_for_articles(article_ids=ids)
    assert settled == _rows()
    assert len(settled) == Suggestion.objects.count()


def _rows() -> set[tuple]:
    return set(
        Suggestion.objects.values_list(
            "article_id", "kind", "actor_id", "place_id", "candidate_name", "date_start", "date_end", "confidence"
        )
    )
