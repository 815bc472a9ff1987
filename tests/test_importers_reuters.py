"""Reuters-21578 SGML: records in the collection's exact shape, with stories written for these tests."""

import datetime as dt

import pytest

from archive.importers import reuters
from archive.importers.records import ParseError, RecordError
from tests.import_support import HEADER, story


def parse(tmp_path, *stories, name="reut2-test.sgm", encoding="latin-1"):
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(stories)).encode(encoding))
    return list(reuters.parse_file(path))


def test_title_body_and_provider_id(tmp_path):
    """A normal story gives its title, its body without the sign-off, and NEWID as the provider id."""
    [record] = parse(tmp_path, story())
    assert record.title == "FARMERS EXPECT LARGER WHEAT HARVEST"
    assert record.body == (
        "Farmers in the plains states\nexpect a larger winter wheat harvest after <heavy> rains, an\n"
        "industry group said.\n    Prices fell two cents & volume was light."
    )
    assert (record.source, record.provider_id, record.source_file) == ("Reuters", "9001", "reut2-test.sgm")


def test_character_references_become_characters_and_control_codes_go(tmp_path):
    """&lt; and &amp; are decoded; &#2; and &#3; (start and end of text) leave nothing behind."""
    [record] = parse(tmp_path, story())
    assert "<heavy>" in record.body and "&" in record.body
    assert "&#" not in record.body and "\x02" not in record.body and "\x03" not in record.body


def test_date_gives_day_and_instant(tmp_path):
    """DATE is the day (to the day) and the instant, stored as UTC."""
    [record] = parse(tmp_path, story())
    assert record.published.start == record.published.end == dt.date(1987, 3, 12)
    assert record.published.precision == "day"
    assert record.published.at == dt.datetime(1987, 3, 12, 14, 5, 33, 210000, tzinfo=dt.UTC)


def test_garbled_clock_keeps_the_day(tmp_path):
    """An impossible hour leaves the instant unknown but keeps the day."""
    [record] = parse(tmp_path, story(date="31-MAR-1987 605:12:19.12"))
    assert record.published.start == dt.date(1987, 3, 31)
    assert record.published.at is None


def test_dateline_is_kept_as_printed_and_names_a_place(tmp_path):
    """The dateline is stored without its padding and dash; its city is offered as the dateline place."""
    [record] = parse(tmp_path, story())
    assert record.dateline == "KANSAS CITY, March 12"
    assert record.dateline_place == "Kansas City"


def test_topics_become_tags(tmp_path):
    """TOPICS codes are the tags."""
    [record] = parse(tmp_path, story())
    assert record.tags == ["grain", "wheat"]


def test_several_places_get_proper_names_and_iso_codes(tmp_path):
    """Codes such as usa, west-germany and ussr become named countries with their 1987 ISO codes."""
    [record] = parse(tmp_path, story(places="<D>usa</D><D>west-germany</D><D>ussr</D><D>el-salvador</D>"))
    assert [(place.name, place.type, place.country_code) for place in record.places] == [
        ("United States", "country", "US"),
        ("West Germany", "country", "DE"),
        ("Soviet Union", "country", "SU"),
        ("El Salvador", "country", "SV"),
    ]


def test_people_and_organisations_become_actors(tmp_path):
    """PEOPLE are persons with readable names; ORGS are organisations with their acronym as an alternate name."""
    [record] = parse(tmp_path, story(people="<D>james-baker</D><D>de-la-madrid</D>", orgs="<D>opec</D>"))
    assert [(actor.name, actor.type) for actor in record.actors] == [
        ("James Baker", "person"),
        ("Miguel de la Madrid", "person"),
        ("Organization of the Petroleum Exporting Countries", "international_organisation"),
    ]
    assert record.actors[2].alternate_names == (("OPEC", "acronym"),)


def test_story_without_body_keeps_its_title(tmp_path):
    """A BRIEF with only a TITLE is imported with its title and an empty body."""
    brief = "&#2;\n******<TITLE>GRAIN EXPORTS ROSE 3.2 PCT IN WEEK\n</TITLE>Blah blah blah.\n&#3;\n"
    [record] = parse(tmp_path, story(text=brief, text_type=' TYPE="BRIEF"'))
    assert record.title == "GRAIN EXPORTS ROSE 3.2 PCT IN WEEK"
    assert record.body == ""


def test_unprocessed_text_keeps_its_raw_text(tmp_path):
    """TYPE="UNPROC" has no TITLE or BODY: the first line is the title and the whole text the body."""
    raw = (
        "&#2;\nWEEKLY GRAIN INSPECTIONS - MARCH 12\n    Wheat.........512 vs.....498\n"
        "    Corn........1,204 vs...1,150\n&#3;\n"
    )
    [record] = parse(tmp_path, story(text=raw, text_type=' TYPE="UNPROC"'))
    assert record.title == "WEEKLY GRAIN INSPECTIONS - MARCH 12"
    assert record.body == (
        "WEEKLY GRAIN INSPECTIONS - MARCH 12\n    Wheat.........512 vs.....498\n    Corn........1,204 vs...1,150"
    )


def test_empty_story_is_kept_under_its_wire_slug(tmp_path):
    """A story whose TEXT is empty is still a record, titled by the slug the wire gave it."""
    [record] = parse(tmp_path, story(text="&#2;\n&#3;\n", text_type=' TYPE="UNPROC"'))
    assert record.title == "WHEAT HARVEST"
    assert record.body == ""


def test_latin1_bytes_are_read(tmp_path):
    """The files are Latin-1: an e acute byte is an e acute."""
    text = "&#2;\n<TITLE>CAF\xc9 DE COLOMBIA SETS QUOTA</TITLE>\n<BODY>Quota set.\n&#3;</BODY>"
    [record] = parse(tmp_path, story(text=text))
    assert record.title == "CAF\xc9 DE COLOMBIA SETS QUOTA"


def test_missing_date_names_file_and_newid_and_the_rest_is_read(tmp_path):
    """A record without DATE is one error naming the file and NEWID; the next record is still read."""
    records = parse(tmp_path, story(newid="4123", date=None), story(newid="4124"), name="reut2-004.sgm")
    assert isinstance(records[0], RecordError)
    assert str(records[0]) == "reut2-004.sgm NEWID=4123: no DATE"
    assert records[1].provider_id == "4124"


def test_unreadable_date_is_an_error(tmp_path):
    """A DATE that is not a date quotes what it says."""
    [error] = parse(tmp_path, story(newid="77", date="sometime in spring"))
    assert str(error) == "reut2-test.sgm NEWID=77: DATE does not parse: 'sometime in spring'"


def test_record_without_newid_is_named_by_position(tmp_path):
    """Without NEWID the record is named by its place in the file."""
    [error] = parse(tmp_path, story().replace(' NEWID="9001"', ""))
    assert str(error) == "reut2-test.sgm record 1: no NEWID"


def test_record_cut_off_at_end_of_file(tmp_path):
    """A file that ends inside a record reports that record as cut off."""
    [error] = parse(tmp_path, story(newid="12").split("</TEXT>")[0])
    assert str(error) == "reut2-test.sgm NEWID=12: the record is cut off (no </REUTERS>)"


def test_file_without_records_is_refused(tmp_path):
    """A file with no <REUTERS> element is not a Reuters file."""
    path = tmp_path / "notes.sgm"
    path.write_text("Some notes about the collection.\n")
    with pytest.raises(ParseError) as caught:
        list(reuters.parse_file(path))
    assert str(caught.value) == "notes.sgm: no <REUTERS> records found (is it a Reuters-21578 SGML file?)"


def test_record_count_for_progress(tmp_path):
    """The quick count finds every record."""
    path = tmp_path / "reut2-test.sgm"
    path.write_text(HEADER + story(newid="1") + story(newid="2") + story(newid="3"), encoding="latin-1")
    assert reuters.count_records(path) == 3
