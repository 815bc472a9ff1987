"""Taking results away: the whole result set of a search as CSV or JSON, streamed.

Column names are stable and close to what conflict-event researchers use.
An article can have several places: ``places``, ``latitude`` and
``longitude`` then hold one value per place in the same order (joined with
"; " in CSV), so each coordinate pairs with its place.
"""

import json
from collections.abc import Iterator

from django.urls import reverse

from archive import selectors
from archive.csv_cells import FormulaSafeWriter
from archive.forms import SearchParams
from archive.models import Place
from archive.selectors import ExportRow

COLUMNS = (
    "id",
    "url",
    "title",
    "published",
    "date_precision",
    "source",
    "byline",
    "actors",
    "actor_types",
    "places",
    "country_codes",
    "latitude",
    "longitude",
    "tags",
)
LIST_SEPARATOR = "; "


class CountryCodes:
    """Each place's country code, taken from the nearest place up its hierarchy that has one."""

    def __init__(self):
        rows = list(Place.objects.values_list("pk", "parent_id", "country_code"))
        self.parents = {pk: parent for pk, parent, _ in rows}
        self.codes = {pk: code for pk, _, code in rows if code}

    def of(self, place_id: int) -> str:
        seen, node = set(), place_id
        while node is not None and node not in seen:
            if node in self.codes:
                return self.codes[node].upper()
            seen.add(node)
            node = self.parents.get(node)
        return ""


def article_record(row: ExportRow, *, article_url: str, countries: CountryCodes) -> dict:
    """One article as export fields; lists stay lists (CSV joins them)."""
    article, actors, places = row.article, row.actors, row.places
    start = article.published_start
    published = ""
    if start:
        published = {"year": f"{start:%Y}", "month": f"{start:%Y-%m}"}.get(
            article.published_precision, start.isoformat()
        )
    return {
        "id": article.pk,
        "url": article_url.format(slug=article.slug),
        "title": article.title,
        "published": published,
        "date_precision": article.published_precision,
        "source": article.source,
        "byline": article.byline,
        "actors": [actor.name for actor in actors],
        "actor_types": [actor.type for actor in actors],
        "places": [place.name for place in places],
        "country_codes": sorted({code for code in (countries.of(place.pk) for place in places) if code}),
        "latitude": [place.latitude for place in places],
        "longitude": [place.longitude for place in places],
        "tags": row.tags,
    }


def article_url_template(base_url: str) -> str:
    """An article's permanent address with ``{slug}`` for its slug.

    Reversing the URL once instead of per row: at 100,000 rows that is seconds.
    """
    return base_url + reverse("archive:article", args=["SLUG"]).replace("SLUG", "{slug}")


def records(params: SearchParams, *, base_url: str) -> Iterator[dict]:
    countries = CountryCodes()
    article_url = article_url_template(base_url)
    for row in selectors.iter_export_rows(params):
        yield article_record(row, article_url=article_url, countries=countries)


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join("" if item is None else str(item) for item in value)
    return "" if value is None else str(value)


def csv_lines(params: SearchParams, *, base_url: str) -> Iterator[str]:
    writer = FormulaSafeWriter(_Echo())
    yield writer.writerow(COLUMNS)
    for record in records(params, base_url=base_url):
        yield writer.writerow([_csv_cell(record[column]) for column in COLUMNS])


def json_chunks(params: SearchParams, *, base_url: str) -> Iterator[str]:
    """A JSON document written piece by piece: the search, its total and every article."""
    query = {key: value for key, value in params.query_pairs() if key not in {"page", "per_page"}}
    yield '{"query": ' + json.dumps(query, ensure_ascii=False)
    yield ', "total": ' + str(selectors.count_matches(params))
    yield ', "columns": ' + json.dumps(COLUMNS) + ', "articles": ['
    for position, record in enumerate(records(params, base_url=base_url)):
        yield ("," if position else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]}\n"
