"""Field-level change history (django-simple-history) and the pieces it needs for tags.

Articles, actors, places and alternate names keep a historical row per
change, with who made it. Actors and places linked to an article are
snapshotted as many-to-many history; taggit keeps tags outside a plain
many-to-many, so each article history row also stores its tag names.
"""

from dataclasses import dataclass

from django.db import models
from taggit.utils import edit_string_for_tags


class ArticleHistoryBase(models.Model):
    """Extra columns of an article's history rows."""

    tag_names = models.TextField("tags", blank=True, default="")

    class Meta:
        abstract = True


def snapshot_tags(sender, instance, history_instance, **kwargs):
    """Store the article's tags, as they are when the history row is written, beside its fields."""
    if instance.pk:
        # Quoted as in the tags field, so a revert can parse the names back.
        history_instance.tag_names = edit_string_for_tags(list(instance.tags.all()))


def tags_changed(sender, instance, action, reverse, **kwargs):
    """Tags changed outside a form or bulk action (an import, an accepted suggestion): write a history row.

    The admin and the bulk services switch history off while they save links
    and write one row at the end themselves.
    """
    from archive.models import Article

    if action not in {"post_add", "post_remove", "post_clear"} or reverse or not isinstance(instance, Article):
        return
    if hasattr(instance, "skip_history_when_saving") or instance.pk is None:
        return
    save_with_history(instance, reason="Changed tags", update_fields=["updated_at"])


def save_with_history(instance: models.Model, *, reason: str, update_fields: list[str]) -> None:
    """Save and write exactly one history row that gives ``reason``, even if history was switched off."""
    if hasattr(instance, "skip_history_when_saving"):
        del instance.skip_history_when_saving
    instance._change_reason = reason
    try:
        instance.save(update_fields=update_fields)
    finally:
        del instance._change_reason


def connect() -> None:
    from django.db.models.signals import m2m_changed
    from simple_history.signals import pre_create_historical_record

    from archive.models import Article

    pre_create_historical_record.connect(
        snapshot_tags, sender=Article.history.model, dispatch_uid="archive.history.snapshot_tags"
    )
    m2m_changed.connect(tags_changed, sender=Article.tags.through, dispatch_uid="archive.history.tags_changed")


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


# Bookkeeping that changes on every save and says nothing about the content.
UNCOMPARED = ["version", "updated_at", "updated_by", "created_at", "created_by"]


def article_changes_since(*, article_id: int, version: int) -> list[FieldChange]:
    """What changed in an article since it was at ``version``, from its history rows.

    Empty when the history has no row for that version (an article saved
    before history was kept).
    """
    from archive.models import Actor, Article, Place

    rows = Article.history.filter(id=article_id).order_by("-history_date", "-history_id")
    seen, latest = rows.filter(version=version).first(), rows.first()
    if seen is None or latest is None or seen.pk == latest.pk:
        return []
    delta = latest.diff_against(seen, excluded_fields=UNCOMPARED)
    names = {"actors": (Actor, "actor"), "places": (Place, "place")}
    changes = []
    for change in delta.changes:
        if change.field in names:
            model, key = names[change.field]
            records = model.objects.in_bulk([row[key] for row in [*change.old, *change.new]])

            def listed(rows, records=records, key=key):
                return ", ".join(sorted(str(records.get(row[key], row[key])) for row in rows))

            old, new = listed(change.old), listed(change.new)
        else:
            old, new = _display(change.old), _display(change.new)
        changes.append(FieldChange(str(Article._meta.get_field(change.field).verbose_name), old, new))
    if seen.tag_names != latest.tag_names:
        changes.append(FieldChange("tags", seen.tag_names, latest.tag_names))
    return changes


def _display(value) -> str:
    return "" if value is None else str(value)


def record_history_in_bulk(*, article_ids: list[int], user, reason: str, when) -> None:
    """One history row per article (fields, actors, places, tags), written in a few queries for many articles.

    The same rows ``HistoricalRecords`` writes on a save, for bulk actions
    that change links without saving each article.
    """
    from archive.models import Article

    history = Article.history.model
    articles = list(Article.objects.filter(pk__in=article_ids).order_by("pk").prefetch_related("tags"))
    rows = history.objects.bulk_create(
        [
            history(
                history_date=when,
                history_user=user,
                history_change_reason=reason,
                history_type="~",
                tag_names=edit_string_for_tags(list(article.tags.all())),
                **{field.attname: getattr(article, field.attname) for field in history.tracked_fields},
            )
            for article in articles
        ]
    )
    row_for = {row.id: row for row in rows}
    for name in ("actors", "places"):
        m2m_history = next(
            rel.related_model
            for rel in history._meta.related_objects
            if rel.related_model.__name__.endswith(f"_{name}")
        )
        through = getattr(Article, name).through
        columns = [field.attname for field in through._meta.fields]
        links = through.objects.filter(article_id__in=article_ids).values_list(*columns)
        m2m_history.objects.bulk_create(
            [
                m2m_history(
                    history=row_for[values[columns.index("article_id")]], **dict(zip(columns, values, strict=True))
                )
                for values in links
            ]
        )
