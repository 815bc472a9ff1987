"""The article list and change form: full-text search box, access-point filters, bulk actions."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Max, Min, Prefetch
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from archive.admin import exports, forms
from archive.admin.filters import ActorFilter, PlaceFilter, TagFilter, WorkQueueFilter
from archive.models import Actor, Article, ArticleQuerySet, ArticleStatus, Place
from archive.search import get_backend
from archive.search.base import SearchBackendError, SearchQuery
from archive.services import articles as services


def articles_phrase(count: int) -> str:
    return f"{count:,} article{'' if count == 1 else 's'}"


class WorkbenchQuerySet(ArticleQuerySet):
    """The article list's queryset, with a date hierarchy that stays fast at 100,000 articles."""

    def dates(self, field_name, kind, order="ASC"):
        """The distinct periods, truncated in Python from the distinct stored dates.

        ``QuerySet.dates`` truncates every row in SQL (a Python function per
        row on SQLite: over a second for 100,000 articles); the distinct
        dates come from an index scan and number a few thousand at most.
        """
        days = self.order_by().exclude(**{f"{field_name}__isnull": True}).values_list(field_name, flat=True).distinct()
        truncate = {
            "year": lambda day: day.replace(month=1, day=1),
            "month": lambda day: day.replace(day=1),
            "day": lambda day: day,
        }[kind]
        return sorted({truncate(day) for day in days}, reverse=order == "DESC")

    def aggregate(self, *args, **kwargs):
        """The date hierarchy's first and last dates, asked for one at a time.

        SQLite answers ``MIN(x)`` or ``MAX(x)`` alone from an index, but scans
        the whole table when a query asks for both.
        """
        if args or len(kwargs) < 2 or not all(isinstance(value, Min | Max) for value in kwargs.values()):
            return super().aggregate(*args, **kwargs)
        result = {}
        for name, value in kwargs.items():
            result.update(super().aggregate(**{name: value}))
        return result


# The admin search box asks the index for at most this many ids; more would
# make one SQL ``IN`` list too long for SQLite and a page nobody reads.
ADMIN_SEARCH_LIMIT = 10_000


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    form = forms.ArticleForm
    list_display = ["title", "status", "published_start", "actor_list", "place_list", "tag_list"]
    list_filter = ["status", WorkQueueFilter, ActorFilter, PlaceFilter, TagFilter]
    date_hierarchy = "published_start"
    search_fields = ["title"]  # shows the search box; get_search_results sends the words to the index
    search_help_text = 'Full-text search: words, "phrases", AND / OR / NOT, prefix*, actor:, place:, tag:, source:.'
    autocomplete_fields = ["actors", "places", "dateline_place"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by", "source_file", "provider_id", "checksum"]
    list_per_page = 50
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "body", "version"]}),
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
    actions = [
        *("add_tags", "remove_tags", "add_actors", "remove_actors", "add_places", "remove_places", "set_status"),
        *("export_csv", "export_json"),
    ]

    def get_queryset(self, request):
        queryset = WorkbenchQuerySet(self.model)
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset.prefetch_related(
            Prefetch("actors", queryset=Actor.objects.only("pk", "name")),
            Prefetch("places", queryset=Place.objects.only("pk", "name")),
            "tags",
        )

    def get_search_results(self, request, queryset, search_term):
        """Run the words through the full-text index rather than SQL ``LIKE``."""
        text = search_term.strip()
        if not text:
            return queryset, False
        ids = self._search_ids(request, text)
        if ids is None:
            return queryset.none(), False
        return queryset.with_ids(ids), False

    def _search_ids(self, request, text: str) -> list[int] | None:
        """The matching ids, searched once per request however often the admin asks (an action asks twice)."""
        memo = request.__dict__.setdefault("_archive_admin_search", {})
        if text in memo:
            return memo[text]
        query = SearchQuery(
            text=text, statuses=tuple(ArticleStatus.values), per_page=ADMIN_SEARCH_LIMIT, highlight=False
        )
        try:
            results = get_backend().search(query)
        except SearchBackendError as exc:
            messages.error(request, f"The search could not be run: {exc}")
            memo[text] = None
            return None
        if results.notice:
            messages.warning(request, results.notice)
        if results.total > ADMIN_SEARCH_LIMIT:
            messages.warning(
                request,
                f"{results.total:,} articles match; only the best {ADMIN_SEARCH_LIMIT:,} are listed. "
                "Narrow the search to see the rest.",
            )
        memo[text] = [hit.article_id for hit in results.hits]
        return memo[text]

    history_list_display = ["status", "tag_names"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        old = form.stored.status if form.stored else ArticleStatus.DRAFT
        services.ensure_transition_allowed(user=request.user, old=old, new=obj.status)
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        obj.version = form.cleaned_data["version"] + 1 if change else 1
        # One history row per save, written by log_change once links and tags are saved too.
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        services.article_record_history(article=obj, reason="Added")
        return entry

    def log_change(self, request, obj, message):
        """Runs after the fields, links and tags are all saved, both for the change form and a revert."""
        entry = super().log_change(request, obj, message)
        services.article_record_history(article=obj, reason=entry.get_change_message() or "No fields changed")
        return entry

    @admin.display(description="actors")
    def actor_list(self, obj):
        return ", ".join(actor.name for actor in obj.actors.all())

    @admin.display(description="places")
    def place_list(self, obj):
        return ", ".join(place.name for place in obj.places.all())

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(sorted(tag.name for tag in obj.tags.all()))

    def _bulk(self, request, queryset, *, form_class, title: str, apply):
        """Ask for the action's input and its scope on an intermediate page, then apply it.

        The page offers the ticked articles or every article matching the
        current search and filters (the changelist's query string rides along
        in the form's URL). ``apply(form, articles)`` runs the service and
        returns the message to show.
        """
        matching = self.get_changelist_instance(request).get_queryset(request)
        counts = {"selected": queryset.count(), "matching": matching.count()}
        if "apply" in request.POST:
            form = form_class(request.POST, admin_site=self.admin_site, **counts)
            if form.is_valid():
                articles = matching if form.cleaned_data["scope"] == forms.SCOPE_MATCHING else queryset
                self.message_user(request, apply(form.cleaned_data, articles), messages.SUCCESS)
                return None
        else:
            form = form_class(admin_site=self.admin_site, **counts)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "action": request.POST["action"],
            "select_across": request.POST.get("select_across", "0"),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/archive/article/bulk_action.html", context)

    @admin.action(description="Add tags to articles", permissions=["change"])
    def add_tags(self, request, queryset):
        def apply(data, articles):
            count = services.articles_add_tags(articles=articles, names=data["tags"], user=request.user)
            return f"Added the tags {', '.join(data['tags'])} to {articles_phrase(count)}."

        return self._bulk(request, queryset, form_class=forms.TagsForm, title="Add tags", apply=apply)

    @admin.action(description="Remove tags from articles", permissions=["change"])
    def remove_tags(self, request, queryset):
        def apply(data, articles):
            count = services.articles_remove_tags(articles=articles, names=data["tags"], user=request.user)
            return f"Removed the tags {', '.join(data['tags'])} from {articles_phrase(count)}."

        return self._bulk(request, queryset, form_class=forms.TagsForm, title="Remove tags", apply=apply)

    @admin.action(description="Link actors to articles", permissions=["change"])
    def add_actors(self, request, queryset):
        def apply(data, articles):
            count = services.articles_add_actors(articles=articles, actors=list(data["actors"]), user=request.user)
            return f"Linked {_names(data['actors'])} to {articles_phrase(count)}."

        return self._bulk(request, queryset, form_class=forms.ActorsForm, title="Link actors", apply=apply)

    @admin.action(description="Unlink actors from articles", permissions=["change"])
    def remove_actors(self, request, queryset):
        def apply(data, articles):
            count = services.articles_remove_actors(articles=articles, actors=list(data["actors"]), user=request.user)
            return f"Unlinked {_names(data['actors'])} from {articles_phrase(count)}."

        return self._bulk(request, queryset, form_class=forms.ActorsForm, title="Unlink actors", apply=apply)

    @admin.action(description="Link places to articles", permissions=["change"])
    def add_places(self, request, queryset):
        def apply(data, articles):
            count = services.articles_add_places(articles=articles, places=list(data["places"]), user=request.user)
            return f"Linked {_names(data['places'])} to {articles_phrase(count)}."

        return self._bulk(request, queryset, form_class=forms.PlacesForm, title="Link places", apply=apply)

    @admin.action(description="Unlink places from articles", permissions=["change"])
    def remove_places(self, request, queryset):
        def apply(data, articles):
            count = services.articles_remove_places(articles=articles, places=list(data["places"]), user=request.user)
            return f"Unlinked {_names(data['places'])} from {articles_phrase(count)}."

        return self._bulk(request, queryset, form_class=forms.PlacesForm, title="Unlink places", apply=apply)

    @admin.action(description="Set the status of articles", permissions=["change"])
    def set_status(self, request, queryset):
        def apply(data, articles):
            report = services.articles_set_status(articles=articles, status=data["status"], user=request.user)
            for reason, count in sorted(report.refused.items()):
                self.message_user(request, f"{articles_phrase(count)} left unchanged: {reason}", messages.WARNING)
            label = ArticleStatus(data["status"]).label
            return f"Set the status to {label} on {articles_phrase(report.changed)}."

        return self._bulk(request, queryset, form_class=forms.StatusForm, title="Set status", apply=apply)

    @admin.action(description="Export articles as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return exports.csv_response(queryset)

    @admin.action(description="Export articles as JSON", permissions=["view"])
    def export_json(self, request, queryset):
        return exports.json_response(queryset)


def _names(records) -> str:
    return ", ".join(record.name for record in records)
