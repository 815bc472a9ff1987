"""Reads for the public site: searches, the rows behind hits, facet labels and browse pages.

Only published articles are ever read here, and only published actors and
places are ever named: the search engine filters on status and every row is
loaded again through ``Article.objects.published()``, so an index that lags
behind the database still shows nothing it should not.

Lists of access points (browse pages, typing suggestions) go further and name
only public ones, ``public()`` for actors and places and ``public_tags()``:
a name known only from draft articles stays private. Facet values and the
access points of a listed article need no such check: they come from
published articles.
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from taggit.models import Tag, TaggedItem

from archive.forms import SearchParams
from archive.models import (
    Actor,
    ActorType,
    Article,
    ArticleStatus,
    AuthorityStatus,
    DatePrecision,
    Place,
    public_tags,
)
from archive.search import get_backend
from archive.search.base import FACETS, FacetCount, Hit, SearchBackendError, SearchQuery, SearchResults

logger = logging.getLogger(__name__)

EXPORT_CHUNK = 500
COUNT_ONLY_PAGE = 10**9


@dataclass(frozen=True)
class Named:
    pk: int
    name: str


@dataclass(frozen=True)
class ResultRow:
    article: Article
    score: float
    highlight: str
    actors: list[Named]
    places: list[Named]


def search_query(params: SearchParams, **overrides) -> SearchQuery:
    """The engine's query for one state of the search page; without words, newest comes first."""
    sort = "newest" if params.sort == "relevance" and not params.text else params.sort
    query = SearchQuery(
        text=params.text,
        actors=params.actors,
        places=params.places,
        tags=params.tags,
        sources=params.sources,
        date_from=params.from_date,
        date_to=params.to_date,
        date_mode=params.date_mode,
        sort=sort,
        page=params.page,
        per_page=params.per_page,
    )
    return replace(query, **overrides)


def search(params: SearchParams, *, facets: tuple[str, ...] = FACETS, spellcheck: bool = False) -> SearchResults:
    return get_backend().search(search_query(params, facets=facets, spellcheck=spellcheck))


def count_matches(params: SearchParams) -> int:
    """How many published articles a search finds, without facets or highlights.

    A page far past the end gives the total with no hits, so the engine
    counts the matches without ranking them.
    """
    query = search_query(params, page=COUNT_ONLY_PAGE, per_page=1, facets=(), highlight=False)
    return get_backend().search(query).total


def _for_listing(articles):
    """Articles with their published access points and their tags, ready for listing."""
    return articles.select_related("dateline_place").prefetch_related(
        Prefetch("actors", queryset=Actor.objects.published().order_by("name")),
        Prefetch("places", queryset=Place.objects.published().select_related("parent")),
        "tags",
    )


def public_articles():
    """Published articles with their published access points, ready for listing."""
    return _for_listing(Article.objects.published())


def rows_for_hits(hits: list[Hit]) -> list[ResultRow]:
    """The published articles behind the hits, in the hits' order, with the names of their published
    actors and places: three queries, and no model instances for the access points.

    Articles are fetched by primary key alone and their status checked here:
    asked for ``status`` and ``id IN (...)`` together, SQLite reads them
    through the status index, every published row, which cost 10-15 ms a page
    at 90,000 articles. Prefetching the access points as model instances cost
    2 ms of a page that shows only their names.
    """
    ids = [hit.article_id for hit in hits]
    articles = Article.objects.order_by().in_bulk(ids)
    actors = _published_names(Article.actors.through, "actor", ids)
    places = _published_names(Article.places.through, "place", ids)
    return [
        ResultRow(articles[pk], hit.score, hit.highlight, actors[pk], places[pk])
        for hit in hits
        if (pk := hit.article_id) in articles and articles[pk].status == ArticleStatus.PUBLISHED
    ]


def _published_names(through, kind: str, article_ids: list[int]) -> dict[int, list[Named]]:
    """Article id -> its published ``kind`` records' names, in name order."""
    names = defaultdict(list)
    if article_ids:
        links = through.objects.filter(article_id__in=article_ids, **{f"{kind}__status": AuthorityStatus.PUBLISHED})
        for article_id, pk, name in links.order_by(f"{kind}__name").values_list(
            "article_id", f"{kind}_id", f"{kind}__name"
        ):
            names[article_id].append(Named(pk, name))
    return names


def articles_for_hits(hits: list[Hit]) -> list[Article]:
    """The published articles behind the hits, in the hits' order, with their published access points
    and tags loaded, for serializers and feeds that read them as records."""
    by_id = _for_listing(Article.objects.order_by()).in_bulk([hit.article_id for hit in hits])
    return [
        by_id[hit.article_id]
        for hit in hits
        if hit.article_id in by_id and by_id[hit.article_id].status == ArticleStatus.PUBLISHED
    ]


def all_matching_ids(params: SearchParams) -> list[int]:
    """Every article id a search finds, in its order: one engine call, not one per page."""
    total = count_matches(params)
    if not total:
        return []
    query = search_query(params, page=1, per_page=total, facets=(), highlight=False)
    return [hit.article_id for hit in get_backend().search(query).hits]


@dataclass(frozen=True)
class ExportRow:
    article: Article
    actors: list[Actor]
    places: list[Place]
    tags: list[str]


def iter_export_rows(params: SearchParams) -> Iterator[ExportRow]:
    """Every article a search finds with its published access points, a chunk at a time."""
    return _export_rows(all_matching_ids(params))


def article_export_row(slug: str) -> ExportRow | None:
    """One published article as an export row, or None when no published article has this slug."""
    pk = Article.objects.published().filter(slug=slug).values_list("pk", flat=True).first()
    return next(_export_rows([pk]), None) if pk is not None else None


def _export_rows(ids: list[int]) -> Iterator[ExportRow]:
    """The published articles among ``ids``, in that order, with their published access points and tags.

    Links are read straight from the link tables with one query per kind and
    chunk: per-article prefetching costs more than the export itself at
    tens of thousands of rows. Actors and places are loaded once each.
    """
    actors: dict[int, Actor | None] = {}
    places: dict[int, Place | None] = {}
    article_type = ContentType.objects.get_for_model(Article)
    for start in range(0, len(ids), EXPORT_CHUNK):
        chunk = ids[start : start + EXPORT_CHUNK]
        articles = Article.objects.published().defer("body").in_bulk(chunk)
        actor_links = _links(Article.actors.through.objects.filter(article_id__in=chunk), "actor_id", actors, Actor)
        place_links = _links(Article.places.through.objects.filter(article_id__in=chunk), "place_id", places, Place)
        tags = defaultdict(list)
        tagged = TaggedItem.objects.filter(content_type=article_type, object_id__in=chunk)
        for article_id, name in tagged.values_list("object_id", "tag__name"):
            tags[article_id].append(name)
        for pk in chunk:
            if pk in articles:
                yield ExportRow(
                    articles[pk],
                    sorted(actor_links[pk], key=lambda actor: actor.name),
                    sorted(place_links[pk], key=lambda place: place.name),
                    sorted(tags[pk]),
                )


def _links(through, column: str, cache: dict, model) -> dict[int, list]:
    """Article id -> its linked published records, filling ``cache`` with records not yet loaded."""
    pairs = list(through.values_list("article_id", column))
    missing = {target for _, target in pairs if target not in cache}
    if missing:
        found = model.objects.published().in_bulk(missing)
        cache.update({pk: found.get(pk) for pk in missing})
    linked = defaultdict(list)
    for article_id, target in pairs:
        if cache[target] is not None:
            linked[article_id].append(cache[target])
    return linked


def article_for_page(slug: str) -> Article | None:
    return public_articles().prefetch_related("actors__alternate_names").filter(slug=slug).first()


def more_like(article: Article, limit: int = 5) -> list[Article]:
    """Similar published articles; none when the engine fails, which an article page can do without."""
    try:
        hits = get_backend().more_like(article.pk, limit=limit)
    except SearchBackendError as exc:
        logger.error("Similar articles for article %s left out: %s", article.pk, exc)
        return []
    by_id = Article.objects.published().defer("body").in_bulk([hit.article_id for hit in hits])
    return [by_id[hit.article_id] for hit in hits if hit.article_id in by_id and hit.article_id != article.pk]


# Facet labels -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labelled:
    value: str
    label: str
    count: int
    detail: str = ""
    group: str = ""


def top_counts(counts: list[FacetCount], chosen: set[str], limit: int) -> list[FacetCount]:
    """The most frequent values (the engine lists them most frequent first), plus any chosen ones further down."""
    return counts[:limit] + [item for item in counts[limit:] if str(item.value) in chosen]


def _ids(counts: list[FacetCount]) -> list[int]:
    return [int(item.value) for item in counts if str(item.value).isdigit()]


def label_actor_counts(counts: list[FacetCount]) -> list[Labelled]:
    """Actor facet values with names and types; drafts and unknown ids are left out.

    Read as plain rows: model instances and ``get_type_display()`` for thirty
    actors cost a millisecond of every search page.
    """
    type_labels = dict(ActorType.choices)
    actors = {
        pk: (name, type_)
        for pk, name, type_ in Actor.objects.published().filter(pk__in=_ids(counts)).values_list("pk", "name", "type")
    }
    labelled = []
    for item in counts:
        found = actors.get(int(item.value)) if str(item.value).isdigit() else None
        if found is not None:
            name, type_ = found
            labelled.append(Labelled(str(item.value), name, item.count, detail=type_labels[type_], group=type_))
    return labelled


def group_actors_by_type(labelled: list[Labelled]) -> list[tuple[str, list[Labelled]]]:
    groups = defaultdict(list)
    for item in sorted(labelled, key=lambda item: (-item.count, item.label)):
        groups[item.group].append(item)
    return [(label, groups[value]) for value, label in ActorType.choices if groups[value]]


def label_place_counts(counts: list[FacetCount]) -> list[Labelled]:
    """Place facet values with names, types and their published parent's name; drafts are left out."""
    places = {
        pk: (name, type_, parent if parent_status == AuthorityStatus.PUBLISHED else "")
        for pk, name, type_, parent, parent_status in Place.objects.published()
        .filter(pk__in=_ids(counts))
        .values_list("pk", "name", "type", "parent__name", "parent__status")
    }
    labelled = []
    for item in counts:
        found = places.get(int(item.value)) if str(item.value).isdigit() else None
        if found is not None:
            name, type_, parent = found
            labelled.append(Labelled(str(item.value), name, item.count, detail=parent, group=type_))
    return labelled


def label_tag_counts(counts: list[FacetCount]) -> list[Labelled]:
    names = dict(Tag.objects.filter(slug__in=[item.value for item in counts]).values_list("slug", "name"))
    return [Labelled(item.value, names[item.value], item.count) for item in counts if item.value in names]


def label_plain_counts(counts: list[FacetCount]) -> list[Labelled]:
    return [Labelled(str(item.value), str(item.value), item.count) for item in counts if item.value]


def label_month_counts(counts: list[FacetCount]) -> list[Labelled]:
    labelled = []
    for item in counts:
        try:
            month = dt.date.fromisoformat(f"{item.value}-01")
        except ValueError:
            continue
        labelled.append(Labelled(str(item.value), f"{month:%B %Y}", item.count))
    return sorted(labelled, key=lambda item: item.value)


def names_for(params: SearchParams) -> dict[str, dict]:
    """Display names for the filters a search uses."""
    return {
        "actors": dict(Actor.objects.filter(pk__in=params.actors).values_list("pk", "name")) if params.actors else {},
        "places": dict(Place.objects.filter(pk__in=params.places).values_list("pk", "name")) if params.places else {},
        "tags": dict(Tag.objects.filter(slug__in=params.tags).values_list("slug", "name")) if params.tags else {},
    }


# Typing suggestions ------------------------------------------------------------------------


SUGGESTIONS_PER_KIND = 5


def suggestions(typed: str) -> list[dict]:
    """Public actors, places and tags whose names start with what was typed, then title words.

    A title word only counts when it finds a published article, so drafts never leak.
    """
    typed = " ".join(typed.split())[:100]
    # No name holds a null character, and PostgreSQL refuses one in a query.
    if len(typed) < 2 or "\x00" in typed:
        return []
    found = []
    starts = Q(name__istartswith=typed) | Q(name__icontains=f" {typed}")
    for kind, model, alias in (("actor", Actor, "alternate_names__name"), ("place", Place, "alternate_names__name")):
        matches = (
            model.objects.public()
            .filter(starts | Q(**{f"{alias}__istartswith": typed}))
            .distinct()
            .order_by("name")[:SUGGESTIONS_PER_KIND]
        )
        for item in matches:
            detail = item.get_type_display()
            found.append({"kind": kind, "label": item.name, "detail": detail, "param": kind, "value": str(item.pk)})
    tags = tags_with_counts().filter(name__istartswith=typed)[:SUGGESTIONS_PER_KIND]
    found += [{"kind": "tag", "label": tag.name, "detail": "Tag", "param": "tag", "value": tag.slug} for tag in tags]
    words = typed.rsplit(" ", 1)
    for word in get_backend().suggest_terms(words[-1], limit=SUGGESTIONS_PER_KIND * 2):
        text = f"{words[0]} {word}" if len(words) > 1 else word
        if count_matches(SearchParams(text=word)):
            found.append({"kind": "word", "label": text, "detail": "Search words", "param": "q", "value": text})
        if sum(item["kind"] == "word" for item in found) >= SUGGESTIONS_PER_KIND:
            break
    return found


# Browse pages -------------------------------------------------------------------------------


def actors_by_type() -> list[tuple[str, list[Actor]]]:
    """Public actors with their number of published articles, grouped by type."""
    actors = Actor.objects.public().with_published_article_counts()
    groups = defaultdict(list)
    for actor in actors.order_by("name"):
        groups[actor.type].append(actor)
    return [(label, groups[value]) for value, label in ActorType.choices if groups[value]]


@dataclass
class PlaceNode:
    place: Place
    # None when the engine could not count.
    count: int | None
    children: list["PlaceNode"]


def place_tree() -> list[PlaceNode]:
    """Public places as a tree; each count includes the articles about the places inside it.

    The counts come from the engine's place facet over all published
    articles, which already rolls every article up to the places above it;
    when the engine fails the tree comes from the database without them.
    """
    try:
        facets = search(SearchParams(), facets=("place",)).facets.get("place", [])
    except SearchBackendError as exc:
        logger.error("Place counts left out of the places page: %s", exc)
        counts = None
    else:
        counts = {item.value: item.count for item in facets}
    places = {place.pk: place for place in Place.objects.public().order_by("name")}
    parents = dict(Place.objects.values_list("pk", "parent_id"))

    def nearest_published_parent(pk: int) -> int | None:
        seen, node = {pk}, parents.get(pk)
        while node is not None and node not in seen:
            if node in places:
                return node
            seen.add(node)
            node = parents.get(node)
        return None

    nodes = {
        pk: PlaceNode(place, None if counts is None else counts.get(str(pk), 0), []) for pk, place in places.items()
    }
    roots = []
    for pk in places:
        parent_pk = nearest_published_parent(pk)
        (nodes[parent_pk].children if parent_pk else roots).append(nodes[pk])
    return roots


def tags_with_counts():
    """Tags on published articles, with how many published articles carry each."""
    return public_tags().annotate(article_count=Count("taggit_taggeditem_items", distinct=True)).order_by("name")


@dataclass(frozen=True)
class YearCount:
    year: int
    count: int
    months: list[tuple[dt.date, int]]


def published_years() -> list[YearCount]:
    """Published articles per year, and per month where the date is known to the month."""
    dated = Article.objects.published().exclude(published_start=None)
    years = dated.annotate(year=ExtractYear("published_start")).values("year").annotate(count=Count("pk"))
    months = (
        dated.exclude(published_precision=DatePrecision.YEAR)
        .annotate(year=ExtractYear("published_start"), month=ExtractMonth("published_start"))
        .values("year", "month")
        .annotate(count=Count("pk"))
    )
    by_year = defaultdict(list)
    for row in months.order_by("year", "month"):
        by_year[row["year"]].append((dt.date(row["year"], row["month"], 1), row["count"]))
    return [YearCount(row["year"], row["count"], by_year[row["year"]]) for row in years.order_by("-year")]
