"""Everything the search page shows, built from one search: rows, facets, filters, timeline, pages.

Each link on the page is another state of ``SearchParams``, so every view
of a search can be bookmarked and shared.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from archive import selectors
from archive.forms import SearchParams
from archive.search.base import FACETS, SearchResults

# Values listed per facet, most frequent first (chosen values are always listed).
FACET_VALUES = 30
TIMELINE_WIDTH, TIMELINE_HEIGHT, TIMELINE_AXIS = 640, 120, 18


def search_url(params: SearchParams, route: str = "archive:search") -> str:
    return search_path(route) + params.querystring()


def search_path(route: str = "archive:search") -> str:
    """The route's path for this request; lists of links take it once (reading the script prefix and
    URL configuration of the request costs more than building the query string)."""
    return _route_path(route, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@lru_cache(maxsize=64)
def _route_path(route: str, script_prefix: str, urlconf) -> str:
    """The path of a route without arguments, which is fixed for one script prefix and URL configuration.

    A search page links to itself a hundred times (facets, timeline, pages);
    reversing each link took a few milliseconds of every page.
    """
    return reverse(route, urlconf=urlconf)


@dataclass(frozen=True)
class FacetOption:
    label: str
    count: int
    url: str
    selected: bool = False
    detail: str = ""


@dataclass
class FacetGroup:
    key: str
    title: str
    sections: list[tuple[str, list[FacetOption]]]

    @property
    def size(self) -> int:
        return sum(len(options) for _, options in self.sections)


@dataclass(frozen=True)
class ActiveFilter:
    kind: str
    label: str
    remove_url: str


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    url: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    show_label: bool


@dataclass(frozen=True)
class Widening:
    description: str
    total: int
    url: str


@dataclass
class SearchPage:
    params: SearchParams
    results: SearchResults
    notices: list[str]
    facets: list[FacetGroup] = field(default_factory=list)
    active: list[ActiveFilter] = field(default_factory=list)
    timeline: list[Bar] = field(default_factory=list)
    timeline_unit: str = "year"
    pages: list[int | None] = field(default_factory=list)
    num_pages: int = 1
    suggestion: str = ""
    suggestion_url: str = ""
    widenings: list[Widening] = field(default_factory=list)

    @cached_property
    def rows(self) -> list[selectors.ResultRow]:
        """The hits' articles as the HTML lists show them, loaded only by a page that shows them
        (the API reads the hits as full records instead)."""
        return selectors.rows_for_hits(self.results.hits)

    @property
    def total(self) -> int:
        return self.results.total

    @property
    def first_index(self) -> int:
        return (self.params.page - 1) * self.params.per_page + 1

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1

    def page_url(self, number: int) -> str:
        return search_url(self.params.with_changes(page=number))

    @property
    def page_links(self) -> list[tuple[int | None, str]]:
        return [(number, self.page_url(number) if number else "") for number in self.pages]

    @property
    def previous_url(self) -> str:
        return self.page_url(self.params.page - 1)

    @property
    def next_url(self) -> str:
        return self.page_url(self.params.page + 1)


def shown_facets(params: SearchParams) -> tuple[str, ...]:
    """The facets the search page shows: months only once the dates cover a single year."""
    return FACETS if params.selected_year() else tuple(key for key in FACETS if key != "month")


@dataclass(frozen=True)
class Searched:
    """A search as run for a page: the parameters it ended with, its results and what to tell the reader."""

    params: SearchParams
    results: SearchResults
    notices: list[str]
    num_pages: int


def run_search(params: SearchParams, *, facets: tuple[str, ...] = FACETS) -> Searched:
    """Run the search; a page past the end falls back to page 1 with a notice."""
    notices = list(params.notices)
    results = selectors.search(params, facets=facets, spellcheck=bool(params.text))
    num_pages = max(1, math.ceil(results.total / params.per_page))
    if params.page > num_pages:
        notices.append(f"Page {params.page} does not exist; showing page 1.")
        params = params.with_changes(page=1)
        results = selectors.search(params, facets=facets, spellcheck=bool(params.text))
    if results.notice:
        notices.append(results.notice)
    return Searched(params, results, notices, num_pages)


def build(params: SearchParams, *, facets: tuple[str, ...] = FACETS) -> SearchPage:
    """Run the search and assemble the page around it."""
    searched = run_search(params, facets=facets)
    params, results, num_pages = searched.params, searched.results, searched.num_pages
    names = selectors.names_for(params)
    page = SearchPage(
        params=params,
        results=results,
        notices=searched.notices,
        facets=facet_groups(params, results),
        active=active_filters(params, names),
        num_pages=num_pages,
        pages=page_numbers(params.page, num_pages),
    )
    page.timeline_unit, page.timeline = timeline(params, results)
    if results.suggestion:  # the engine offers only corrections that find something
        page.suggestion = results.suggestion
        page.suggestion_url = search_url(params.with_changes(text=results.suggestion))
    if not results.total and (params.text or params.has_filters):
        page.widenings = widenings(params, names)
    return page


def page_numbers(current: int, last: int) -> list[int | None]:
    """Page links around the current one, with ``None`` where pages are skipped."""
    wanted = {1, last, *range(current - 2, current + 3)}
    numbers, previous = [], 0
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers


def facet_groups(params: SearchParams, results: SearchResults) -> list[FacetGroup]:
    facets = results.facets
    groups = []
    path = search_path()

    def options(items, name, key=str):
        chosen = getattr(params, name)
        values = [key(item.value) for item in items]
        return [
            FacetOption(
                label=item.label,
                count=item.count,
                url=path + querystring,
                selected=value in chosen,
                detail=item.detail if name != "actors" else "",
            )
            for item, value, querystring in zip(items, values, params.toggled_querystrings(name, values), strict=True)
        ]

    def top(key: str, chosen) -> list:
        return selectors.top_counts(facets.get(key, []), {str(value) for value in chosen}, FACET_VALUES)

    actors = selectors.label_actor_counts(top("actor", params.actors))
    if actors:
        sections = [(title, options(items, "actors", int)) for title, items in selectors.group_actors_by_type(actors)]
        groups.append(FacetGroup("actor", "Actors", sections))
    places = selectors.label_place_counts(top("place", params.places))
    if places:
        groups.append(FacetGroup("place", "Places", [("", options(places, "places", int))]))
    tags = selectors.label_tag_counts(top("tag", params.tags))
    if tags:
        groups.append(FacetGroup("tag", "Tags", [("", options(tags, "tags"))]))
    sources = selectors.label_plain_counts(top("source", params.sources))
    if sources:
        groups.append(FacetGroup("source", "Sources", [("", options(sources, "sources"))]))
    years = sorted(selectors.label_plain_counts(facets.get("year", [])), key=lambda item: item.value, reverse=True)
    if years:
        sections = [("", period_options(params, years))]
        year = params.selected_year()
        if year:
            months = selectors.label_month_counts(facets.get("month", []))
            in_year = [item for item in months if item.value[:4] == str(year)]
            sections.append((f"Months of {year}", period_options(params, in_year)))
        groups.append(FacetGroup("year", "Published", sections))
    return groups


def period_options(params: SearchParams, items: list) -> list[FacetOption]:
    """Years or months; the one the dates are set to exactly is selected, and choosing it again clears them."""
    chosen = params.date_from if params.date_from == params.date_to else ""
    path = search_path()
    return [
        FacetOption(
            label=item.label,
            count=item.count,
            url=path + period(params, item.value, selected=item.value == chosen).querystring(),
            selected=item.value == chosen,
        )
        for item in items
    ]


def period(params: SearchParams, value: str, *, selected: bool = False) -> SearchParams:
    """Narrow to a year (``2016``) or month (``2016-02``); choosing the chosen one again removes it."""
    if selected:
        return params.with_changes(date_from="", date_to="")
    return params.with_changes(date_from=value, date_to=value)


def active_filters(params: SearchParams, names: dict[str, dict]) -> list[ActiveFilter]:
    active = []
    if params.text:
        active.append(ActiveFilter("Words", params.text, search_url(params.with_changes(text=""))))
    for pk in params.actors:
        label = names["actors"].get(pk, f"#{pk}")
        active.append(ActiveFilter("Actor", label, search_url(params.toggled("actors", pk))))
    for pk in params.places:
        label = names["places"].get(pk, f"#{pk}")
        active.append(ActiveFilter("Place", label, search_url(params.toggled("places", pk))))
    for slug in params.tags:
        active.append(ActiveFilter("Tag", names["tags"].get(slug, slug), search_url(params.toggled("tags", slug))))
    for source in params.sources:
        active.append(ActiveFilter("Source", source, search_url(params.toggled("sources", source))))
    if params.date_from:
        active.append(ActiveFilter("From", params.date_from, search_url(params.with_changes(date_from=""))))
    if params.date_to:
        active.append(ActiveFilter("To", params.date_to, search_url(params.with_changes(date_to=""))))
    return active


def timeline(params: SearchParams, results: SearchResults) -> tuple[str, list[Bar]]:
    """Bars per year, or per month when the search covers one year; each bar narrows the search."""
    year = params.selected_year()
    if year:
        counts = {item.value: item.count for item in results.facets.get("month", []) if item.value[:4] == str(year)}
        slots = [(f"{year}-{month:02d}", dt.date(year, month, 1).strftime("%b")) for month in range(1, 13)]
        unit = "month"
    else:
        counts = {item.value: item.count for item in results.facets.get("year", []) if str(item.value).isdigit()}
        if not counts:
            return "year", []
        years = [int(value) for value in counts]
        slots = [(str(y), str(y)) for y in range(min(years), max(years) + 1)]
        unit = "year"
    if not any(counts.values()):
        return unit, []
    return unit, bars(params, slots, counts)


def bars(params: SearchParams, slots: list[tuple[str, str]], counts: dict[str, int]) -> list[Bar]:
    highest = max(counts.values())
    # A few bars keep a sensible width, centred, instead of filling the whole chart.
    slot_width = TIMELINE_WIDTH / max(len(slots), 12)
    offset = (TIMELINE_WIDTH - slot_width * len(slots)) / 2
    plot_height = TIMELINE_HEIGHT - TIMELINE_AXIS
    label_every = math.ceil(len(slots) / 12)
    path = search_path()
    drawn = []
    for position, (value, label) in enumerate(slots):
        count = counts.get(value, 0)
        height = round(plot_height * count / highest, 1) if count else 0
        drawn.append(
            Bar(
                label=label,
                count=count,
                url=path + params.with_changes(date_from=value, date_to=value).querystring(),
                x=round(offset + position * slot_width + slot_width * 0.1, 1),
                y=round(plot_height - height, 1),
                width=round(slot_width * 0.8, 1),
                height=height,
                label_x=round(offset + position * slot_width + slot_width / 2, 1),
                show_label=position % label_every == 0 or position == len(slots) - 1,
            )
        )
    return drawn


def widenings(params: SearchParams, names: dict[str, dict]) -> list[Widening]:
    """For an empty result: what each filter's removal would find, so the reader sees which one emptied it."""
    candidates = []
    if params.text and params.has_filters:
        candidates.append((f"the words “{params.text}”", params.with_changes(text="")))
    for pk in params.actors:
        candidates.append((f"the actor {names['actors'].get(pk, pk)}", params.toggled("actors", pk)))
    for pk in params.places:
        candidates.append((f"the place {names['places'].get(pk, pk)}", params.toggled("places", pk)))
    for slug in params.tags:
        candidates.append((f"the tag {names['tags'].get(slug, slug)}", params.toggled("tags", slug)))
    for source in params.sources:
        candidates.append((f"the source {source}", params.toggled("sources", source)))
    if params.date_from or params.date_to:
        candidates.append(("the dates", params.with_changes(date_from="", date_to="")))
    found = []
    for description, wider in candidates:
        total = selectors.count_matches(wider)
        found.append(Widening(description, total, search_url(wider)))
    return found
