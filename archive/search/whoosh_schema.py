"""What an article is in the Whoosh index: its fields, analysers and the values written for each."""

import datetime as dt

from whoosh import columns, fields
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.support.charset import accent_map

# Query-language field names mapped to index fields.
FIELD_ALIASES = {
    "actor": "actor_names",
    "place": "place_names",
    "tag": "tag_names",
    "source": "source",
    "title": "title",
    "body": "body",
    "byline": "byline",
    "author": "byline",
}
# Plain words search three fields; every name, byline, source and dateline is in ``names``,
# which keeps a query to three posting lists per word instead of eight.
DEFAULT_FIELDS = ["title", "body", "names"]
TEXT_FIELDS = [*DEFAULT_FIELDS, "actor_names", "place_names", "tag_names", "byline", "source"]
FIELD_BOOSTS = {"title": 3.0, "names": 1.5}
FACET_KEYS = ("actor", "place", "tag", "source", "year", "month")
STATUS, START, END, ARTICLE = 6, 7, 8, 9  # positions after the facets in each document's facet-column row
MULTI_VALUED = {"actor", "place", "tag"}


def _analyzer():
    return StemmingAnalyzer() | CharsetFilter(accent_map)


def _word_analyzer():
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def build_schema() -> fields.Schema:
    text = _analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=text, field_boost=FIELD_BOOSTS["title"]),
        body=fields.TEXT(analyzer=text, stored=True),
        # Unstemmed words of titles and access-point names: the dictionary for
        # "did you mean" and typing suggestions. Spelling the whole body would
        # cost a third of the indexing time.
        words=fields.TEXT(analyzer=_word_analyzer(), phrase=False),
        byline=fields.TEXT(analyzer=text),
        source=fields.TEXT(analyzer=text),
        names=fields.TEXT(analyzer=text, field_boost=FIELD_BOOSTS["names"]),
        actor_names=fields.TEXT(analyzer=text),
        place_names=fields.TEXT(analyzer=text),
        tag_names=fields.TEXT(analyzer=text),
        actor_id=fields.KEYWORD(commas=True),
        place_id=fields.KEYWORD(commas=True),
        tag=fields.KEYWORD(commas=True),
        source_exact=fields.ID(),
        status=fields.ID(),
        start=fields.NUMERIC(int, bits=32, sortable=True),
        end=fields.NUMERIC(int, bits=32),
        facets=fields.COLUMN(columns.PickleColumn(columns.VarBytesColumn())),
        meta=fields.COLUMN(columns.PickleColumn(columns.VarBytesColumn())),
    )


def day_number(value: dt.date | None) -> int | None:
    return value.year * 10000 + value.month * 100 + value.day if value else None


def to_whoosh(document: dict) -> dict:
    """Flatten the shared document into Whoosh field values."""
    start = day_number(document["published_start"])
    end = day_number(document["published_end"])
    fields_ = {
        "id": str(document["id"]),
        "title": document["title"],
        "body": document["body"],
        "byline": document["byline"],
        "source": document["source"],
        "names": "\n".join(
            [
                *document["actor_names"],
                *document["place_names"],
                *document["tag_names"],
                document["byline"],
                document["source"],
                document["dateline"],
            ]
        ),
        "actor_names": "\n".join(document["actor_names"]),
        "place_names": "\n".join(document["place_names"]),
        "tag_names": "\n".join(document["tag_names"]),
        "words": "\n".join(
            [document["title"], *document["actor_names"], *document["place_names"], *document["tag_names"]]
        ),
        "actor_id": ",".join(map(str, document["actor_ids"])),
        "place_id": ",".join(map(str, document["place_ids"])),
        "tag": ",".join(document["tags"]),
        "source_exact": document["source"],
        "status": document["status"],
        "facets": (
            tuple(map(str, document["actor_ids"])),
            tuple(map(str, document["place_ids"])),
            tuple(document["tags"]),
            document["source"],
            str(document["year"]) if document["year"] else None,
            document["month"],
            document["status"],
            start,
            end,
            document["id"],
        ),
        "meta": (document["id"], document["fingerprint"]),
    }
    if start is not None:
        fields_["start"] = start
        fields_["end"] = end
    return {key: value for key, value in fields_.items() if value not in ("", None)}
