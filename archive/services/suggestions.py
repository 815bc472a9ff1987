"""Writes for suggested access points: store what the extractor proposes, refresh it, accept, reject.

A rejection is remembered: the rejected row stays, and a later run that
proposes the same access point for the same article leaves it rejected.

Each run records the version of the authority records it read
(``SuggestionRun``). When the records change, an article's suggestions are
stale: nothing is recomputed inside the save that changed them; the admin
refreshes an article's suggestions when it is opened, and the worker (or
``suggest_access_points --stale``) refreshes the rest a batch at a time.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from archive.extraction.authorities import AuthorityIndex, authority_index, authority_version
from archive.extraction.batch import Story, extract_stories
from archive.extraction.pipeline import Proposal, proposal_key
from archive.models import (
    Actor,
    ActorType,
    Article,
    Place,
    PlaceType,
    Suggestion,
    SuggestionKind,
    SuggestionRun,
    SuggestionStatus,
)
from archive.services.articles import record_article_changes
from archive.services.bulk import insert_rows

logger = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.35
BATCH_SIZE = 500


@dataclass
class SuggestReport:
    articles: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0


def suggestion_key(suggestion: Suggestion) -> tuple:
    return proposal_key(
        suggestion.kind,
        suggestion.actor_id,
        suggestion.place_id,
        suggestion.candidate_name,
        suggestion.date_start,
        suggestion.date_end,
    )


def article_suggest(*, article: Article, index: AuthorityIndex | None = None) -> SuggestReport:
    """Replace the article's pending suggestions with what its current text suggests.

    Decided suggestions (accepted or rejected) are kept and never proposed
    again, and nothing already linked to the article is suggested.
    """
    return _suggest_batch([article.pk], index or authority_index())


@transaction.atomic
def _suggest_batch(article_ids: list[int], index: AuthorityIndex, *, only_stale: bool = False) -> SuggestReport:
    """One transaction and a fixed number of queries for the whole batch; the extraction is per article,
    on two cores for a large batch (``archive.extraction.batch``).

    With ``only_stale``, articles whose suggestions another process refreshed with these same records while
    this one waited for their locks are left as they are.
    """
    articles = list(
        Article.objects.select_for_update()
        .filter(pk__in=article_ids)
        .order_by("pk")
        .values_list("pk", "title", "body", "dateline", "published_start", "published_end", "published_precision")
    )
    if only_stale:
        fresh = set(
            SuggestionRun.objects.filter(
                article_id__in=[row[0] for row in articles], authorities=index.version
            ).values_list("article_id", flat=True)
        )
        articles = [row for row in articles if row[0] not in fresh]
    ids = [row[0] for row in articles]
    report = SuggestReport(articles=len(articles))
    stale, new, changed = [], [], []
    existing: dict[int, dict[tuple, Suggestion]] = {pk: {} for pk in ids}
    for suggestion in Suggestion.objects.filter(article_id__in=ids).order_by("pk"):
        rows, key = existing[suggestion.article_id], suggestion_key(suggestion)
        kept = rows.get(key)
        if kept is None:
            rows[key] = suggestion
            continue
        # A merge can point two suggestions at one record: the decided one stays, else the older.
        if kept.status == SuggestionStatus.PENDING and suggestion.status != SuggestionStatus.PENDING:
            rows[key], suggestion = suggestion, kept
        if suggestion.status == SuggestionStatus.PENDING:
            stale.append(suggestion.pk)
    linked_actors = _linked(Article.actors.through, "actor_id", ids)
    linked_places = _linked(Article.places.through, "place_id", ids)

    stories = [
        Story(title, body, dateline, published if precision == "day" else None)
        for _, title, body, dateline, published, _, precision in articles
    ]
    carried_dates = {pk: (start, end) for pk, *_, start, end, _ in articles}
    for pk, proposals in zip(ids, extract_stories(stories, index=index), strict=True):
        wanted: dict[tuple, Proposal] = {}
        for proposal in proposals:
            if proposal.confidence < MIN_CONFIDENCE:
                continue
            if proposal.actor_id in linked_actors[pk] or proposal.place_id in linked_places[pk]:
                continue
            if proposal.kind == SuggestionKind.DATE and (proposal.date_start, proposal.date_end) == carried_dates[pk]:
                continue
            wanted[proposal.key] = proposal
        current_suggestions = existing[pk]
        stale.extend(
            s.pk for key, s in current_suggestions.items() if s.status == SuggestionStatus.PENDING and key not in wanted
        )
        for key, proposal in wanted.items():
            current = current_suggestions.get(key)
            if current is None:
                new.append((pk, proposal))
            elif current.status == SuggestionStatus.PENDING and (
                current.confidence != proposal.confidence or current.evidence != proposal.evidence
            ):
                current.confidence, current.evidence = proposal.confidence, proposal.evidence
                changed.append(current)
    report.removed = Suggestion.objects.filter(pk__in=stale).delete()[0] if stale else 0
    _insert(new)
    Suggestion.objects.bulk_update(changed, ["confidence", "evidence"], batch_size=500)
    _record_runs(ids, index.version)
    report.created, report.updated = len(new), len(changed)
    return report


def _record_runs(article_ids: list[int], version: str) -> None:
    now = timezone.now()
    SuggestionRun.objects.bulk_create(
        [SuggestionRun(article_id=pk, authorities=version, ran_at=now) for pk in article_ids],
        update_conflicts=True,
        unique_fields=["article"],
        update_fields=["authorities", "ran_at"],
        batch_size=BATCH_SIZE,
    )


def _insert(new: list[tuple[int, Proposal]]) -> None:
    """An import stores several suggestions per article: rows straight from the proposals, no model instances."""
    now = timezone.now()
    fields = [field for field in Suggestion._meta.concrete_fields if not field.primary_key]
    rows = [_row(article_id, proposal, now) for article_id, proposal in new]
    insert_rows(Suggestion, fields, [[row[field.attname] for field in fields] for row in rows])


def _linked(through, target: str, article_ids: list[int]) -> dict[int, set[int]]:
    linked = defaultdict(set)
    for article_id, target_id in through.objects.filter(article_id__in=article_ids).values_list("article_id", target):
        linked[article_id].add(target_id)
    return linked


def _row(article_id: int, proposal: Proposal, now) -> dict:
    """Every column of a new pending suggestion (a column added to the model fails here, loudly)."""
    return {
        "article_id": article_id,
        "kind": proposal.kind,
        "actor_id": proposal.actor_id,
        "place_id": proposal.place_id,
        "candidate_name": proposal.candidate_name[:255],
        "date_start": proposal.date_start,
        "date_end": proposal.date_end,
        "date_precision": proposal.date_precision,
        "confidence": round(proposal.confidence, 4),
        "evidence": proposal.evidence,
        "status": SuggestionStatus.PENDING,
        "decided_by_id": None,
        "created_at": now,
        "decided_at": None,
    }


def suggest_for_articles(
    *, article_ids: Iterable[int], progress: bool = False, only_stale: bool = False
) -> SuggestReport:
    """Suggest for many articles, one transaction per batch: an interrupted run keeps what it finished.

    With ``only_stale``, only the articles whose suggestions were made with other authority records (or
    never made): a run that was interrupted, or that follows one, does not repeat the work done.
    """
    ids = sorted({int(pk) for pk in article_ids})
    report = SuggestReport()
    index = authority_index() if ids else None
    with tqdm(total=len(ids), desc="suggesting", unit="article", disable=not progress) as bar:
        for offset in range(0, len(ids), BATCH_SIZE):
            batch = ids[offset : offset + BATCH_SIZE]
            _add(report, _suggest_batch(batch, index, only_stale=only_stale))
            bar.update(len(batch))
    return report


def _add(report: SuggestReport, done: SuggestReport) -> None:
    report.articles += done.articles
    report.created += done.created
    report.updated += done.updated
    report.removed += done.removed


def suggestions_refresh(*, article_ids: Iterable[int]) -> SuggestReport:
    """Make again the suggestions of these articles that are stale; the others are not read.

    Cheap when nothing changed: one version check and one query. The admin
    calls it for the article it opens.
    """
    index = authority_index()
    stale = list(
        Article.objects.filter(pk__in=list(article_ids))
        .with_stale_suggestions(index.version)
        .values_list("pk", flat=True)
    )
    return _suggest_batch(stale, index, only_stale=True) if stale else SuggestReport()


def suggestions_refresh_stale(*, limit: int = BATCH_SIZE) -> SuggestReport:
    """Make again the suggestions of up to ``limit`` stale articles, oldest first, in one transaction.

    The worker calls it while the index queue is empty, so after a change of
    the records (a gazetteer loaded, a record renamed) every article is read
    again in the background, a batch at a time, however large the archive.
    """
    version = authority_version()
    stale = list(Article.objects.with_stale_suggestions(version).order_by("pk").values_list("pk", flat=True)[:limit])
    if not stale:
        return SuggestReport()
    return _suggest_batch(stale, authority_index(), only_stale=True)


@transaction.atomic
def suggestion_accept(*, suggestion: Suggestion, user=None) -> Suggestion:
    """Link the suggested access point to the article, creating the record for a new name."""
    suggestion = Suggestion.objects.select_for_update().select_related("article").get(pk=suggestion.pk)
    article = suggestion.article
    name = suggestion.candidate_name
    if suggestion.kind in NEW_ACTOR_TYPES:
        type_ = NEW_ACTOR_TYPES[suggestion.kind]
        suggestion.actor = _named(Actor.objects.filter(type=type_), name) or Actor.objects.create(name=name, type=type_)
    elif suggestion.kind == SuggestionKind.NEW_PLACE:
        suggestion.place = _named(Place.objects.all(), name) or Place.objects.create(
            name=name, type=_place_type(suggestion.evidence)
        )
    if suggestion.actor_id:
        article.actors.add(suggestion.actor_id)
    if suggestion.place_id:
        article.places.add(suggestion.place_id)
    dates = {}
    if suggestion.kind == SuggestionKind.DATE and article.published_start is None:
        dates = {
            "published_start": suggestion.date_start,
            "published_end": suggestion.date_end,
            "published_precision": suggestion.date_precision,
        }
    record_article_changes([article.pk], user=_decider(user), reason=f"Accepted the suggestion {suggestion}", **dates)
    return _decide(suggestion, SuggestionStatus.ACCEPTED, user)


NEW_ACTOR_TYPES = {SuggestionKind.NEW_PERSON: ActorType.PERSON, SuggestionKind.NEW_ORGANISATION: ActorType.ORGANISATION}


def _named(records, name: str):
    """The record with this authorised name, else with this alternate name, in any case: a suggestion made
    before the record existed links it rather than creating a second one."""
    return (
        records.filter(name__iexact=name).order_by("pk").first()
        or records.filter(alternate_names__name__iexact=name).order_by("pk").first()
    )


SITE_WORDS = ("station", "base", "airbase", "airport")
REGION_WORDS = ("province", "region", "district", "governorate", "peninsula", "valley", "island")


def _place_type(evidence: list[dict]) -> str:
    """A site or a region when the words after the name said so ('the Sigonella naval air station')."""
    cues = " ".join(item.get("cue", "") for item in evidence)
    if any(word in cues for word in SITE_WORDS):
        return PlaceType.SITE
    if any(word in cues for word in REGION_WORDS):
        return PlaceType.REGION
    return PlaceType.OTHER


@transaction.atomic
def suggestion_reject(*, suggestion: Suggestion, user=None) -> Suggestion:
    """Remember the rejection so that no later run proposes it again for this article."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    return _decide(suggestion, SuggestionStatus.REJECTED, user)


def _decider(user):
    return user if user is not None and user.is_authenticated else None


def _decide(suggestion: Suggestion, status: str, user) -> Suggestion:
    suggestion.status = status
    suggestion.decided_by = _decider(user)
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at", "actor", "place"])
    return suggestion


def suggestions_accept_above(*, suggestions, threshold: float, user=None) -> int:
    """Accept every pending suggestion among ``suggestions`` whose confidence is at least ``threshold``."""
    if not 0 <= threshold <= 1:
        raise ValueError(f"The confidence must be between 0 and 1, not {threshold}.")
    chosen = list(suggestions.pending().filter(confidence__gte=threshold).order_by("pk"))
    with transaction.atomic():
        for suggestion in chosen:
            suggestion_accept(suggestion=suggestion, user=user)
    return len(chosen)
