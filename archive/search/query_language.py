"""The parts of the query language every engine reads the same way: published-date filters and the notices.

An engine takes the date filters out of the text first, then parses the
words with its own parser; the notices are the words a person sees when a
query could not be searched as written, so they are the same on every engine.
"""

import datetime as dt
import re

from archive.dates import partial_date_range

PUBLISHED_FILTER = re.compile(
    r"\b(?:published|date):(?:\[(?P<lo>[\d-]*)\s+TO\s+(?P<hi>[\d-]*)\]|(?P<single>\d{4}(?:-\d{2}){0,2}))",
    re.IGNORECASE,
)

UNBALANCED_QUOTE = "The query had an unbalanced quote, so it was searched as plain words."
UNREADABLE = "The query could not be read as written, so it was searched as plain words."
NO_WORDS = "The query has no searchable words (only common words such as 'the' or operators)."

DateRange = tuple[dt.date | None, dt.date | None]


def extract_dates(text: str) -> tuple[str, list[DateRange], str]:
    """Take ``published:2016-02`` and ``published:[2015 TO 2016-06]`` out of the words.

    Returns the remaining text (each filter replaced by a space, so the other
    words keep their offsets), the (first day, last day) of each filter,
    either end open, and a notice naming the filters that are not dates.
    """
    ranges: list[DateRange] = []
    problems: list[str] = []

    def replace(match: re.Match) -> str:
        try:
            if match["single"]:
                start, end, _ = partial_date_range(match["single"])
            else:
                start = partial_date_range(match["lo"])[0] if match["lo"] else None
                end = partial_date_range(match["hi"])[1] if match["hi"] else None
        except ValueError as exc:
            problems.append(str(exc))
        else:
            if start is not None or end is not None:
                ranges.append((start, end))
        return " " * len(match.group())

    remaining = PUBLISHED_FILTER.sub(replace, text or "")
    notice = f"Date filter ignored: {'; '.join(problems)}." if problems else ""
    return remaining, ranges, notice
