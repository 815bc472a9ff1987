"""The article list and change form: full-text search box, access-point filters, bulk actions."""

from django.contrib import admin, messages
from django.db.models import Prefetch

from archive.admin.filters import WorkQueueFilter
from archive.models import Actor, Article, ArticleStatus, Place
from archive.search import get_backend
from archive.search.base import SearchBackendError, SearchQuery

# The admin search box asks the index for at most this many ids; more would
# make one SQL ``IN`` list too long for SQLite and a page nobody reads.
ADMIN_SEARCH_LIMIT = 10_000


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "published_start", "actor_list", "place_list", "tag_list"]
    list_filter = ["status", WorkQueueFilter, "actors", "places", "tags", "source"]
    date_hierarchy = "published_start"
    search_fields = ["title"]  # shows the search box; get_search_results sends the words to the index
    search_help_text = 'Full-text search: words, "phrases", AND / OR / NOT, prefix*, actor:, place:, tag:, source:.'
    autocomplete_fields = ["actors", "places", "dateline_place"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by", "source_file", "provider_id", "checksum"]
    list_per_page = 50
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "body"]}),
        ("Access points", {"fields": ["actors", "places", "tags", "dateline", "dateline_place"]}),
        (
            "Publication",
            {
                "fields": [
                    "byline",
                    "source",
                    "source_url",
                    "language",
                    ("published_start", "published_end", "published_precision"),
                    "published_at",
                ]
            },
        ),
        (
            "Provenance",
            {
                "classes": ["collapse"],
                "fields": [
                    "source_file",
                    "provider_id",
                    "checksum",
                    "duplicate_of",
                    ("created_at", "created_by"),
                    ("updated_at", "updated_by"),
                ],
            },
        ),
    ]
    raw_id_fields = ["duplicate_of"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("actors", queryset=Actor.objects.only("pk", "name")),
                Prefetch("places", queryset=Place.objects.only("pk", "name")),
                "tags",
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """Run the words through the full-text index rather than SQL ``LIKE``."""
        text = search_term.strip()
        if not text:
            return queryset, False
        query = SearchQuery(
            text=text,
            statuses=tuple(ArticleStatus.values),
            per_page=ADMIN_SEARCH_LIMIT,
            highlight=False,
        )
        try:
            results = get_backend().search(query)
        except SearchBackendError as exc:
            messages.error(request, f"The search could not be run: {exc}")
            return queryset.none(), False
        if results.notice:
            messages.warning(request, results.notice)
        if results.total > ADMIN_SEARCH_LIMIT:
            messages.warning(
                request,
                f"{results.total:,} articles match; only the best {ADMIN_SEARCH_LIMIT:,} are listed. "
                "Narrow the search to see the rest.",
            )
        return queryset.filter(pk__in=[hit.article_id for hit in results.hits]), False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="actors")
    def actor_list(self, obj):
        return ", ".join(actor.name for actor in obj.actors.all())

    @admin.display(description="places")
    def place_list(self, obj):
        return ", ".join(place.name for place in obj.places.all())

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(sorted(tag.name for tag in obj.tags.all()))
