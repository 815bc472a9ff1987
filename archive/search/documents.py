"""The one mapping from an article to its index document.

Every engine indexes exactly this dict, so what is searchable is decided
here and nowhere else. Access points go in twice: as ids (for filters and
facets) and as every name they are known by (so plain words find them).
Places bring their ancestors: an article about Sigonella is an article about
Sicily and Italy too.

Documents are built a batch at a time from plain rows, in a fixed number of
queries per batch: imports and rebuilds index thousands of articles a
second, and model instances with prefetched relations cost more than the
index writer itself.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from taggit.models import TaggedItem

from archive.models import Actor, ActorName, Article, Place, PlaceName

ARTICLE_FIELDS = (
    "pk",
    "title",
    "body",
    "byline",
    "source",
    "language",
    "dateline",
    "status",
    "published_start",
    "published_end",
    "published_precision",
)


def article_document(article: Article) -> dict:
    """The document of one stored article."""
    return article_documents(Article.objects.filter(pk=article.pk))[0]


def article_documents(articles) -> list[dict]:
    """Documents of the articles in this queryset, in its order."""
    rows = list(articles.values(*ARTICLE_FIELDS))
    ids = [row["pk"] for row in rows]
    actor_links = _pairs(Article.actors.through.objects.filter(article_id__in=ids), "actor_id")
    place_links = _pairs(Article.places.through.objects.filter(article_id__in=ids), "place_id")
    tags = defaultdict(list)
    for article_id, slug, name in TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id__in=ids
    ).values_list("object_id", "tag__slug", "tag__name"):
        tags[article_id].append((slug, name))
    actor_names = _actor_names({pk for linked in actor_links.values() for pk in linked})
    places = _Places({pk for linked in place_links.values() for pk in linked})
    return [
        _document(
            row, actor_links.get(row["pk"], ()), place_links.get(row["pk"], ()), tags[row["pk"]], actor_names, places
        )
        for row in rows
    ]


def _pairs(through_rows, target: str) -> dict[int, list[int]]:
    linked = defaultdict(list)
    for article_id, target_id in through_rows.values_list("article_id", target):
        linked[article_id].append(target_id)
    return linked


def _actor_names(actor_ids: set[int]) -> dict[int, list[str]]:
    names = {pk: [name] for pk, name in Actor.objects.filter(pk__in=actor_ids).values_list("pk", "name")}
    for actor_id, name in ActorName.objects.filter(actor_id__in=actor_ids).values_list("actor_id", "name"):
        names[actor_id].append(name)
    return names


class _Places:
    """The linked places and all their ancestors, with their names, read level by level."""

    def __init__(self, place_ids: set[int]):
        self.rows: dict[int, tuple[int | None, str]] = {}
        self.names: dict[int, list[str]] = defaultdict(list)
        wanted = set(place_ids)
        while wanted:
            found = Place.objects.filter(pk__in=wanted).values_list("pk", "name", "parent_id", "country_code")
            for pk, name, parent_id, country_code in found:
                self.rows[pk] = (parent_id, country_code)
                self.names[pk].append(name)
            wanted = {parent for parent, _ in self.rows.values() if parent is not None} - set(self.rows)
        for place_id, name in PlaceName.objects.filter(place_id__in=list(self.rows)).values_list("place_id", "name"):
            self.names[place_id].append(name)

    def with_ancestors(self, place_id: int) -> Iterable[int]:
        """The place, then its parents from the nearest up, stopping at a cycle rather than looping."""
        seen = set()
        while place_id is not None and place_id not in seen and place_id in self.rows:
            seen.add(place_id)
            yield place_id
            place_id = self.rows[place_id][0]


def _document(row: dict, actor_ids, place_ids, tags, actor_names: dict, places: _Places) -> dict:
    all_place_ids, place_names, country_codes = set(), set(), set()
    for place_id in place_ids:
        for node in places.with_ancestors(place_id):
            if node in all_place_ids:
                continue
            all_place_ids.add(node)
            place_names.update(places.names[node])
            if places.rows[node][1]:
                country_codes.add(places.rows[node][1].lower())

    start, end = row["published_start"], row["published_end"]
    document = {
        "id": row["pk"],
        "title": row["title"],
        "body": row["body"],
        "byline": row["byline"],
        "source": row["source"],
        "language": row["language"],
        "dateline": row["dateline"],
        "status": row["status"],
        "published_start": start,
        "published_end": end,
        "year": start.year if start else None,
        "month": f"{start:%Y-%m}" if start and row["published_precision"] != "year" else None,
        "actor_ids": sorted(actor_ids),
        "actor_names": sorted({name for pk in actor_ids for name in actor_names[pk]}),
        "place_ids": sorted(all_place_ids),
        "place_names": sorted(place_names),
        "country_codes": sorted(country_codes),
        "tags": sorted(slug for slug, _ in tags),
        "tag_names": sorted({name for _, name in tags}),
    }
    document["fingerprint"] = fingerprint(document)
    return document


def fingerprint(document: dict) -> str:
    """A hash of the document's content, so a check can tell a stale entry from a current one."""
    content = {key: value for key, value in document.items() if key != "fingerprint"}
    encoded = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]
