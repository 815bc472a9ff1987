"""JSON Lines and CSV with the documented columns."""

import datetime as dt
import json

import pytest

from archive.importers import csv_format, jsonl
from archive.importers.files import detect_format
from archive.importers.records import ParseError, RecordError

STORY = {
    "id": "wire-0042",
    "title": "Tunisia Reinforces Border Posts After Raid",
    "byline": "Amel Ben Salah",
    "source": "Maghreb Wire",
    "url": "https://example.org/news/tunisia-border",
    "published": "2016-03-07T14:30:00+01:00",
    "language": "fr",
    "body": "Tunisia sent more troops to its border with Libya on Monday.",
    "actors": ["Tunisian Army", {"name": "Islamic State", "type": "armed_group"}],
    "places": [{"name": "Ben Gardane", "type": "city", "country_code": "tn"}, "Libya"],
    "tags": ["border security", "raids"],
}


def write_jsonl(tmp_path, *lines, name="feed.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(line) if isinstance(line, dict) else line for line in lines) + "\n")
    return path


def test_jsonl_every_documented_column(tmp_path):
    """Each column lands in its field; lists give actors, places (with type and code) and tags."""
    [record] = jsonl.parse_file(write_jsonl(tmp_path, STORY))
    assert (record.title, record.byline, record.source, record.language) == (
        "Tunisia Reinforces Border Posts After Raid",
        "Amel Ben Salah",
        "Maghreb Wire",
        "fr",
    )
    assert record.source_url == "https://example.org/news/tunisia-border"
    assert record.provider_id == "wire-0042"
    assert [(a.name, a.type) for a in record.actors] == [("Tunisian Army", ""), ("Islamic State", "armed_group")]
    assert [(p.name, p.type, p.country_code) for p in record.places] == [
        ("Ben Gardane", "city", "TN"),
        ("Libya", "", ""),
    ]
    assert record.tags == ["border security", "raids"]


def test_jsonl_iso_datetime_keeps_local_day_and_utc_instant(tmp_path):
    """A date-time with an offset gives the local day and the UTC instant."""
    [record] = jsonl.parse_file(write_jsonl(tmp_path, STORY))
    assert record.published.start == dt.date(2016, 3, 7)
    assert record.published.at == dt.datetime(2016, 3, 7, 13, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("published", "start", "end", "precision"),
    [
        ("2016", dt.date(2016, 1, 1), dt.date(2016, 12, 31), "year"),
        ("2016-02", dt.date(2016, 2, 1), dt.date(2016, 2, 29), "month"),
        ("2016-02-24", dt.date(2016, 2, 24), dt.date(2016, 2, 24), "day"),
    ],
)
def test_jsonl_partial_dates_cover_their_period(tmp_path, published, start, end, precision):
    """YYYY, YYYY-MM and YYYY-MM-DD are ranges padded to the end of the period."""
    [record] = jsonl.parse_file(write_jsonl(tmp_path, {"title": "Budget vote", "published": published}))
    assert (record.published.start, record.published.end, record.published.precision) == (start, end, precision)
    assert record.published.at is None


def test_jsonl_bad_line_is_one_error_and_the_others_are_read(tmp_path):
    """Broken JSON names the file and line; the lines around it are still records."""
    path = write_jsonl(tmp_path, STORY, '{"title": "Half a line', {"title": "Ceasefire holds in Tripoli"})
    first, error, last = jsonl.parse_file(path)
    assert str(error) == "feed.jsonl line 2: not valid JSON (Unterminated string starting at column 11)"
    assert (first.title, last.title) == (STORY["title"], "Ceasefire holds in Tripoli")


def test_jsonl_record_without_title(tmp_path):
    """A record with no title is refused with its line and id."""
    [error] = jsonl.parse_file(write_jsonl(tmp_path, {"id": "x1", "body": "Text without a headline."}))
    assert isinstance(error, RecordError)
    assert str(error) == "feed.jsonl line 1 (id=x1): no title"


def test_jsonl_unreadable_published(tmp_path):
    """A published value in none of the documented shapes says which shapes are allowed."""
    [error] = jsonl.parse_file(write_jsonl(tmp_path, {"title": "Budget vote", "published": "24/02/2016"}))
    assert str(error) == (
        "feed.jsonl line 1: published '24/02/2016' is not YYYY, YYYY-MM, YYYY-MM-DD or an ISO date-time "
        "such as 2016-02-24T05:42:00-05:00"
    )


def test_jsonl_unknown_actor_type(tmp_path):
    """An actor type outside the vocabulary is refused with the allowed values."""
    [error] = jsonl.parse_file(write_jsonl(tmp_path, {"title": "T", "actors": [{"name": "X", "type": "militia"}]}))
    assert str(error).startswith("feed.jsonl line 1: actors: unknown type 'militia' (use person, organisation,")


def test_csv_columns_and_semicolon_lists(tmp_path):
    """CSV has a header row; lists are ;-separated; a spreadsheet's byte-order mark is fine."""
    path = tmp_path / "collection.csv"
    path.write_text(
        "\ufefftitle,byline,published,actors,places,tags,body\n"
        "Sabratha Strike Kills Dozens,Staff,2016-02-19,Islamic State; United States,Sabratha;Libya,"
        '"drones; air strikes",'
        '"Warplanes struck a training camp.\n\nOfficials confirmed the raid."\n',
        encoding="utf-8",
    )
    [record] = csv_format.parse_file(path)
    assert record.title == "Sabratha Strike Kills Dozens"
    assert [a.name for a in record.actors] == ["Islamic State", "United States"]
    assert [p.name for p in record.places] == ["Sabratha", "Libya"]
    assert record.tags == ["drones", "air strikes"]
    assert record.body == "Warplanes struck a training camp.\n\nOfficials confirmed the raid."
    assert record.published.start == dt.date(2016, 2, 19)


def test_csv_without_title_column_is_refused(tmp_path):
    """A header without a title column cannot give articles."""
    path = tmp_path / "people.csv"
    path.write_text("name,age\nAda,36\n")
    with pytest.raises(ParseError, match=r"^people.csv: no title column in the header row$"):
        list(csv_format.parse_file(path))


def test_csv_row_with_too_many_cells(tmp_path):
    """A row longer than the header is an error for that row only."""
    path = tmp_path / "rows.csv"
    path.write_text("title,body\nFirst,One\nSecond,Two,extra\nThird,Three\n")
    records = list(csv_format.parse_file(path))
    assert str(records[1]) == "rows.csv line 3: more cells than the header has columns"
    assert [r.title for r in (records[0], records[2])] == ["First", "Third"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.sgm", b"", "reuters"),
        ("a.jsonl", b"", "jsonl"),
        ("a.csv", b"", "csv"),
        ("a.txt", b"", "text"),
        ("feed", b'{"title": "x"}\n', "jsonl"),
        ("dump", b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n<REUTERS NEWID="1">', "reuters"),
        ("sheet", b"title,body\nA,B\n", "csv"),
        ("story", b"A Title\n\nBy Someone | Feb 24, 2016 05:42 AM EST\n", "text"),
    ],
)
def test_format_from_extension_or_content(tmp_path, name, content, expected):
    """The extension decides; without one, the first bytes do."""
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected
