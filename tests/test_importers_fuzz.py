"""Property-based fuzzing of the importers: a mutated record is a parsed record or a clear error, never a crash.

Each format starts from a well-formed sample, which Hypothesis mutates
(bytes flipped, cut, repeated, and tokens that mean something to the format
inserted). Whatever comes out, a parser gives ``ArticleRecord`` values the
service can store, ``RecordError`` values naming the record, or a
``ParseError`` naming the file; through the import service, a record that
is refused leaves every stored article as it was.
"""

import json
import tempfile
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st

from archive import importers
from archive.importers.records import ArticleRecord, ParseError, RecordError
from archive.models import Article
from archive.services.imports import articles_import
from tests.import_support import HEADER, story

PLAIN = (
    b"Dock Workers End Week-Long Strike in Genoa\n\n"
    b"By Maria Rossi | Mar 3, 2016 09:15 AM EST\n\n"
    b"Dock workers in Genoa returned to work on Thursday.\n\nMore Sections\n"
)
FIELDS = {
    "id": "g1",
    "title": "Dock Workers End Strike",
    "byline": "Maria Rossi",
    "source": "Wire",
    "url": "https://example.org/genoa",
    "published": "2016-03-03T09:15:00-05:00",
    "language": "it",
    "body": "Dock workers returned.",
    "actors": [{"name": "Port Authority", "type": "organisation"}, "Maria Rossi"],
    "places": [{"name": "Genoa", "type": "city", "country_code": "IT"}],
    "tags": ["strikes", "ports"],
}
JSONL = (json.dumps(FIELDS) + "\n" + json.dumps({"title": "Second story", "published": "2016-03"}) + "\n").encode()
CSV = (
    b"title,byline,published,actors,places,tags,body,id\n"
    b'Dock Workers End Strike,Maria Rossi,2016-03-03,Port Authority;Maria Rossi,Genoa,"strikes; ports",'
    b'"Dock workers returned.\n\nShips sailed.",g1\n'
    b"Second story,,2016,,,,,g2\n"
)
REUTERS = (HEADER + story(newid="1", people="<D>reagan</D>", orgs="<D>gatt</D>") + story(newid="2")).encode("latin-1")
SAMPLES = {"text": (PLAIN, "genoa.txt"), "jsonl": (JSONL, "feed.jsonl"), "csv": (CSV, "sheet.csv")}
SAMPLES["reuters"] = (REUTERS, "reut2-000.sgm")

# Pieces of each format's syntax, and values at the edges of what the parsers convert.
TOKENS = [
    b'"',
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b";",
    b":",
    b"<",
    b">",
    b"&",
    b"&#",
    b"&#99999999;",
    b"&#0;",
    b"&lt;",
    b"<REUTERS>",
    b"</REUTERS>",
    b'<REUTERS NEWID="">',
    b"<TEXT>",
    b"</TEXT>",
    b"<DATE>",
    b"</DATE>",
    b"<D>",
    b"</D>",
    b"null",
    b"true",
    b"1e999",
    b"-0",
    b"9" * 50,
    b"\\u0000",
    b"\\ud800",
    b"By ",
    b" | ",
    b"+9999",
    b"-2400",
    b"13:61",
    b"00:00 AM",
    b"Feb 30, 2016",
    b"31-FEB-1987",
    b"2016-02-30",
    b"0000-01-01",
    b"T25:00",
    b"Z",
    b"\xe2\x80\xa8",
    b" " * 600,
    b"x" * 600,
]


@st.composite
def mutated(draw, sample: bytes) -> bytes:
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 6))):
        operation = draw(st.sampled_from(["set", "insert", "delete", "cut", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if operation == "set" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif operation == "cut":
            del data[at:]
        elif operation == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 200))] * draw(st.integers(1, 3))
    return bytes(data)


def storable(record: ArticleRecord) -> None:
    """What the import service needs of a record to store it."""
    assert record.title.strip() and len(record.title) <= 500
    assert len(record.byline) <= 255 and len(record.source) <= 255 and len(record.language) <= 16
    assert all(ref.name and len(ref.name) <= 255 for ref in [*record.actors, *record.places])
    assert all(tag.strip() for tag in record.tags)
    assert len(record.provider_id) <= 100 and len(record.dateline) <= 255
    if record.published:
        assert record.published.start <= record.published.end
    assert isinstance(record.checksum, str)


def parse(data: bytes, name: str, format: str, max_bytes: int) -> list:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            items = list(importers.parse_path(path, format, max_bytes=max_bytes))
        except ParseError as exc:
            assert str(exc).startswith(f"{name}: ")
            return [exc]
    for item in items:
        if isinstance(item, RecordError):
            assert item.label.startswith(name) and item.message
        else:
            assert isinstance(item, ArticleRecord)
            storable(item)
    return items


FUZZ = fuzzing(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("format", list(SAMPLES))
def test_a_mutated_file_gives_records_or_clear_errors(format):
    """Any mutation of a well-formed file parses to storable records, per-record errors or one file error."""
    sample, name = SAMPLES[format]
    assert all(isinstance(item, ArticleRecord) for item in parse(sample, name, format, max_bytes=10_000))

    @FUZZ
    @given(data=mutated(sample), max_bytes=st.sampled_from([10_000, 300, 40]))
    def check(data, max_bytes):
        parse(data, name, format, max_bytes)

    check()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"title": "Big number", "body": ' + b"1" * 5000 + b"}\n", "not valid JSON (a number too long to read)"),
        (b"[" * 100_000 + b"\n", "not valid JSON (nested too deeply to read)"),
    ],
    ids=["long-integer", "deep-nesting"],
)
def test_json_that_python_cannot_read_is_an_error_for_its_line(data, message):
    """A number of thousands of digits, or arrays nested past the recursion limit, fail that line alone."""
    [error] = parse(data, "feed.jsonl", "jsonl", max_bytes=200_000)
    assert str(error) == f"feed.jsonl line 1: {message}"


def test_a_utc_offset_of_a_day_or_more_is_a_clear_error():
    """'+9999' in a byline is refused as a time zone, not a crash."""
    [error] = parse(PLAIN.replace(b"AM EST", b"AM +9999"), "genoa.txt", "text", max_bytes=10_000)
    assert str(error) == (
        "genoa.txt: byline does not parse (unknown time zone '+9999'): 'By Maria Rossi | Mar 3, 2016 09:15 AM +9999'"
    )


def test_a_reference_to_no_character_is_kept_as_written():
    """``&#99999999;`` (past Unicode) and ``&#55296;`` (a surrogate) stay in the text rather than crash the file."""
    data = REUTERS.replace(b"&lt;heavy>", b"&#99999999; &#55296;", 1)
    first, _ = parse(data, "reut2-000.sgm", "reuters", max_bytes=10_000)
    assert "after &#99999999; &#55296; rains" in first.body


LIMIT = 2000


def stored() -> dict[str, dict]:
    """Every stored article by its identity: the provider id, or the checksum of a story without one."""
    return {row["provider_id"] or row["checksum"]: row for row in Article.objects.values()}


@pytest.mark.django_db
@pytest.mark.parametrize("format", list(SAMPLES))
def test_a_refused_record_changes_nothing_stored(format, tmp_path, settings):
    """Importing a mutated file over the stored sample: what it refuses is reported and leaves its article alone."""
    settings.ARCHIVE_MAX_ARTICLE_BYTES = LIMIT
    sample, name = SAMPLES[format]
    path = tmp_path / name
    path.write_bytes(sample)
    assert articles_import(paths=[path], format=format, suggest=False).failures == []
    before = stored()

    @fuzzing(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=mutated(sample))
    @example(data=sample.replace(b"Dock", b"\xff", 1).replace(b"FARMERS", b"\xff", 1))
    def check(data):
        path.write_bytes(data)
        items = parse(data, name, format, max_bytes=LIMIT)
        parsed = {item.provider_id or item.checksum for item in items if isinstance(item, ArticleRecord)}
        refused = [item for item in items if not isinstance(item, ArticleRecord)]
        with transaction.atomic():
            report = articles_import(paths=[path], format=format, suggest=False)
            after = stored()
            transaction.set_rollback(True)
        assert report.failed == len(refused), report.failures
        assert {key: row for key, row in after.items() if key not in parsed} == {
            key: row for key, row in before.items() if key not in parsed
        }

    check()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"title": "Budget \\ud800 vote"}\n', "title holds \\ud800, which is not a character that can be stored"),
        (
            b'{"title": "Budget", "body": "a\\u0000b"}\n',
            "body holds \\u0000, which is not a character that can be stored",
        ),
        (
            b'{"title": "Budget", "tags": ["x\\udfff"]}\n',
            "tags holds \\udfff, which is not a character that can be stored",
        ),
    ],
    ids=["surrogate-title", "nul-body", "surrogate-tag"],
)
def test_json_escapes_of_characters_no_database_stores_are_an_error_for_their_line(line, message):
    """A lone surrogate or a NUL, which JSON can escape, fails its line rather than the checksum or the database."""
    [error] = parse(line, "feed.jsonl", "jsonl", max_bytes=10_000)
    assert str(error) == f"feed.jsonl line 1: {message}"
