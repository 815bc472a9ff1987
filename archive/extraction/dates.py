"""Dates a text mentions, absolute (``Feb 24, 2016``) or relative to its published date (``last week``).

Each is normalised to a range of days with a precision, as the archive
stores dates: ``February 2016`` covers the whole month.
"""

import datetime as dt
import re
from dataclasses import dataclass

from archive.extraction.vocabulary import MONTHS, WEEKDAYS
from archive.models import DatePrecision, date_range

_MONTH = (
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH_CONTEXT = (
    r"(?P<prep>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ee]arly|[Ll]ate|[Mm]id-|[Ll]ast|[Nn]ext|[Tt]his"
    r"|[Ff]rom|[Tt]hrough|[Bb]efore|[Aa]fter|[Oo]f|[Ee]nd of)"
)
_YEAR_CONTEXT = r"(?P<prep>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ff]rom|[Bb]efore|[Aa]fter|[Ee]arly|[Ll]ate)"
_PERIOD = r"(?P<which>[Ll]ast|[Tt]his|[Nn]ext|[Ee]arlier this|[Ll]ater this)\s+(?P<unit>week|month|year)"
_WEEKDAY_CONTEXT = r"(?P<which>[Oo]n|[Ll]ast|[Nn]ext|[Tt]his|[Ss]ince|[Uu]ntil|[Bb]y|[Ff]rom)"
_LOCATING_PREPOSITIONS = {"in", "since", "until", "by", "during", "from", "of"}

_MONTH_CUES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Each pattern with words one of which it cannot match without (None: no such words): searching a story for
# them is far cheaper than running a pattern that starts with a word boundary over every character.
PATTERNS = [
    ("month_day_year", re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b"), _MONTH_CUES),
    ("day_month_year", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b"), _MONTH_CUES),
    ("month_year", re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b"), _MONTH_CUES),
    ("month", re.compile(rf"\b{_MONTH_CONTEXT}\s+{_MONTH}(?![\w-])"), _MONTH_CUES),
    ("year", re.compile(rf"\b{_YEAR_CONTEXT}\s+{_YEAR}\b(?![/-]\d)"), None),
    ("day_word", re.compile(r"\b(?P<word>[Yy]esterday|[Tt]oday|[Tt]omorrow)\b"), ("esterday", "oday", "omorrow")),
    ("period", re.compile(rf"\b{_PERIOD}\b"), ("week", "month", "year")),
    ("weekday", re.compile(rf"(?:\b{_WEEKDAY_CONTEXT}\s+)?\b{_WEEKDAY}\b"), ("day",)),
]


@dataclass(slots=True)
class DateMention:
    field: str
    start: int
    end: int
    text: str
    first: dt.date
    last: dt.date
    precision: str
    relative: bool

    def evidence(self) -> dict:
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


def find_dates(field: str, text: str, published: dt.date | None) -> list[DateMention]:
    """Every date the text mentions, longest reading first where readings overlap."""
    found = []
    cued: dict[tuple, bool] = {}
    for name, pattern, cues in PATTERNS:
        if cues:
            if cues not in cued:
                cued[cues] = any(cue in text for cue in cues)
            if not cued[cues]:
                continue
        for match in pattern.finditer(text):
            resolved = _resolve(name, match, published)
            if resolved is None:
                continue
            first, last, precision = resolved
            relative = name in {"day_word", "period", "weekday", "month"} or match.groupdict().get("year") is None
            start, end = match.span()
            if name == "month" and match.group("prep").lower() in {
                "in",
                "since",
                "until",
                "by",
                "during",
                "from",
                "of",
            }:
                start = match.start("month")
            found.append(DateMention(field, start, end, text[start:end], first, last, precision, relative))
    found.sort(key=lambda d: (d.start, -(d.end - d.start)))
    chosen, covered_to = [], -1
    for mention in found:
        if mention.start >= covered_to:
            chosen.append(mention)
            covered_to = mention.end
    return chosen


def _resolve(name: str, match: re.Match, published: dt.date | None) -> tuple[dt.date, dt.date, str] | None:
    groups = match.groupdict()
    try:
        if name in {"month_day_year", "day_month_year", "month_year", "month", "year"}:
            return _absolute(name, groups, published)
        if published is None:
            return None
        if name == "day_word":
            offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[groups["word"].lower()]
            day = published + dt.timedelta(days=offset)
            return day, day, DatePrecision.DAY
        if name == "period":
            return _period(groups["which"].lower(), groups["unit"], published)
        return _weekday(groups.get("which"), groups["weekday"], published)
    except ValueError:
        return None


def _absolute(name: str, groups: dict, published: dt.date | None) -> tuple[dt.date, dt.date, str] | None:
    year = int(groups["year"]) if groups.get("year") else None
    month = MONTHS[groups["month"].lower().rstrip(".")] if groups.get("month") else None
    day = int(groups["day"]) if groups.get("day") else None
    if name == "year":
        return date_range(year)
    if groups.get("month") == "May" and name != "month" and day is None and year is None:
        return None
    if year is None:
        if published is None:
            return None
        year = _infer_year(month, (groups.get("prep") or "").lower(), published)
    if day is not None and not 1 <= day <= 31:
        return None
    return date_range(year, month, day)


def _infer_year(month: int, prep: str, published: dt.date) -> int:
    """The year a date written without one most likely means, seen from the published date."""
    if prep == "last":
        return published.year if month < published.month else published.year - 1
    if prep == "next":
        return published.year if month > published.month else published.year + 1
    # "Dec 30" in a January story was last year; "Feb 26" in an April story is this year.
    return published.year - 1 if month - published.month > 6 else published.year


def _period(which: str, unit: str, published: dt.date) -> tuple[dt.date, dt.date, str]:
    step = {"last": -1, "next": 1}.get(which, 0)
    if unit == "week":
        monday = published - dt.timedelta(days=published.weekday()) + dt.timedelta(weeks=step)
        return monday, monday + dt.timedelta(days=6), DatePrecision.WEEK
    if unit == "month":
        month_index = published.year * 12 + published.month - 1 + step
        return date_range(month_index // 12, month_index % 12 + 1)
    return date_range(published.year + step)


def _weekday(which: str | None, weekday: str, published: dt.date) -> tuple[dt.date, dt.date, str]:
    """``on Monday`` in news copy is the latest Monday up to the published day; ``next Monday`` the coming one."""
    target = WEEKDAYS[weekday.lower()]
    which = (which or "on").lower()
    if which in {"next", "until", "by"}:
        ahead = (target - published.weekday()) % 7 or 7
        day = published + dt.timedelta(days=ahead)
    else:
        back = (published.weekday() - target) % 7
        if which == "last" and back == 0:
            back = 7
        day = published - dt.timedelta(days=back)
    return day, day, DatePrecision.DAY
