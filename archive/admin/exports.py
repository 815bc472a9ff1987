"""Articles out of the admin as CSV or JSON: every field an archivist works with, streamed in chunks."""

import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from archive.csv_cells import FormulaSafeWriter
from archive.models import Article

COLUMNS = (
    *("id", "slug", "title", "status", "byline", "source", "source_url", "language"),
    *("published_start", "published_end", "published_precision", "published_at", "dateline", "dateline_place"),
    *("actors", "places", "tags", "provider_id", "source_file", "checksum", "created_at", "updated_at", "body"),
)
LIST_SEPARATOR = "; "
CHUNK = 500


def article_rows(articles: QuerySet[Article]) -> Iterator[dict]:
    """One dict per article, links as lists of names, in a bounded number of queries per chunk."""
    queryset = articles.order_by("pk").select_related("dateline_place").prefetch_related("actors", "places", "tags")
    for article in queryset.iterator(chunk_size=CHUNK):
        row = {column: getattr(article, column, None) for column in COLUMNS}
        row.update(
            dateline_place=article.dateline_place.name if article.dateline_place else None,
            actors=[actor.name for actor in article.actors.all()],
            places=[place.name for place in article.places.all()],
            tags=sorted(tag.name for tag in article.tags.all()),
        )
        yield row


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def csv_response(articles: QuerySet[Article]) -> StreamingHttpResponse:
    writer = FormulaSafeWriter(_Echo())
    lines = (writer.writerow([_cell(row[c]) for c in COLUMNS]) for row in article_rows(articles))
    response = StreamingHttpResponse(
        (line for chunk in ([writer.writerow(COLUMNS)], lines) for line in chunk), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="articles-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response


def json_response(articles: QuerySet[Article]) -> StreamingHttpResponse:
    def chunks():
        yield "[\n"
        for n, row in enumerate(article_rows(articles)):
            yield (",\n" if n else "") + json.dumps(row, default=_cell, ensure_ascii=False)
        yield "\n]\n"

    response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="articles-{timezone.now():%Y%m%d-%H%M}.json"'
    return response
