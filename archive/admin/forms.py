"""Forms of the article admin: the change form with its version check, and the bulk-action forms."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from taggit.forms import TagField

from archive.models import Actor, Article, ArticleStatus, Place

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
