"""Actors, places and tags: the authority records articles point to."""

from django.contrib import admin
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin
from taggit.models import Tag

from archive.models import Actor, ActorName, Place, PlaceName


class ActorNameInline(admin.TabularInline):
    model = ActorName
    extra = 1


class PlaceNameInline(admin.TabularInline):
    model = PlaceName
    extra = 1


class AuthorityAdmin(SimpleHistoryAdmin):
    """Shared by actors and places: the list shows how many articles each record describes."""

    list_per_page = 100
    ordering = ["name", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_article_counts()

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj):
        return obj.article_count


@admin.register(Actor)
class ActorAdmin(AuthorityAdmin):
    list_display = ["name", "type", "status", "external_id", "article_count"]
    list_filter = ["type", "status"]
    search_fields = ["name", "alternate_names__name", "external_id"]
    inlines = [ActorNameInline]
    fields = ["name", "type", "status", "description", "external_id"]


@admin.register(Place)
class PlaceAdmin(AuthorityAdmin):
    list_display = ["name", "type", "parent", "country_code", "status", "article_count"]
    list_filter = ["type", "status", "country_code"]
    list_select_related = ["parent"]
    search_fields = ["name", "alternate_names__name", "country_code"]
    autocomplete_fields = ["parent"]
    inlines = [PlaceNameInline]
    fields = ["name", "type", "status", "parent", "country_code", ("latitude", "longitude"), "external_id"]


admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug"]
    ordering = ["name", "pk"]
    prepopulated_fields = {"slug": ["name"]}
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("taggit_taggeditem_items", distinct=True))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj):
        return obj.article_count
