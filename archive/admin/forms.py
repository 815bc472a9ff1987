"""Forms of the article admin: the change form with its version check, and the bulk-action forms."""

from django import forms
from django.contrib.admin.widgets import AdminTextareaWidget, AutocompleteSelectMultiple
from django.utils.html import format_html, format_html_join
from taggit.forms import TagField
from taggit.models import Tag
from taggit.utils import parse_tags

from archive.history import article_changes_since
from archive.models import Actor, Article, ArticleStatus, Place
from archive.services.articles import allowed_statuses, transition_error

STALE_MESSAGE = (
    "Someone else saved this article after you opened it, so your changes were not saved. "
    "They are still in the form below. Changed since you opened it: "
)


class PlainTextField(forms.CharField):
    """Text whose line ends are LF, as the importer stores them; browsers send CRLF from a textarea."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


class ArticleForm(forms.ModelForm):
    """The change form; it carries the version it was opened at, and refuses a save over a newer one.

    ``user`` is set on the class by ``ArticleAdmin.get_form``.
    """

    user = None
    source_url = forms.URLField(label="Source URL", max_length=1000, required=False, assume_scheme="https")
    body = PlainTextField(widget=AdminTextareaWidget, required=False)

    class Meta:
        model = Article
        fields = [
            *("title", "slug", "status", "body", "version", "actors", "places", "tags", "dateline", "dateline_place"),
            *("byline", "source", "source_url", "language", "published_start", "published_end"),
            *("published_precision", "published_at", "duplicate_of"),
        ]
        widgets = {"version": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = Article.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        current = self.stored.status if self.stored else ArticleStatus.DRAFT
        if "status" in self.fields and self.user is not None:
            allowed = set(allowed_statuses(user=self.user, current=current))
            self.fields["status"].widget.choices = [c for c in ArticleStatus.choices if c[0] in allowed]
        record = getattr(self.instance, "_history", None)
        if record is not None and self.stored is not None:
            # Reverting from the history: links and tags as they were, saved over the current version.
            self.initial.update(
                version=self.stored.version,
                actors=[row.actor_id for row in record.actors.all()],
                places=[row.place_id for row in record.places.all()],
                tags=[Tag(name=name) for name in parse_tags(record.tag_names)],
            )

    def clean_status(self):
        status = self.cleaned_data["status"]
        old = self.stored.status if self.stored else ArticleStatus.DRAFT
        error = transition_error(user=self.user, old=old, new=status) if self.user is not None else ""
        if error:
            raise forms.ValidationError(error)
        return status

    def clean(self):
        cleaned = super().clean()
        if self.stored is None or "version" not in cleaned:
            return cleaned
        # The admin validates inside its transaction: the lock holds until the save commits.
        current = Article.objects.select_for_update().only("version").get(pk=self.stored.pk).version
        if cleaned["version"] != current:
            changes = article_changes_since(article_id=self.stored.pk, version=cleaned["version"])
            if changes:
                listed = format_html_join(
                    "; ", "{} (“{}” → “{}”)", ((c.label, _short(c.old), _short(c.new)) for c in changes)
                )
            else:
                listed = "the history does not say which fields"
            raise forms.ValidationError(
                format_html("{}{}. Copy what you need, then reload the article.", STALE_MESSAGE, listed),
                code="stale",
            )
        return cleaned


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


SCOPE_SELECTED = "selected"
SCOPE_MATCHING = "matching"


class BulkForm(forms.Form):
    """Which articles to act on: the ticked ones, or everything the current search and filters match."""

    scope = forms.ChoiceField(widget=forms.RadioSelect, initial=SCOPE_SELECTED)

    def __init__(self, *args, selected: int, matching: int, admin_site=None, **kwargs):
        self.admin_site = admin_site
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [
            (SCOPE_SELECTED, f"The {selected:,} selected article{'s' if selected != 1 else ''}"),
            (
                SCOPE_MATCHING,
                f"All {matching:,} article{'s' if matching != 1 else ''} matching the current search and filters",
            ),
        ]


class TagsForm(BulkForm):
    tags = TagField(help_text="Comma-separated; a name with spaces in it is quoted.")


def _use_autocomplete(field: forms.ModelMultipleChoiceField, name: str, admin_site) -> None:
    """The same search-as-you-type widget as the article's own ``name`` field."""
    field.widget = AutocompleteSelectMultiple(Article._meta.get_field(name), admin_site)
    field.widget.choices = field.choices


class ActorsForm(BulkForm):
    actors = forms.ModelMultipleChoiceField(queryset=Actor.objects.all())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _use_autocomplete(self.fields["actors"], "actors", self.admin_site)


class PlacesForm(BulkForm):
    places = forms.ModelMultipleChoiceField(queryset=Place.objects.all())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _use_autocomplete(self.fields["places"], "places", self.admin_site)


class StatusForm(BulkForm):
    status = forms.ChoiceField(choices=ArticleStatus.choices)
