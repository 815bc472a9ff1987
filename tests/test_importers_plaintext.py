"""The plain-text news format of the seed article: title, byline with date and time zone, paragraphs."""

import datetime as dt
from pathlib import Path

import pytest

from archive.importers import plaintext
from archive.importers.records import ParseError, text_checksum

SEED = Path(__file__).resolve().parent.parent / "seeds" / "2016-02-24-italy-us-drones-sigonella.txt"

ARTICLE = (
    "Coastguard Rescues Fishing Crew Off Lampedusa\n"
    "\n"
    "By Maria Rossi | Mar 3, 2017 09:15 PM {zone}\n"
    "\n"
    "The Italian coastguard rescued eleven fishermen on Friday after their trawler sank.\n"
    "\n"
    "All of the crew were brought ashore in Lampedusa.\n"
)


def parse(text: str):
    return plaintext.parse_text(text, label="story.txt")


@pytest.fixture(scope="module")
def seed():
    return next(plaintext.parse_file(SEED))


def test_seed_title(seed):
    """The first line of the seed is its title."""
    assert seed.title == ("Italy Agrees to Launch US Armed Drones on their Airbase to Reinforce Campaign Against ISIS")


def test_seed_byline_is_the_author(seed):
    """The byline's name is stored without 'By' and without the date."""
    assert seed.byline == "Staff Writer"


def test_seed_published_time_is_converted_from_est_to_utc(seed):
    """05:42 AM EST is 10:42 UTC, stored as an aware datetime."""
    assert seed.published.at == dt.datetime(2016, 2, 24, 10, 42, tzinfo=dt.UTC)


def test_seed_published_date_is_the_local_day_with_day_precision(seed):
    """The calendar range is the printed day, to the day."""
    assert (seed.published.start, seed.published.end, seed.published.precision) == (
        dt.date(2016, 2, 24),
        dt.date(2016, 2, 24),
        "day",
    )


def test_seed_body_paragraphs_without_site_furniture(seed):
    """Six paragraphs, from the first sentence to the last, and no trailing 'More Sections'."""
    paragraphs = seed.body.split("\n\n")
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("Italian and the US officials both agreed on Monday")
    assert paragraphs[-1].endswith("conducted by US, British and French warplanes.")
    assert "More Sections" not in seed.body


def test_seed_body_has_no_trailing_no_break_spaces(seed):
    """The no-break spaces after a sentence in the seed are trimmed with the paragraph."""
    assert "was the target of the said attack.\n\n" in seed.body


def test_seed_provenance_is_the_file_name(seed):
    """The record remembers the file it came from."""
    assert seed.source_file == "2016-02-24-italy-us-drones-sigonella.txt"


def test_checksum_ignores_how_the_text_is_wrapped():
    """The same words wrapped differently have the same checksum."""
    assert text_checksum("A  title", "One\ntwo\u00a0 three") == text_checksum("A title", "One two three")


@pytest.mark.parametrize(
    ("zone", "hour_utc"),
    [("EST", 2), ("EDT", 1), ("CST", 3), ("PST", 5), ("GMT", 21), ("UTC", 21), ("CET", 20), ("+0530", 15)],
)
def test_time_zone_abbreviations_are_honoured(zone, hour_utc):
    """9:15 PM in each zone is the right UTC instant (the next day west of Greenwich)."""
    record = parse(ARTICLE.format(zone=zone))
    day = 4 if hour_utc < 12 else 3
    assert record.published.at == dt.datetime(2017, 3, day, hour_utc, 15 if zone != "+0530" else 45, tzinfo=dt.UTC)
    assert record.published.start == dt.date(2017, 3, 3)


def test_furniture_glued_to_the_last_sentence_is_dropped():
    """'More Sections' stuck onto the last paragraph is cut off, the sentence kept."""
    record = parse(ARTICLE.format(zone="EST").rstrip("\n") + "More Sections")
    assert record.body.endswith("brought ashore in Lampedusa.")


def test_first_line_being_the_byline_means_no_title():
    """A file that starts with the byline has no title."""
    with pytest.raises(ParseError, match=r"^story.txt: no title \(the first line is the byline\)$"):
        parse("By Maria Rossi | Mar 3, 2017 09:15 PM EST\n\nText.\n")


def test_missing_byline_is_refused():
    """A title followed straight by text is refused with the expected shape of a byline."""
    with pytest.raises(ParseError) as caught:
        parse("Coastguard Rescues Fishing Crew\n\nThe Italian coastguard rescued eleven fishermen.\n")
    assert str(caught.value) == ("story.txt: no byline (expected 'By NAME | Mon DD, YYYY HH:MM AM TZ' after the title)")


def test_byline_with_an_unreadable_date_is_refused():
    """A byline whose date is not a date says so and quotes the line."""
    with pytest.raises(ParseError) as caught:
        parse("Coastguard Rescues Fishing Crew\n\nBy Maria Rossi | yesterday evening\n\nText.\n")
    assert str(caught.value) == (
        "story.txt: byline does not parse (the date is not like 'Feb 24, 2016 05:42 AM EST'): "
        "'By Maria Rossi | yesterday evening'"
    )


def test_byline_with_an_unknown_time_zone_is_refused():
    """An abbreviation we cannot place on the clock is refused rather than guessed."""
    with pytest.raises(ParseError, match=r"unknown time zone 'XYZ'"):
        parse(ARTICLE.format(zone="XYZ"))


def test_byline_with_an_impossible_day_is_refused():
    """30 February is not a day."""
    with pytest.raises(ParseError, match=r"no such date 'Feb 30, 2017'"):
        parse("Coastguard Rescues Fishing Crew\n\nBy Maria Rossi | Feb 30, 2017 09:15 PM EST\n\nText.\n")


def test_empty_file_is_refused(tmp_path):
    """A file with nothing (or only blank lines) in it is named as empty."""
    path = tmp_path / "blank.txt"
    path.write_text("\n  \n")
    with pytest.raises(ParseError, match=r"^blank.txt: empty file$"):
        next(plaintext.parse_file(path))


def test_binary_file_is_refused(tmp_path):
    """A file with NUL bytes is not text."""
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ParseError, match=r"^photo.txt: binary file, not text$"):
        next(plaintext.parse_file(path))


def test_undecodable_bytes_are_refused_with_their_place(tmp_path):
    """Latin-1 bytes in a UTF-8 file are named, with the line they are on."""
    path = tmp_path / "latin1.txt"
    path.write_bytes(ARTICLE.format(zone="EST").replace("Lampedusa.", "Lampedusa caf\xe9.").encode("latin-1"))
    with pytest.raises(ParseError, match=r"^latin1.txt: not UTF-8 text \(byte 0xe9 on line 7 does not decode\)$"):
        next(plaintext.parse_file(path))


def test_overlong_title_is_refused():
    """A first line longer than a title can be is refused rather than cut."""
    with pytest.raises(ParseError, match=r"^story.txt: the first line is 600 characters long, too long for a title"):
        parse("x" * 600 + "\n\nBy Maria Rossi | Mar 3, 2017 09:15 PM EST\n\nText.\n")
