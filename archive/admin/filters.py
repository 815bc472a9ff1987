"""List filters for the article list, including the archivists' work queues."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef
from taggit.models import TaggedItem

from archive.models import Article, ArticleStatus


class WorkQueueFilter(admin.SimpleListFilter):
    """Articles that still need describing, or are waiting for an editor."""

    title = "work queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("no_actor", "No actor"),
            ("no_place", "No place"),
            ("no_tag", "No tag"),
            ("no_date", "No date"),
            ("in_review", "In review"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "no_actor":
            return queryset.filter(~Exists(Article.actors.through.objects.filter(article_id=OuterRef("pk"))))
        if value == "no_place":
            return queryset.filter(~Exists(Article.places.through.objects.filter(article_id=OuterRef("pk"))))
        if value == "no_tag":
            tagged = TaggedItem.objects.filter(
                content_type=ContentType.objects.get_for_model(Article), object_id=OuterRef("pk")
            )
            return queryset.filter(~Exists(tagged))
        if value == "no_date":
            return queryset.filter(published_start__isnull=True)
        if value == "in_review":
            return queryset.filter(status=ArticleStatus.IN_REVIEW)
        return queryset


# The most linked records change slowly; recounting them on every page of the list is wasted work.
CACHE_SECONDS = 300


class MostLinkedFilter(admin.SimpleListFilter):
    """A filter by actor, place or tag that lists only the most linked ones (and the one chosen).

    Listing every actor in the sidebar would render thousands of links on
    each page of the article list; the rest are a ``actor:``, ``place:`` or
    ``tag:`` search away. The parameter is Django's own ``<field>__id__exact``.
    """

    field_name = ""
    limit = 15

    def lookups(self, request, model_admin):
        related = Article._meta.get_field(self.field_name).related_model
        choices = cache.get_or_set(f"archive.admin.most_linked.{self.field_name}", self.most_linked, CACHE_SECONDS)
        chosen = self.value()
        if chosen and chosen.isdigit() and chosen not in {pk for pk, _ in choices}:
            choices = [
                *choices,
                *((str(pk), name) for pk, name in related.objects.filter(pk=chosen).values_list("pk", "name")),
            ]
        return choices

    def most_linked(self) -> list[tuple[str, str]]:
        """Counted on the link table alone, which is cheap even with 100,000 articles."""
        field = Article._meta.get_field(self.field_name)
        related = field.related_model
        if self.field_name == "tags":
            links = TaggedItem.objects.filter(content_type=ContentType.objects.get_for_model(Article))
            key = "tag_id"
        else:
            links, key = field.remote_field.through.objects.all(), f"{related._meta.model_name}_id"
        top = list(
            links.values(key).annotate(n=Count("pk")).order_by("-n", key).values_list(key, flat=True)[: self.limit]
        )
        names = dict(related.objects.filter(pk__in=top).values_list("pk", "name"))
        return sorted(((str(pk), names[pk]) for pk in top if pk in names), key=lambda choice: choice[1].lower())

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.field_name}__id__exact": self.value()})
        return queryset


class ActorFilter(MostLinkedFilter):
    title = "actor (most linked)"
    parameter_name = "actors__id__exact"
    field_name = "actors"


class PlaceFilter(MostLinkedFilter):
    title = "place (most linked)"
    parameter_name = "places__id__exact"
    field_name = "places"


class TagFilter(MostLinkedFilter):
    title = "tag (most used)"
    parameter_name = "tags__id__exact"
    field_name = "tags"
