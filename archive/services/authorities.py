"""Writes on authority records: merging duplicate actors, places and tags, and who may publish them.

A merge moves every link to the surviving record, keeps the merged
records' names as its alternate names (tags have none: their names go), and
deletes the merged records, in one transaction inside ``collected()`` so
the affected articles are reindexed in one batch after the commit.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from taggit.models import Tag, TaggedItem

from archive.models import Actor, ActorName, Article, AuthorityStatus, Place, PlaceName, Suggestion
from archive.search.indexing import collected, queue_articles
from archive.services.articles import each_locked, save_described

PUBLISH_PERMISSION = "archive.publish_article"


def authority_status_error(*, user: AbstractBaseUser, old: str | None, new: str) -> str:
    """Publishing an actor or place is an editor's decision, like publishing an article."""
    if new == AuthorityStatus.PUBLISHED and old != new and not user.has_perm(PUBLISH_PERMISSION):
        return "Only editors may publish this record; save it as a draft for an editor to check."
    return ""


@dataclass
class MergePlan:
    """What a merge will do, shown before it is done."""

    survivor: Model
    merged: list[Model]
    article_ids: list[int]
    new_names: list[str] = field(default_factory=list)
    moved_children: int = 0
    datelines: int = 0

    @property
    def article_count(self) -> int:
        return len(self.article_ids)


def _relation(model: type[Model]) -> str:
    return {Actor: "actors", Place: "places", Tag: "tags"}[model]


def linked_article_ids(records: list[Model]) -> list[int]:
    model = type(records[0])
    ids = [record.pk for record in records]
    if model is Tag:
        rows = TaggedItem.objects.filter(
            tag_id__in=ids, content_type__app_label="archive", content_type__model="article"
        )
        return sorted(set(rows.values_list("object_id", flat=True)))
    through = getattr(Article, _relation(model)).through
    key = f"{model._meta.model_name}_id__in"
    return sorted(set(through.objects.filter(**{key: ids}).values_list("article_id", flat=True)))


def merge_plan(*, survivor: Model, merged: list[Model]) -> MergePlan:
    """Work out a merge without changing anything."""
    merged = [record for record in merged if record.pk != survivor.pk]
    if not merged:
        raise ValueError("Choose at least one record other than the one that survives.")
    if any(type(record) is not type(survivor) for record in merged):
        raise ValueError("Only records of one kind can be merged.")
    plan = MergePlan(survivor=survivor, merged=merged, article_ids=linked_article_ids(merged))
    if isinstance(survivor, Actor | Place):
        known = {name.lower() for name in survivor.all_names()}
        for record in merged:
            for name in record.all_names():
                if name.lower() not in known:
                    known.add(name.lower())
                    plan.new_names.append(name)
    if isinstance(survivor, Place):
        others = [record.pk for record in merged]
        plan.moved_children = Place.objects.filter(parent_id__in=others).exclude(pk=survivor.pk).count()
        plan.datelines = Article.objects.filter(dateline_place_id__in=others).count()
    return plan


def authorities_merge(*, survivor: Model, merged: list[Model], user: AbstractBaseUser) -> MergePlan:
    """Merge ``merged`` into ``survivor``; returns the plan that was carried out."""
    with transaction.atomic(), collected():
        plan = merge_plan(survivor=survivor, merged=merged)
        relation, others = _relation(type(survivor)), plan.merged
        names = ", ".join(str(record) for record in others)
        reason = f"Merged {names} into {survivor}"
        for article in each_locked(Article.objects.filter(pk__in=plan.article_ids), relation):
            article.skip_history_when_saving = True
            manager = getattr(article, relation)
            manager.add(survivor)
            manager.remove(*(record.name if relation == "tags" else record for record in others))
            save_described(article, user=user, reason=reason)
        if isinstance(survivor, Actor):
            ActorName.objects.bulk_create([ActorName(actor=survivor, name=name) for name in plan.new_names])
            Suggestion.objects.filter(actor__in=others).update(actor=survivor)
        elif isinstance(survivor, Place):
            _merge_place_links(survivor, others, plan)
        for record in others:
            record.delete()
        if plan.new_names:
            # Bulk-created names send no signal; the survivor's articles carry its names.
            queue_articles(linked_article_ids([survivor]))
    return plan


def _merge_place_links(survivor: Place, others: list[Place], plan: MergePlan) -> None:
    other_ids = [record.pk for record in others]
    PlaceName.objects.bulk_create([PlaceName(place=survivor, name=name) for name in plan.new_names])
    Suggestion.objects.filter(place__in=other_ids).update(place=survivor)
    if survivor.parent_id in other_ids:
        # The survivor was inside a merged place: it takes that place's position in the hierarchy.
        survivor.parent = Place.objects.get(pk=survivor.parent_id).parent
        survivor.save(update_fields=["parent", "updated_at"])
    for child in Place.objects.filter(parent_id__in=other_ids).exclude(pk=survivor.pk):
        child.parent = survivor
        child.save(update_fields=["parent", "updated_at"])
    datelined = list(Article.objects.filter(dateline_place_id__in=other_ids).values_list("pk", flat=True))
    Article.objects.filter(pk__in=datelined).update(dateline_place=survivor)
    queue_articles(datelined)
