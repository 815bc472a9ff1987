"""The public search form: URL parameters in, validated search parameters out.

A search page never fails on bad parameters. A value that cannot be used
(an unknown actor id, ``from=2016-13``, ``page=-1``) is dropped or clamped,
with a message saying so, and the rest of the search goes ahead.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import quote_plus

from django import forms

from archive.dates import partial_date_range
from archive.models import Actor, Place, public_tags

PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20
SORTS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}
DATE_MODES = {"overlap": "overlap the period", "within": "lie within the period"}
MAX_FILTER_VALUES = 20
MAX_ID_DIGITS = 18  # anything longer overflows a database integer


@dataclass(frozen=True)
class SearchParams:
    """One state of the search page; every field round-trips through the URL."""

    text: str = ""
    actors: tuple[int, ...] = ()
    places: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    date_mode: str = "overlap"
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    notices: tuple[str, ...] = field(default=(), compare=False)

    @property
    def from_date(self) -> dt.date | None:
        return partial_date_range(self.date_from)[0] if self.date_from else None

    @property
    def to_date(self) -> dt.date | None:
        return partial_date_range(self.date_to)[1] if self.date_to else None

    @property
    def has_filters(self) -> bool:
        return bool(self.actors or self.places or self.tags or self.sources or self.date_from or self.date_to)

    def selected_year(self) -> int | None:
        """The year the date filters cover exactly, if they do: months are then worth showing."""
        start, end = self.from_date, self.to_date
        if start and end and start.year == end.year:
            return start.year
        return None

    def with_changes(self, **changes) -> "SearchParams":
        """A new state; any change but paging goes back to page 1."""
        if "page" not in changes:
            changes["page"] = 1
        return replace(self, **changes)

    def toggled(self, name: str, value) -> "SearchParams":
        """Add ``value`` to the filter ``name`` (actors, places, tags, sources), or remove it if present."""
        return self.with_changes(**{name: _toggle(getattr(self, name), value)})

    def toggled_querystrings(self, name: str, values: Iterable) -> list[str]:
        """``toggled(name, value).querystring()`` for each of ``values``, with the other parameters'
        part of the query string built once: a search page lists about a hundred facet options."""
        key = FILTER_KEYS[name]
        pairs = self.with_changes(**{name: ()}).query_pairs()
        earlier = {"q", *list(FILTER_KEYS.values())[: list(FILTER_KEYS).index(name)]}
        cut = next((i for i, (pair_key, _) in enumerate(pairs) if pair_key not in earlier), len(pairs))
        head, tail = (_joined(part) for part in (pairs[:cut], pairs[cut:]))
        current = getattr(self, name)
        strings = []
        for value in values:
            parts = [part for part in (head, _joined([(key, str(v)) for v in _toggle(current, value)]), tail) if part]
            strings.append("?" + "&".join(parts) if parts else "")
        return strings

    def query_pairs(self) -> list[tuple[str, str]]:
        pairs = [("q", self.text)] if self.text else []
        pairs += [("actor", str(pk)) for pk in self.actors]
        pairs += [("place", str(pk)) for pk in self.places]
        pairs += [("tag", slug) for slug in self.tags]
        pairs += [("source", source) for source in self.sources]
        if self.date_from:
            pairs.append(("from", self.date_from))
        if self.date_to:
            pairs.append(("to", self.date_to))
        if self.date_mode != "overlap":
            pairs.append(("date_mode", self.date_mode))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.per_page != DEFAULT_PAGE_SIZE:
            pairs.append(("per_page", str(self.per_page)))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def querystring(self) -> str:
        """``urlencode`` of the pairs, with each word quoted once per process: a search page links to
        about a hundred states that share most of their pairs."""
        pairs = self.query_pairs()
        return "?" + _joined(pairs) if pairs else ""


FILTER_KEYS = {"actors": "actor", "places": "place", "tags": "tag", "sources": "source"}


def _toggle(current: tuple, value) -> tuple:
    return tuple(v for v in current if v != value) if value in current else (*current, value)


def _joined(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_quoted(key)}={_quoted(value)}" for key, value in pairs)


def _is_number(value: str) -> bool:
    """ASCII digits only: ``str.isdigit()`` also accepts "²", which ``int()`` cannot read."""
    return value.isascii() and value.isdigit()


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    return quote_plus(text)


class SearchForm(forms.Form):
    """Reads the search page's URL parameters; ``search_params()`` gives the usable part with notices."""

    q = forms.CharField(
        label="Search the archive",
        required=False,
        max_length=500,
        error_messages={
            "max_length": "The search words were longer than 500 characters; they were ignored.",
            "null_characters_not_allowed": "The search words contained a null character; they were ignored.",
        },
    )
    actor = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    place = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    tag = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    source = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    date_mode = forms.CharField(required=False)
    sort = forms.CharField(required=False)
    page = forms.CharField(required=False)
    per_page = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" and "to" are Python keywords, so these two are declared here.
        self.fields["from"] = forms.CharField(label="From", required=False)
        self.fields["to"] = forms.CharField(label="To", required=False)
        self.notices: list[str] = []

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def _ids(self, name: str, model, label: str) -> tuple[int, ...]:
        raw = [value.strip() for value in self.data.getlist(name) if value.strip()][:MAX_FILTER_VALUES]
        wanted = []
        for value in raw:
            is_id = _is_number(value) and len(value) <= MAX_ID_DIGITS
            if is_id and int(value) not in wanted:
                wanted.append(int(value))
            elif not is_id:
                self.notices.append(f"“{value}” is not a valid {label} id; that filter was ignored.")
        if not wanted:
            return ()
        known = set(model.objects.public().filter(pk__in=wanted).values_list("pk", flat=True))
        for pk in wanted:
            if pk not in known:
                self.notices.append(f"There is no {label} with id {pk}; that filter was ignored.")
        return tuple(pk for pk in wanted if pk in known)

    def clean_actor(self):
        return self._ids("actor", Actor, "actor")

    def clean_place(self):
        return self._ids("place", Place, "place")

    def clean_tag(self):
        raw = []
        for value in self.data.getlist("tag")[:MAX_FILTER_VALUES]:
            if "\x00" in value:
                # No slug holds one, and PostgreSQL refuses one in a query.
                self.notices.append("A tag contained a null character; that filter was ignored.")
            elif value.strip() and value.strip() not in raw:
                raw.append(value.strip())
        if not raw:
            return ()
        known = set(public_tags().filter(slug__in=raw).values_list("slug", flat=True))
        for slug in raw:
            if slug not in known:
                self.notices.append(f"There is no tag “{slug}”; that filter was ignored.")
        return tuple(slug for slug in raw if slug in known)

    def clean_source(self):
        values = []
        for value in self.data.getlist("source")[:MAX_FILTER_VALUES]:
            if value.strip() and value.strip() not in values:
                values.append(value.strip()[:255])
        return tuple(values)

    def clean_date_mode(self):
        value = self.cleaned_data["date_mode"] or "overlap"
        if value not in DATE_MODES:
            self.notices.append(f"Unknown date mode “{value}”; showing articles that overlap the period.")
            return "overlap"
        return value

    def clean_sort(self):
        value = self.cleaned_data["sort"] or "relevance"
        if value not in SORTS:
            self.notices.append(f"Unknown sort order “{value}”; sorting by relevance.")
            return "relevance"
        return value

    def clean_page(self):
        value = self.cleaned_data["page"].strip() or "1"
        if not _is_number(value) or int(value) < 1:
            self.notices.append(f"Page “{value}” does not exist; showing page 1.")
            return 1
        return int(value)

    def clean_per_page(self):
        value = self.cleaned_data["per_page"].strip()
        if not value:
            return DEFAULT_PAGE_SIZE
        if not _is_number(value.lstrip("-")):
            self.notices.append(f"“{value}” is not a page size; showing {DEFAULT_PAGE_SIZE} results per page.")
            return DEFAULT_PAGE_SIZE
        number = int(value)
        allowed = next((size for size in PAGE_SIZES if size >= number), PAGE_SIZES[-1])
        if number != allowed:
            self.notices.append(f"Page size {number} is not offered; showing {allowed} results per page.")
        return allowed

    def clean(self):
        cleaned = super().clean()
        for name in ("from", "to"):
            value = (cleaned.get(name) or "").strip()
            if value:
                try:
                    partial_date_range(value)
                except ValueError as exc:
                    reason = exc if len(value) <= 20 else "use YYYY, YYYY-MM or YYYY-MM-DD"
                    self.notices.append(f"The “{name}” date was ignored: {reason}.")
                    value = ""
            cleaned[name] = value
        start = partial_date_range(cleaned["from"])[0] if cleaned["from"] else None
        end = partial_date_range(cleaned["to"])[1] if cleaned["to"] else None
        if start and end and start > end:
            self.notices.append("The “from” date was after the “to” date; the two were swapped.")
            cleaned["from"], cleaned["to"] = cleaned["to"], cleaned["from"]
        return cleaned

    def search_params(self) -> SearchParams:
        """The usable parameters; fields that failed basic validation fall back to their defaults."""
        self.is_valid()
        self.notices.extend(self.errors.get("q", []))
        data = self.cleaned_data
        return SearchParams(
            text=data.get("q", ""),
            actors=data.get("actor", ()),
            places=data.get("place", ()),
            tags=data.get("tag", ()),
            sources=data.get("source", ()),
            date_from=data.get("from", ""),
            date_to=data.get("to", ""),
            date_mode=data.get("date_mode", "overlap"),
            sort=data.get("sort", "relevance"),
            page=data.get("page", 1),
            per_page=data.get("per_page", DEFAULT_PAGE_SIZE),
            notices=tuple(self.notices),
        )
