"""Partial dates as people write them (``2016``, ``2016-02``, ``2016-02-24``) and the ranges they cover."""

import datetime as dt
import re

from archive.models import date_range

PARTIAL_DATE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?$")


def partial_date_range(text: str) -> tuple[dt.date, dt.date, str]:
    """The first and last day of a partial date and its precision; ValueError with a readable reason."""
    match = PARTIAL_DATE.match((text or "").strip())
    if not match:
        raise ValueError(f"{text!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match["year"])
    month = int(match["month"]) if match["month"] else None
    day = int(match["day"]) if match["day"] else None
    if year < dt.MINYEAR:
        raise ValueError(f"{text!r} is not a date: there is no year 0")
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"{text!r} is not a date: there is no month {month}")
    try:
        return date_range(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: there is no day {day} in {year}-{month:02d}") from None
