"""The one mapping from an article to its Dublin Core record (``oai_dc``).

Only what the public site shows goes in: published actors and places, and
a duplicate's relation only when the earlier article is published too. A
page of records is built in a fixed number of queries, whatever its size.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils.html import strip_tags
from django.utils.text import Truncator
from taggit.models import TaggedItem

from archive.models import Article, AuthorityStatus, DatePrecision, Place

OAI_DC = "oai_dc"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
OAI_DC_NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
# metadataPrefix -> (schema, namespace): what ListMetadataFormats declares.
FORMATS = {OAI_DC: (OAI_DC_SCHEMA, OAI_DC_NAMESPACE)}
DESCRIPTION_WORDS = 60
# Coverage reads from the widest place down, as in library subject headings: "Italy -- Sicily -- Sigonella".
HIERARCHY_SEPARATOR = " -- "
# The order oai_dc.xsd lists the elements in; a record is written in it.
ELEMENTS = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "date",
    "type",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
)


@dataclass
class DublinCore:
    """Each Dublin Core element's values, in order."""

    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, element: str, value: str | None) -> None:
        if value:
            self.values[element].append(value)

    def items(self):
        for element in ELEMENTS:
            for value in self.values.get(element, ()):
                yield element, value


def published_date(article: Article) -> str:
    """The published range at its precision: ``2016``, ``2016-02``, ``2016-02-24``, or an ISO 8601 interval."""
    start, end = article.published_start, article.published_end
    if start is None:
        return ""
    if article.published_precision == DatePrecision.YEAR:
        return f"{start:%Y}"
    if article.published_precision == DatePrecision.MONTH:
        return f"{start:%Y-%m}"
    if end is None or end == start:
        return start.isoformat()
    return f"{start.isoformat()}/{end.isoformat()}"


def creator(byline: str) -> str:
    """The byline as printed, less the word "By" newspapers put before it."""
    byline = byline.strip()
    return byline[3:].strip() if byline[:3].lower() == "by " else byline


def excerpt(body: str) -> str:
    return Truncator(" ".join(strip_tags(body).split())).words(DESCRIPTION_WORDS)


def dublin_core_records(article_ids: list[int], *, article_url: str) -> dict[int, DublinCore]:
    """The records of those of these articles that are published; ``article_url`` has a ``{slug}`` slot."""
    # Read by id alone and checked here: a status filter lets a planner whose statistics are stale (right after an
    # import) scan every published article for a page of a hundred.
    articles = [
        article
        for article in Article.objects.filter(pk__in=article_ids)
        .select_related("duplicate_of")
        .only(
            "pk",
            "title",
            "slug",
            "byline",
            "source",
            "source_url",
            "language",
            "body",
            "published_start",
            "published_end",
            "published_precision",
            "status",
            "duplicate_of__slug",
            "duplicate_of__status",
        )
        if article.is_public
    ]
    ids = [article.pk for article in articles]
    tags = _tag_names(ids)
    actors = _actor_names(ids)
    coverage = _coverage(ids)
    records = {}
    for article in articles:
        record = DublinCore()
        record.add("title", article.title)
        record.add("creator", creator(article.byline))
        for subject in [*tags[article.pk], *actors[article.pk]]:
            record.add("subject", subject)
        record.add("description", excerpt(article.body))
        record.add("publisher", article.source)
        record.add("date", published_date(article))
        record.add("type", "Text")
        record.add("identifier", article_url.format(slug=article.slug))
        record.add("source", article.source_url)
        record.add("language", article.language)
        duplicate_of = article.duplicate_of
        if duplicate_of is not None and duplicate_of.is_public:
            record.add("relation", article_url.format(slug=duplicate_of.slug))
        for place in coverage[article.pk]:
            record.add("coverage", place)
        records[article.pk] = record
    return records


def _tag_names(article_ids: list[int]) -> dict[int, list[str]]:
    names = defaultdict(list)
    tagged = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id__in=article_ids
    )
    for article_id, name in tagged.order_by("tag__name").values_list("object_id", "tag__name"):
        names[article_id].append(name)
    return names


def _actor_names(article_ids: list[int]) -> dict[int, list[str]]:
    names = defaultdict(list)
    links = Article.actors.through.objects.filter(article_id__in=article_ids, actor__status=AuthorityStatus.PUBLISHED)
    for article_id, name in links.order_by("actor__name").values_list("article_id", "actor__name"):
        names[article_id].append(name)
    return names


def _coverage(article_ids: list[int]) -> dict[int, list[str]]:
    """Each published place with the published places above it, widest first."""
    pairs = list(
        Article.places.through.objects.filter(article_id__in=article_ids).values_list("article_id", "place_id")
    )
    rows: dict[int, tuple[str, int | None, str]] = {}
    wanted = {place_id for _, place_id in pairs}
    while wanted:
        for pk, name, parent_id, status in Place.objects.filter(pk__in=wanted).values_list(
            "pk", "name", "parent_id", "status"
        ):
            rows[pk] = (name, parent_id, status)
        wanted = {parent for _, parent, _ in rows.values() if parent is not None} - set(rows)
    coverage = defaultdict(list)
    for article_id, place_id in pairs:
        if place_id not in rows or rows[place_id][2] != AuthorityStatus.PUBLISHED:
            continue
        chain, seen, node = [], set(), place_id
        while node in rows and node not in seen:
            seen.add(node)
            name, parent_id, status = rows[node]
            if status == AuthorityStatus.PUBLISHED:
                chain.append(name)
            node = parent_id
        coverage[article_id].append(HIERARCHY_SEPARATOR.join(reversed(chain)))
    for places in coverage.values():
        places.sort()
    return coverage
