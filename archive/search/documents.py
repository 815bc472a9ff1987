"""The one mapping from an article to its index document.

Every engine indexes exactly this dict, so what is searchable is decided
here and nowhere else. Access points go in twice: as ids (for filters and
facets) and as every name they are known by (so plain words find them).
Places bring their ancestors: an article about Sigonella is an article about
Sicily and Italy too.
"""

import hashlib
import json

from archive.models import Article


def article_document(article: Article) -> dict:
    """Build the document; expects ``Article.objects.for_indexing()`` prefetches."""
    actors = list(article.actors.all())
    places = list(article.places.all())
    tags = list(article.tags.all())

    place_ids, place_names, country_codes = [], [], set()
    for place in places:
        for node in [place, *place.ancestors()]:
            if node.pk in place_ids:
                continue
            place_ids.append(node.pk)
            place_names.extend(node.all_names())
            if node.country_code:
                country_codes.add(node.country_code.lower())

    start, end = article.published_start, article.published_end
    document = {
        "id": article.pk,
        "title": article.title,
        "body": article.body,
        "byline": article.byline,
        "source": article.source,
        "language": article.language,
        "dateline": article.dateline,
        "status": article.status,
        "published_start": start,
        "published_end": end,
        "year": start.year if start else None,
        "month": f"{start:%Y-%m}" if start and article.published_precision != "year" else None,
        "actor_ids": sorted(actor.pk for actor in actors),
        "actor_names": sorted({name for actor in actors for name in actor.all_names()}),
        "place_ids": sorted(place_ids),
        "place_names": sorted(set(place_names)),
        "country_codes": sorted(country_codes),
        "tags": sorted(tag.slug for tag in tags),
        "tag_names": sorted({tag.name for tag in tags}),
    }
    document["fingerprint"] = fingerprint(document)
    return document


def fingerprint(document: dict) -> str:
    """A hash of the document's content, so a check can tell a stale entry from a current one."""
    content = {key: value for key, value in document.items() if key != "fingerprint"}
    encoded = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]
