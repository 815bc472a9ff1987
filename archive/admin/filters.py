"""List filters for the article list, including the archivists' work queues."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef
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
