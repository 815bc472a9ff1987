"""Reviewing suggested access points in the admin: evidence highlighted, accept or reject in one click.

The article's change page lists its suggestions (an inline), made again
first if the authority records changed since they were made; each row has
Accept and Reject buttons, and one field accepts every pending suggestion
above a confidence. The suggestion list offers the same as bulk actions.
Neither lists a pending suggestion of a record the article already carries.
Every decision goes through ``archive.services.suggestions``.
"""

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from archive.admin.articles import ArticleAdmin
from archive.models import Article, AuthorityStatus, Suggestion, SuggestionKind, SuggestionStatus
from archive.services.suggestions import (
    suggestion_accept,
    suggestion_reject,
    suggestions_accept_above,
    suggestions_refresh,
)

logger = logging.getLogger(__name__)

CONTEXT_CHARACTERS = 60
CONFIDENCE_FIELD = "suggestion_confidence"


def suggestion_target(suggestion: Suggestion) -> str:
    if suggestion.kind == SuggestionKind.DATE:
        if suggestion.date_start == suggestion.date_end:
            return f"{suggestion.date_start} ({suggestion.get_date_precision_display().lower()})"
        return f"{suggestion.date_start} to {suggestion.date_end} ({suggestion.get_date_precision_display().lower()})"
    record = suggestion.actor or suggestion.place
    if record is None:
        return suggestion.candidate_name
    return f"{record} (draft)" if record.status == AuthorityStatus.DRAFT else str(record)


def evidence_html(suggestion: Suggestion):
    """Each piece of evidence as the words around it, with the matched words marked."""
    article = suggestion.article
    texts = {"title": article.title, "body": article.body, "dateline": article.dateline}
    rows = []
    for item in suggestion.evidence:
        text = texts.get(item.get("field"))
        start, end = item.get("start"), item.get("end")
        if text is None or start is None or text[start:end] != item.get("text"):
            rows.append((item.get("field", ""), "", item.get("text", ""), item.get("cue", "")))
            continue
        before = text[max(0, start - CONTEXT_CHARACTERS) : start]
        after = text[end : end + CONTEXT_CHARACTERS]
        rows.append((item["field"], f"…{before}", text[start:end], f"{after}…"))
    return format_html_join(
        "", '<div class="suggestion-evidence">{}: {}<mark>{}</mark>{}</div>', ((f, b, m, a) for f, b, m, a in rows)
    )


class ReviewOnlyFormSet(BaseInlineFormSet):
    """The suggestion rows are read-only: the article form posts nothing for them, and saving writes none.

    Decisions are posted to the accept and reject views instead, so saving
    the article never needs (or checks) this formset's management form.
    """

    def is_valid(self):
        return True

    def save(self, commit=True):
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        return []


class SuggestionInline(admin.TabularInline):
    model = Suggestion
    formset = ReviewOnlyFormSet
    fk_name = "article"
    extra = 0
    can_delete = False
    fields = ["kind", "target", "confidence_shown", "status", "evidence_shown", "decide"]
    readonly_fields = fields
    ordering = ["status", "-confidence"]
    verbose_name_plural = "Suggested access points"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).without_linked().select_related("actor", "place", "article")

    def get_formset(self, request, obj=None, **kwargs):
        if obj is not None and request.method == "GET":
            _refresh(request, obj)
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="Suggestion")
    def target(self, suggestion):
        return suggestion_target(suggestion)

    @admin.display(description="Confidence")
    def confidence_shown(self, suggestion):
        return f"{suggestion.confidence:.2f}"

    @admin.display(description="Evidence")
    def evidence_shown(self, suggestion):
        return evidence_html(suggestion)

    @admin.display(description="Decide")
    def decide(self, suggestion):
        if suggestion.status != SuggestionStatus.PENDING:
            return suggestion.get_status_display()
        # The buttons sit inside the article's form: formaction posts it (and its CSRF token) to our views.
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">Accept</button> '
            '<button type="submit" class="button" formaction="{}" formmethod="post">Reject</button>',
            reverse("admin:archive_suggestion_accept", args=[suggestion.pk]),
            reverse("admin:archive_suggestion_reject", args=[suggestion.pk]),
        )


def _refresh(request, article: Article) -> None:
    """Make the article's suggestions again if the records changed since; if that fails, show the stored
    ones, say so, and log why (the page is still worth reading)."""
    try:
        with transaction.atomic():  # a savepoint: the admin's own transaction stays usable if this fails
            suggestions_refresh(article_ids=[article.pk])
    except DatabaseError as exc:
        logger.exception("Refreshing the suggestions of article %s failed", article.pk)
        messages.warning(request, f"The suggestions could not be brought up to date ({exc}); they may be stale.")


class ConfidenceActionForm(ActionForm):
    suggestion_confidence = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Confidence at least", initial=0.8
    )


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["article", "kind", "target", "confidence", "status", "evidence_shown"]
    list_filter = ["status", "kind"]
    list_select_related = ["article", "actor", "place"]
    search_fields = ["candidate_name", "actor__name", "place__name", "article__title"]
    actions = ["accept_selected", "reject_selected", "accept_above_confidence"]
    action_form = ConfidenceActionForm
    readonly_fields = [
        "article",
        "kind",
        "actor",
        "place",
        "candidate_name",
        "date_start",
        "date_end",
        "date_precision",
        "confidence",
        "evidence_shown",
        "status",
        "decided_by",
        "decided_at",
    ]
    exclude = ["evidence"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).without_linked()

    @admin.display(description="Suggestion")
    def target(self, suggestion):
        return suggestion_target(suggestion)

    @admin.display(description="Evidence")
    def evidence_shown(self, suggestion):
        return evidence_html(suggestion)

    @admin.action(description="Accept the selected suggestions", permissions=["change"])
    def accept_selected(self, request, queryset):
        accepted = suggestions_accept_above(suggestions=queryset, threshold=0, user=request.user)
        self.message_user(request, f"Accepted {accepted} suggestion{'' if accepted == 1 else 's'}.")

    @admin.action(description="Reject the selected suggestions", permissions=["change"])
    def reject_selected(self, request, queryset):
        rejected = 0
        for suggestion in queryset.pending():
            suggestion_reject(suggestion=suggestion, user=request.user)
            rejected += 1
        self.message_user(request, f"Rejected {rejected} suggestion{'' if rejected == 1 else 's'}.")

    @admin.action(description="Accept the selected suggestions above a confidence", permissions=["change"])
    def accept_above_confidence(self, request, queryset):
        threshold = _confidence(request)
        if threshold is None:
            self.message_user(request, "Give a confidence between 0 and 1.", messages.ERROR)
            return
        accepted = suggestions_accept_above(suggestions=queryset, threshold=threshold, user=request.user)
        self.message_user(
            request,
            f"Accepted {accepted} suggestion{'' if accepted == 1 else 's'} with confidence {threshold} or more.",
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/accept/", view(self.accept_view), name="archive_suggestion_accept"),
            path("<int:pk>/reject/", view(self.reject_view), name="archive_suggestion_reject"),
            path(
                "article/<int:article_id>/accept-above/",
                view(self.accept_above_view),
                name="archive_suggestion_accept_above",
            ),
            *super().get_urls(),
        ]

    def accept_view(self, request, pk):
        return self._decide(request, pk, suggestion_accept, "Accepted")

    def reject_view(self, request, pk):
        return self._decide(request, pk, suggestion_reject, "Rejected")

    def _decide(self, request, pk, service, verb):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        suggestion = get_object_or_404(Suggestion.objects.select_related("article"), pk=pk)
        self._check_change(request, suggestion.article)
        if suggestion.status != SuggestionStatus.PENDING:
            self.message_user(
                request, f"This suggestion was already {suggestion.get_status_display().lower()}.", messages.WARNING
            )
        else:
            service(suggestion=suggestion, user=request.user)
            self.message_user(request, f"{verb}: {suggestion.get_kind_display()} {suggestion_target(suggestion)}.")
        return self._back_to_article(request, suggestion.article)

    def accept_above_view(self, request, article_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = get_object_or_404(Article, pk=article_id)
        self._check_change(request, article)
        threshold = _confidence(request)
        if threshold is None:
            self.message_user(request, "Give a confidence between 0 and 1.", messages.ERROR)
        else:
            accepted = suggestions_accept_above(
                suggestions=article.suggestions.all(), threshold=threshold, user=request.user
            )
            self.message_user(request, _accepted_above(accepted, threshold))
        return self._back_to_article(request, article)

    def _check_change(self, request, article):
        if not (self.has_change_permission(request) and request.user.has_perm("archive.change_article")):
            raise PermissionDenied

    def _back_to_article(self, request, article):
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:archive_article_change", args=[article.pk])
        return HttpResponseRedirect(target)


def _accepted_above(accepted: int, threshold: float) -> str:
    return f"Accepted {accepted} suggestion{'' if accepted == 1 else 's'} with confidence {threshold} or more."


def _confidence(request) -> float | None:
    try:
        value = float(request.POST.get(CONFIDENCE_FIELD, ""))
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None


class ArticleSuggestionInline(SuggestionInline):
    """The inline, with the 'accept all above' field and button under it."""

    template = "admin/archive/article/suggestions_inline.html"


# The article admin belongs to archive/admin/articles.py; its suggestions are added here, in one place.
ArticleAdmin.inlines = [*ArticleAdmin.inlines, ArticleSuggestionInline]
