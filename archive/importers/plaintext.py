"""The plain-text news format of the seed article.

::

    Italy Agrees to Launch US Armed Drones on their Airbase ...

    By Staff Writer | Feb 24, 2016 05:42 AM EST

    First paragraph ...

    More Sections

The first line is the title; the byline gives the author and the published
date and time with a time-zone abbreviation; paragraphs follow, separated by
blank lines. Trailing site furniture ("More Sections") is dropped.
"""

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from archive.importers.files import MAX_ARTICLE_BYTES, check_readable, decode_utf8, read_limited
from archive.importers.records import ArticleRecord, ParseError, Published
from archive.models import DatePrecision

# Offsets in hours. Only unambiguous abbreviations: IST (India, Israel, Ireland) is not here on purpose.
TIME_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "BST": 1,
    "WEST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "GST": 4,
    "PKT": 5,
    "HKT": 8,
    "SGT": 8,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "AST": -4,
    "ADT": -3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
}

BYLINE = re.compile(r"^By\s+(?P<author>[^|]*?)\s*\|\s*(?P<when>.+?)\s*$")
WHEN = re.compile(
    r"^(?P<date>[A-Za-z]{3,9}\.?\s+\d{1,2},\s*\d{4})"
    r"(?:\s+(?P<time>\d{1,2}:\d{2})\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*(?P<zone>[A-Za-z]{1,5}|[+-]\d{2}:?\d{2})?)?$"
)
BOILERPLATE = ("More Sections",)


def parse_file(path: Path, *, max_bytes: int = MAX_ARTICLE_BYTES) -> Iterator[ArticleRecord]:
    """The one article in the file; ``ParseError`` naming the file and the problem."""
    check_readable(path)
    text = decode_utf8(read_limited(path, max_bytes=max_bytes), label=path.name)
    record = parse_text(text, label=path.name)
    record.source_file = path.name
    yield record


def parse_text(text: str, *, label: str) -> ArticleRecord:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise ParseError(f"{label}: empty file")
    title = " ".join(lines.pop(0).split())
    if BYLINE.match(title):
        raise ParseError(f"{label}: no title (the first line is the byline)")
    if len(title) > 500:
        raise ParseError(f"{label}: the first line is {len(title)} characters long, too long for a title (500 at most)")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines or not lines[0].strip().startswith("By "):
        raise ParseError(f"{label}: no byline (expected 'By NAME | Mon DD, YYYY HH:MM AM TZ' after the title)")
    byline_line = lines.pop(0).strip()
    author, published = parse_byline(byline_line, label=label)
    return ArticleRecord(
        title=title,
        body="\n\n".join(_paragraphs(lines)),
        byline=author,
        published=published,
        label=label,
    )


def parse_byline(line: str, *, label: str) -> tuple[str, Published]:
    """``By NAME | Feb 24, 2016 05:42 AM EST`` -> the author and the publication time in UTC."""

    def refuse(reason: str) -> ParseError:
        return ParseError(f"{label}: byline does not parse ({reason}): {line!r}")

    match = BYLINE.match(line)
    if not match:
        raise refuse("expected 'By NAME | Mon DD, YYYY HH:MM AM TZ'")
    author = " ".join(match["author"].split())
    if not author:
        raise refuse("no author name")
    if len(author) > 255:
        raise refuse("the author name is longer than 255 characters")
    when = WHEN.match(match["when"])
    if not when:
        raise refuse("the date is not like 'Feb 24, 2016 05:42 AM EST'")
    date_text = " ".join(when["date"].replace(".", "").replace(",", ", ").split()).replace(" ,", ",")
    local_date = None
    for pattern in ("%b %d, %Y", "%B %d, %Y"):
        try:
            local_date = dt.datetime.strptime(date_text, pattern).date()
            break
        except ValueError:
            continue
    if local_date is None:
        raise refuse(f"no such date {when['date']!r}")
    at = None
    if when["time"]:
        at = _utc_instant(local_date, when["time"], when["ampm"], when["zone"], refuse)
    return author, Published(local_date, local_date, DatePrecision.DAY, at)


def _utc_instant(local_date, time_text, ampm, zone, refuse) -> dt.datetime:
    hour, minute = (int(part) for part in time_text.split(":"))
    if ampm:
        if not 1 <= hour <= 12:
            raise refuse(f"no such time {time_text} {ampm}")
        hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise refuse(f"no such time {time_text}")
    if not zone:
        raise refuse("the time has no time zone")
    offset = _offset(zone)
    if offset is None:
        raise refuse(f"unknown time zone {zone!r}")
    local = dt.datetime.combine(local_date, dt.time(hour, minute), tzinfo=offset)
    return local.astimezone(dt.UTC)


def _offset(zone: str) -> dt.timezone | None:
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None  # no such offset: "+9999" is not a time zone
        minutes += hours * 60
        return dt.timezone(dt.timedelta(minutes=-minutes if zone[0] == "-" else minutes))
    hours = TIME_ZONES.get(zone.upper())
    return None if hours is None else dt.timezone(dt.timedelta(hours=hours))


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    while paragraphs:
        last = paragraphs[-1]
        furniture = next((item for item in BOILERPLATE if last.endswith(item)), None)
        if furniture is None:
            break
        # Scraped pages sometimes glue the furniture onto the last sentence.
        rest = last[: -len(furniture)].strip()
        if rest:
            paragraphs[-1] = rest
            break
        paragraphs.pop()
    return paragraphs
