"""Field-level change history (django-simple-history) and the pieces it needs for tags.

Articles, actors, places and alternate names keep a historical row per
change, with who made it. Actors and places linked to an article are
snapshotted as many-to-many history; taggit keeps tags outside a plain
many-to-many, so each article history row also stores its tag names.
"""

from django.db import models


class ArticleHistoryBase(models.Model):
    """Extra columns of an article's history rows."""

    tag_names = models.TextField("tags", blank=True, default="")

    class Meta:
        abstract = True


def snapshot_tags(sender, instance, history_instance, **kwargs):
    """Store the article's tags, as they are when the history row is written, beside its fields."""
    if instance.pk:
        history_instance.tag_names = ", ".join(sorted(instance.tags.names(), key=str.lower))


def connect() -> None:
    from simple_history.signals import pre_create_historical_record

    from archive.models import Article

    pre_create_historical_record.connect(
        snapshot_tags, sender=Article.history.model, dispatch_uid="archive.history.snapshot_tags"
    )
