"""Thin receivers: each works out which articles a change touches and queues them.

The admin saves an article first and writes its actors, places and tags
afterwards, so many-to-many changes are followed as well as saves. Names
of actors, places and tags are in every linked article's document, so a
rename reindexes those articles too. Cascading deletes send no
``m2m_changed``, hence the ``pre_delete`` receivers.

A receiver that must look before a change (who is linked to the record
being deleted or unlinked) remembers the articles on the instance and
queues them after it: an engine that refreshes entries at once, in the
transaction (PostgreSQL), must read the articles as the change leaves them.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from taggit.models import Tag, TaggedItem

from archive.models import Actor, ActorName, Article, Place, PlaceName
from archive.search.indexing import queue_articles


def article_ids_for_places(place_ids) -> list[int]:
    """Articles linked to these places or to any place inside them."""
    ids, frontier = set(place_ids), set(place_ids)
    while frontier:
        frontier = set(Place.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    return list(Article.places.through.objects.filter(place_id__in=ids).values_list("article_id", flat=True))


def article_ids_for_actors(actor_ids) -> list[int]:
    return list(Article.actors.through.objects.filter(actor_id__in=actor_ids).values_list("article_id", flat=True))


def article_ids_for_tags(tag_ids) -> list[int]:
    return list(
        TaggedItem.objects.filter(
            tag_id__in=tag_ids, content_type__app_label="archive", content_type__model="article"
        ).values_list("object_id", flat=True)
    )


def article_saved(sender, instance, **kwargs):
    queue_articles([instance.pk])


def article_deleted(sender, instance, **kwargs):
    queue_articles([instance.pk])


def links_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Actor, place or tag links changed, from either side of the relation."""
    if action not in {"post_add", "post_remove", "pre_clear", "post_clear"}:
        return
    if not reverse:
        queue_articles([instance.pk])
    elif action == "pre_clear":
        instance._archive_cleared_articles = (
            list(instance.articles.values_list("pk", flat=True)) if hasattr(instance, "articles") else []
        )
    elif action == "post_clear":
        queue_articles(instance.__dict__.pop("_archive_cleared_articles", []))
    elif pk_set:
        queue_articles(pk_set)


def tag_links_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear", "post_set"}:
        return
    if isinstance(instance, Article):
        queue_articles([instance.pk])
    elif isinstance(instance, Tag) and model is Article and pk_set:
        queue_articles(pk_set)


def tagged_item_changed(sender, instance, **kwargs):
    if instance.content_type.app_label == "archive" and instance.content_type.model == "article":
        queue_articles([instance.object_id])


def actor_changed(sender, instance, **kwargs):
    queue_articles(article_ids_for_actors([instance.pk]))


def actor_deleting(sender, instance, **kwargs):
    instance._archive_linked_articles = article_ids_for_actors([instance.pk])


def actor_name_changed(sender, instance, **kwargs):
    queue_articles(article_ids_for_actors([instance.actor_id]))


def place_changed(sender, instance, **kwargs):
    queue_articles(article_ids_for_places([instance.pk]))


def place_deleting(sender, instance, **kwargs):
    instance._archive_linked_articles = article_ids_for_places([instance.pk])


def place_name_changed(sender, instance, **kwargs):
    queue_articles(article_ids_for_places([instance.place_id]))


def tag_changed(sender, instance, **kwargs):
    queue_articles(article_ids_for_tags([instance.pk]))


def tag_deleting(sender, instance, **kwargs):
    instance._archive_linked_articles = article_ids_for_tags([instance.pk])


def authority_deleted(sender, instance, **kwargs):
    """After the cascade has removed its links: the articles remembered by ``*_deleting``."""
    queue_articles(instance.__dict__.pop("_archive_linked_articles", []))


def connect() -> None:
    uid = "archive.search"
    post_save.connect(article_saved, sender=Article, dispatch_uid=f"{uid}.article_saved")
    post_delete.connect(article_deleted, sender=Article, dispatch_uid=f"{uid}.article_deleted")
    m2m_changed.connect(links_changed, sender=Article.actors.through, dispatch_uid=f"{uid}.actors")
    m2m_changed.connect(links_changed, sender=Article.places.through, dispatch_uid=f"{uid}.places")
    m2m_changed.connect(tag_links_changed, sender=Article.tags.through, dispatch_uid=f"{uid}.tags")
    post_save.connect(tagged_item_changed, sender=TaggedItem, dispatch_uid=f"{uid}.tagged_saved")
    post_delete.connect(tagged_item_changed, sender=TaggedItem, dispatch_uid=f"{uid}.tagged_deleted")
    post_save.connect(actor_changed, sender=Actor, dispatch_uid=f"{uid}.actor_saved")
    pre_delete.connect(actor_deleting, sender=Actor, dispatch_uid=f"{uid}.actor_deleting")
    post_delete.connect(authority_deleted, sender=Actor, dispatch_uid=f"{uid}.actor_deleted")
    post_save.connect(actor_name_changed, sender=ActorName, dispatch_uid=f"{uid}.actor_name_saved")
    post_delete.connect(actor_name_changed, sender=ActorName, dispatch_uid=f"{uid}.actor_name_deleted")
    post_save.connect(place_changed, sender=Place, dispatch_uid=f"{uid}.place_saved")
    pre_delete.connect(place_deleting, sender=Place, dispatch_uid=f"{uid}.place_deleting")
    post_delete.connect(authority_deleted, sender=Place, dispatch_uid=f"{uid}.place_deleted")
    post_save.connect(place_name_changed, sender=PlaceName, dispatch_uid=f"{uid}.place_name_saved")
    post_delete.connect(place_name_changed, sender=PlaceName, dispatch_uid=f"{uid}.place_name_deleted")
    post_save.connect(tag_changed, sender=Tag, dispatch_uid=f"{uid}.tag_saved")
    pre_delete.connect(tag_deleting, sender=Tag, dispatch_uid=f"{uid}.tag_deleting")
    post_delete.connect(authority_deleted, sender=Tag, dispatch_uid=f"{uid}.tag_deleted")
