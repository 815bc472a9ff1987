"""Writes on articles: bulk description, the review workflow and who changed what.

Bulk functions run in one transaction inside ``collected()``, so however many
articles they touch, the index receives one batch once the transaction
commits. Links are written on the link tables in chunks of 500 articles;
as that sends no ``m2m_changed``, the functions queue the articles for the
index and write their history rows themselves. Each changed article's
``version`` is raised so a change form opened before the bulk change cannot
silently undo it.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from archive.history import record_history_in_bulk, save_with_history
from archive.models import Actor, Article, ArticleStatus, Place
from archive.search.indexing import collected, queue_articles

Status = ArticleStatus
# Bulk functions lock, change and record this many articles at a time.
CHUNK = 500

# Every move the workflow allows, and the permission it needs.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.DRAFT, Status.IN_REVIEW): "archive.submit_article",
    (Status.IN_REVIEW, Status.DRAFT): "archive.change_article",
    (Status.IN_REVIEW, Status.PUBLISHED): "archive.publish_article",
    (Status.PUBLISHED, Status.WITHDRAWN): "archive.withdraw_article",
    (Status.WITHDRAWN, Status.DRAFT): "archive.change_article",
    (Status.WITHDRAWN, Status.PUBLISHED): "archive.publish_article",
}


class TransitionNotAllowed(PermissionDenied):
    """The workflow has no such move, or this user may not make it."""


def transition_error(*, user: AbstractBaseUser, old: str, new: str) -> str:
    """Why ``user`` may not move an article from ``old`` to ``new``; empty when the move is allowed."""
    if old == new:
        return ""
    label_old, label_new = Status(old).label, Status(new).label
    permission = TRANSITIONS.get((old, new))
    if permission is None:
        return f"An article cannot move from {label_old} to {label_new}."
    if not user.has_perm(permission):
        return f"You do not have permission to move an article from {label_old} to {label_new}."
    return ""


def allowed_statuses(*, user: AbstractBaseUser, current: str) -> list[str]:
    """The current status and every status this user may move an article to from it."""
    return [current, *(new for (old, new), perm in TRANSITIONS.items() if old == current and user.has_perm(perm))]


def ensure_transition_allowed(*, user: AbstractBaseUser, old: str, new: str) -> None:
    error = transition_error(user=user, old=old, new=new)
    if error:
        raise TransitionNotAllowed(error)


def article_set_status(*, article: Article, status: str, user: AbstractBaseUser) -> bool:
    """Move one article along the workflow; returns False when it already had that status."""
    with transaction.atomic():
        current = Article.objects.select_for_update().only("status", "version").get(pk=article.pk)
        ensure_transition_allowed(user=user, old=current.status, new=status)
        if current.status == status:
            return False
        article.status = status
        article.version = current.version + 1
        article.updated_by = user
        save_with_history(
            article,
            reason=f"Status set to {Status(status).label}",
            update_fields=["status", "version", "updated_by", "updated_at"],
        )
    return True


@dataclass
class StatusReport:
    changed: int = 0
    # Why articles were left alone, with how many for each reason.
    refused: dict[str, int] = field(default_factory=dict)


def articles_set_status(*, articles: QuerySet[Article], status: str, user: AbstractBaseUser) -> StatusReport:
    """Move every article that may move to ``status``; the others are counted by the reason they stayed."""
    report = StatusReport()
    reason = f"Status set to {Status(status).label} (bulk action)"
    ids = list(articles.order_by("pk").values_list("pk", flat=True).distinct())
    with transaction.atomic(), collected():
        for start in range(0, len(ids), CHUNK):
            rows = Article.objects.filter(pk__in=ids[start : start + CHUNK]).select_for_update()
            movable = []
            for pk, old in rows.values_list("pk", "status"):
                error = transition_error(user=user, old=old, new=status)
                if error:
                    report.refused[error] = report.refused.get(error, 0) + 1
                elif old != status:
                    movable.append(pk)
            if movable:
                record_article_changes(movable, user=user, reason=reason, status=status)
                report.changed += len(movable)
    return report


def _bulk_links(*, articles: QuerySet[Article], user: AbstractBaseUser, relation: str, targets: list, add: bool) -> int:
    """Add or remove links on the link table directly, chunk by chunk: a few queries per 500 articles.

    Rows written this way send no ``m2m_changed``, so the affected articles
    are queued for the index and given their history row here.
    """
    names = ", ".join(str(target) for target in targets)
    reason = f"{'Added' if add else 'Removed'} {relation} {names} (bulk action)"
    target_ids = sorted({target.pk for target in targets})
    links, article_key, target_key, make = _link_table(relation)
    ids = list(articles.order_by("pk").values_list("pk", flat=True).distinct())
    changed_total = 0
    with transaction.atomic(), collected():
        for start in range(0, len(ids), CHUNK):
            chunk = list(
                Article.objects.filter(pk__in=ids[start : start + CHUNK])
                .select_for_update()
                .values_list("pk", flat=True)
            )
            present = links.filter(**{f"{article_key}__in": chunk, f"{target_key}__in": target_ids})
            existing = set(present.values_list(article_key, target_key))
            if add:
                new = [(a, t) for a in chunk for t in target_ids if (a, t) not in existing]
                links.model.objects.bulk_create([make(a, t) for a, t in new])
                changed = sorted({a for a, _ in new})
            else:
                present.delete()
                changed = sorted({a for a, _ in existing})
            if changed:
                record_article_changes(changed, user=user, reason=reason)
            changed_total += len(changed)
    return changed_total


def articles_relink(
    *, relation: str, old_ids: list[int], new_id: int, user: AbstractBaseUser, reason: str
) -> list[int]:
    """Point every link to the ``old_ids`` records at ``new_id`` instead (a merge); returns the articles changed."""
    links, article_key, target_key, make = _link_table(relation)
    article_ids = sorted(set(links.filter(**{f"{target_key}__in": old_ids}).values_list(article_key, flat=True)))
    with transaction.atomic(), collected():
        for start in range(0, len(article_ids), CHUNK):
            chunk = list(
                Article.objects.filter(pk__in=article_ids[start : start + CHUNK])
                .select_for_update()
                .values_list("pk", flat=True)
            )
            linked = set(
                links.filter(**{f"{article_key}__in": chunk, target_key: new_id}).values_list(article_key, flat=True)
            )
            links.model.objects.bulk_create([make(a, new_id) for a in chunk if a not in linked])
            links.filter(**{f"{article_key}__in": chunk, f"{target_key}__in": old_ids}).delete()
            record_article_changes(chunk, user=user, reason=reason)
    return article_ids


def _link_table(relation: str):
    """The link rows of ``relation``, the names of their article and target columns, and a row builder."""
    if relation == "tags":
        content_type = ContentType.objects.get_for_model(Article)

        def make(article_id, tag_id):
            return TaggedItem(content_type=content_type, object_id=article_id, tag_id=tag_id)

        return TaggedItem.objects.filter(content_type=content_type), "object_id", "tag_id", make
    through = getattr(Article, relation).through
    target_key = f"{getattr(Article, relation).field.related_model._meta.model_name}_id"

    def make(article_id, target_id):
        return through(**{"article_id": article_id, target_key: target_id})

    return through.objects.all(), "article_id", target_key, make


def record_article_changes(article_ids: list[int], *, user: AbstractBaseUser | None, reason: str, **changes) -> None:
    """Write ``changes``, a new version, who and when; one history row each, and a place in the index queue.

    For writes that do not save each article (link-table writes, accepted
    suggestions): the new version makes a change form opened before them
    refuse to save over them.
    """
    now = timezone.now()
    Article.objects.filter(pk__in=article_ids).update(
        **changes, version=F("version") + 1, updated_by=user, updated_at=now
    )
    record_history_in_bulk(article_ids=article_ids, user=user, reason=reason, when=now)
    queue_articles(article_ids)


def articles_add_actors(*, articles: QuerySet[Article], actors: list[Actor], user: AbstractBaseUser) -> int:
    """Link the actors to every article; returns how many articles gained at least one."""
    return _bulk_links(articles=articles, user=user, relation="actors", targets=actors, add=True)


def articles_remove_actors(*, articles: QuerySet[Article], actors: list[Actor], user: AbstractBaseUser) -> int:
    """Unlink the actors; returns how many articles lost at least one."""
    return _bulk_links(articles=articles, user=user, relation="actors", targets=actors, add=False)


def articles_add_places(*, articles: QuerySet[Article], places: list[Place], user: AbstractBaseUser) -> int:
    return _bulk_links(articles=articles, user=user, relation="places", targets=places, add=True)


def articles_remove_places(*, articles: QuerySet[Article], places: list[Place], user: AbstractBaseUser) -> int:
    return _bulk_links(articles=articles, user=user, relation="places", targets=places, add=False)


def articles_add_tags(*, articles: QuerySet[Article], names: list[str], user: AbstractBaseUser) -> int:
    """Tag every article, creating tags that do not exist yet (names match case-insensitively)."""
    with transaction.atomic():
        tags = []
        for name in names:
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
            tags.append(tag)
        return _bulk_links(articles=articles, user=user, relation="tags", targets=tags, add=True)


def articles_remove_tags(*, articles: QuerySet[Article], names: list[str], user: AbstractBaseUser) -> int:
    """Untag every article; names that are no tag at all are ignored."""
    tags = [tag for name in names for tag in Tag.objects.filter(name__iexact=name)]
    return _bulk_links(articles=articles, user=user, relation="tags", targets=tags, add=False)


def article_record_history(*, article: Article, reason: str) -> None:
    """Write one history row with the article's fields, links and tags as they are now.

    Callers that change fields and links in several steps switch history off
    for the steps (``skip_history_when_saving``) and call this once at the
    end, so one edit is one row, and the row includes the tags.
    """
    save_with_history(article, reason=reason, update_fields=["updated_at"])
