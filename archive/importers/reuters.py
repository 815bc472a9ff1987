"""Reuters-21578 SGML (``reut2-*.sgm``): Latin-1 files of ``<REUTERS>`` records, described by ``lewis.dtd``.

Read one record at a time, so memory stays flat however large the file.
A record that cannot be read gives a ``RecordError`` naming the file and its
NEWID, and the rest of the file is still read. A story with no text at all
is kept under its wire slug or its id, so every record of the collection is
stored.

The collection does not say in which time zone its DATE stamps are; they
are stored as UTC. Stories filed as a one-line BRIEF keep their title and
an empty body (their text is the placeholder "Blah blah blah."); stories of
TYPE="UNPROC" have no TITLE or BODY markup, so their first line is the title
and the whole text is the body.
"""

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

from archive.importers import reuters_codes
from archive.importers.files import MAX_ARTICLE_BYTES, PIECE_BYTES, Oversized, check_readable, over_limit
from archive.importers.records import ActorRef, ArticleRecord, ParseError, PlaceRef, Published, RecordError
from archive.models import ActorType, DatePrecision, NameKind, PlaceType

SOURCE = "Reuters"

ATTRIBUTE = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
CATEGORY = re.compile(r"<D>(.*?)</D>", re.S)
REFERENCE = re.compile(r"&(?:#(\d+)|([a-zA-Z]+));")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
DATE = re.compile(
    r"^\s*(?P<day>\d{1,2})-(?P<month>[A-Za-z]{3})-(?P<year>\d{4})"
    r"(?:\s+(?P<hour>\d{1,3}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d{1,2}))?)?"
)
MONTHS = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
SIGN_OFF = re.compile(r"\n\s*REUTER\s*$", re.I)


def parse_file(path: Path, *, max_bytes: int = MAX_ARTICLE_BYTES) -> Iterator[ArticleRecord | RecordError]:
    check_readable(path)
    found = False
    for position, chunk in enumerate(_chunks(path, max_bytes=max_bytes), 1):
        found = True
        if isinstance(chunk, Oversized):
            newid = _newid(chunk.head)
            label = f"{path.name} NEWID={newid}" if newid else f"{path.name} record {position}"
            yield RecordError(label, over_limit(chunk.size, max_bytes))
        else:
            yield parse_record(chunk, file_name=path.name, position=position)
    if not found:
        raise ParseError(f"{path.name}: no <REUTERS> records found (is it a Reuters-21578 SGML file?)")


def count_records(path: Path) -> int:
    """How many records the file holds, by a fast scan, for the progress bar."""
    count, line_start = 0, True
    with path.open("rb") as handle:
        while piece := handle.readline(PIECE_BYTES):
            count += line_start and piece.startswith(b"<REUTERS")
            line_start = piece.endswith((b"\n", b"\r"))
    return count


def _chunks(path: Path, *, max_bytes: int) -> Iterator[str | Oversized]:
    """The text of each ``<REUTERS>`` element in turn; the tags are alone on their lines (README VI.A).

    Lines are read a piece at a time, and a record that grows past ``max_bytes`` is skipped to its end
    unheld and given as ``Oversized``, so memory stays bounded however the file is made.
    """
    record: io.StringIO | None = None  # the record being read; None outside one, and while skipping one
    size, head, skipping, line_start = 0, "", False, True
    with path.open("r", encoding="latin-1", newline="") as handle:
        while piece := handle.readline(PIECE_BYTES):
            starts_line, line_start = line_start, piece.endswith(("\n", "\r"))
            if starts_line and piece.startswith("<REUTERS"):
                record, size, head, skipping = io.StringIO(), 0, piece, False
            elif record is None and not skipping:
                continue
            size += len(piece)
            if not skipping and size > max_bytes:
                record, skipping = None, True
            elif not skipping:
                record.write(piece)
            if starts_line and piece.startswith("</REUTERS>"):
                yield Oversized(size, head) if skipping else record.getvalue()
                record, skipping = None, False
    if skipping:
        yield Oversized(size, head)
    elif record is not None and size:
        yield record.getvalue()


def _newid(text: str) -> str:
    """The NEWID of the ``<REUTERS>`` tag that begins ``text``; empty when it has none."""
    head = re.match(r"\s*<REUTERS\b([^>]*)>", text)
    return dict(ATTRIBUTE.findall(head[1])).get("NEWID", "").strip() if head else ""


def parse_record(chunk: str, *, file_name: str, position: int = 1) -> ArticleRecord | RecordError:
    newid = _newid(chunk)
    if not newid:
        return RecordError(f"{file_name} record {position}", "no NEWID")
    label = f"{file_name} NEWID={newid}"
    if not chunk.rstrip().endswith("</REUTERS>"):
        return RecordError(label, "the record is cut off (no </REUTERS>)")

    date_text = _element(chunk, "DATE")
    if date_text is None or not _clean(date_text).strip():
        return RecordError(label, "no DATE")
    try:
        published = parse_date(_clean(date_text))
    except ValueError as exc:
        return RecordError(label, str(exc))

    text_match = re.search(r"<TEXT\b([^>]*)>(.*?)</TEXT>", chunk, re.S)
    if text_match is None:
        return RecordError(label, "no TEXT")
    text = text_match[2]
    title = " ".join(_clean(_element(text, "TITLE") or "").split())
    body_markup = _element(text, "BODY")
    if title:
        body = _body(body_markup) if body_markup is not None else ""
    else:
        # UNPROC (or a TEXT missing its TITLE): the raw text is the story and its first line the title.
        body = _body(re.sub(r"</?(?:TITLE|BODY|DATELINE|AUTHOR)>", "", text))
        title = next((" ".join(line.split()) for line in body.splitlines() if line.strip()), "")
    if not title:
        # An empty story (the corpus has one) is still a record of the wire: name it by its slug or its id.
        slug = re.search(r"\bBC-([A-Z0-9][A-Z0-9-]*)", _element(chunk, "UNKNOWN") or "")
        title = slug[1].replace("-", " ").strip() if slug else f"Untitled Reuters story {newid}"

    dateline = _dateline(_element(text, "DATELINE"))
    return ArticleRecord(
        title=title[:500],
        body=body,
        byline=_author(_element(text, "AUTHOR")),
        source=SOURCE,
        language="en",
        published=published,
        dateline=dateline,
        dateline_place=_dateline_place(dateline),
        actors=[
            *(ActorRef(reuters_codes.person(code), ActorType.PERSON) for code in _categories(chunk, "PEOPLE")),
            *(_organisation(code) for code in _categories(chunk, "ORGS")),
            *(ActorRef(code.upper(), ActorType.ORGANISATION) for code in _categories(chunk, "EXCHANGES")),
        ],
        places=[_place(code) for code in _categories(chunk, "PLACES")],
        tags=_categories(chunk, "TOPICS"),
        provider_id=newid,
        source_file=file_name,
        label=label,
    )


def parse_date(text: str) -> Published:
    """``26-FEB-1987 15:01:01.79`` -> that day, and that instant when the time is a real one."""
    match = DATE.match(text)
    month = MONTHS.get(match["month"].upper()) if match else None
    if not match or month is None:
        raise ValueError(f"DATE does not parse: {text.strip()!r}")
    try:
        day = dt.date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        raise ValueError(f"DATE does not parse: {text.strip()!r}") from None
    at = None
    if match["hour"] is not None:
        try:
            clock = dt.time(
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
                int((match["fraction"] or "0").ljust(2, "0")) * 10000,
            )
            at = dt.datetime.combine(day, clock, tzinfo=dt.UTC)
        except ValueError:
            at = None  # A garbled clock (the corpus has "605:12:19.12") still leaves a good day.
    return Published(day, day, DatePrecision.DAY, at)


def unescape(text: str) -> str:
    """SGML character references (``&#3;``, ``&lt;``, ``&amp;``) to characters.

    A reference to no character (past Unicode, or a surrogate, which cannot
    be stored) is kept as written, like an unknown entity.
    """

    def replace(match: re.Match) -> str:
        if match[1]:
            code = int(match[1])
            return chr(code) if code < 0x110000 and not 0xD800 <= code <= 0xDFFF else match[0]
        return ENTITIES.get(match[2].lower(), match[0])

    return REFERENCE.sub(replace, text)


def _clean(text: str) -> str:
    """Unescaped, without the wire's control characters (start and end of text, sync bytes)."""
    return CONTROL.sub("", unescape(text))


def _element(text: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.S)
    return match[1] if match else None


def _categories(chunk: str, tag: str) -> list[str]:
    content = _element(chunk, tag) or ""
    seen: list[str] = []
    for code in CATEGORY.findall(content):
        code = _clean(code).strip().lower()
        if code and code not in seen:
            seen.append(code)
    return seen


def _body(markup: str) -> str:
    lines = [line.rstrip() for line in _clean(markup).replace("\r\n", "\n").split("\n")]
    body = "\n".join(lines).strip("\n")
    return SIGN_OFF.sub("", body).strip("\n")


def _author(markup: str | None) -> str:
    if not markup:
        return ""
    author = " ".join(_clean(markup).split())
    author = re.sub(r"^by\s+", "", author, flags=re.I)
    return re.sub(r",\s*Reuters?$", "", author, flags=re.I)


def _dateline(markup: str | None) -> str:
    if not markup:
        return ""
    return " ".join(_clean(markup).split()).rstrip(" -").strip()[:255]


def _dateline_place(dateline: str) -> str:
    """``SAO PAULO, Feb 26`` -> ``Sao Paulo``."""
    city = dateline.split(",", 1)[0].strip() if "," in dateline else ""
    return city.title() if city and not any(ch.isdigit() for ch in city) else ""


def _place(code: str) -> PlaceRef:
    name, iso, aliases = reuters_codes.place(code)
    return PlaceRef(name, PlaceType.COUNTRY, iso, tuple((alias, NameKind.VARIANT) for alias in aliases))


def _organisation(code: str) -> ActorRef:
    name, actor_type, aliases = reuters_codes.organisation(code)
    return ActorRef(name, actor_type, aliases)
