"""The plain records every parser produces and the import service stores.

Parsers know file formats and nothing of the database; the service knows
the database and nothing of file formats. These dataclasses are the whole
vocabulary between them.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property


class ParseError(Exception):
    """The input cannot be read; the message names the problem in words for the person running the import."""


@dataclass(frozen=True)
class Published:
    """When a story was published: a calendar range with its precision, and the exact instant when known."""

    start: dt.date
    end: dt.date
    precision: str
    at: dt.datetime | None = None


@dataclass(frozen=True)
class ActorRef:
    """An actor named by a record; ``type`` empty means "whatever an existing actor of this name is"."""

    name: str
    type: str = ""
    alternate_names: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PlaceRef:
    """A place named by a record; ``type`` empty means "whatever an existing place of this name is"."""

    name: str
    type: str = ""
    country_code: str = ""
    alternate_names: tuple[tuple[str, str], ...] = ()


@dataclass
class ArticleRecord:
    title: str
    body: str = ""
    byline: str = ""
    source: str = ""
    source_url: str = ""
    language: str = "en"
    published: Published | None = None
    dateline: str = ""
    # The place the dateline names, linked only when a place record of that name exists.
    dateline_place: str = ""
    actors: list[ActorRef] = field(default_factory=list)
    places: list[PlaceRef] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    provider_id: str = ""
    source_file: str = ""
    # Where the record sits in its file, for messages: "reut2-004.sgm NEWID=4123", "feed.jsonl line 3".
    label: str = ""

    @cached_property
    def checksum(self) -> str:
        return text_checksum(self.title, self.body)


@dataclass(frozen=True)
class RecordError:
    """One record of a multi-record file could not be read; the rest of the file still can."""

    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


def normalise_whitespace(text: str) -> str:
    """Every run of whitespace (newlines, tabs, no-break spaces) as one space, trimmed."""
    return " ".join(text.split())


def text_checksum(title: str, body: str) -> str:
    """SHA-256 of the title and body with whitespace normalised: the same story however it was wrapped."""
    normalised = normalise_whitespace(title) + "\n" + normalise_whitespace(body)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
