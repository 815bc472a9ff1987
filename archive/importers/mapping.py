"""Records from flat mappings: the documented columns shared by JSON Lines and CSV.

=========  ==================================================================
column     meaning
=========  ==================================================================
title      required
byline     the author(s) as printed
source     the publication or agency
url        the story's address (http or https)
published  ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or an ISO date-time
           (``2016-02-24T05:42:00-05:00``; without an offset it is UTC)
language   a language code, ``en`` when absent
body       the text
actors     names; JSON may give ``{"name": ..., "type": "person"}``
places     names; JSON may give ``{"name": ..., "type": "city", "country_code": "LY"}``
tags       subject tags
id         the provider's own id: a re-import updates that article
=========  ==================================================================

Lists are JSON arrays, or ``;``-separated in CSV. Other columns are ignored.
"""

import datetime as dt
import re

from archive.importers.records import ActorRef, ArticleRecord, PlaceRef, Published
from archive.models import ActorType, DatePrecision, PlaceType, date_range

PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# JSON can escape characters that no database stores as text: NUL, and halves of surrogate pairs.
NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


class FieldError(ValueError):
    """A value that cannot be stored; the message says which and why."""


def record_from_mapping(data: dict, *, label: str, source_file: str) -> ArticleRecord:
    title = " ".join(_text(data, "title").split())
    if not title:
        raise FieldError("no title")
    if len(title) > 500:
        raise FieldError(f"title is {len(title)} characters long; the most is 500")
    url = _text(data, "url").strip()
    if url and not re.match(r"^https?://\S+$", url):
        raise FieldError(f"url {url!r} is not an http or https address")
    language = _text(data, "language").strip() or "en"
    if len(language) > 16:
        raise FieldError(f"language {language!r} is not a language code")
    return ArticleRecord(
        title=title,
        body=_text(data, "body").strip(),
        byline=" ".join(_text(data, "byline").split())[:255],
        source=" ".join(_text(data, "source").split())[:255],
        source_url=url,
        language=language,
        published=parse_published(_text(data, "published")),
        actors=[_actor(item) for item in _list(data, "actors")],
        places=[_place(item) for item in _list(data, "places")],
        tags=[_checked(str(tag), "tags").strip() for tag in _list(data, "tags") if str(tag).strip()],
        provider_id=_text(data, "id").strip()[:100],
        source_file=source_file,
        label=label,
    )


def parse_published(text: str) -> Published | None:
    text = text.strip()
    if not text:
        return None
    match = PARTIAL.match(text)
    try:
        if match:
            year, month, day = (int(part) if part else None for part in match.groups())
            return Published(*date_range(year, month, day))
        instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(
            f"published {text!r} is not YYYY, YYYY-MM, YYYY-MM-DD or an ISO date-time such as 2016-02-24T05:42:00-05:00"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    local = instant.date()
    return Published(local, local, DatePrecision.DAY, instant.astimezone(dt.UTC))


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise FieldError(f"{key} must be text, not {'an object' if isinstance(value, dict) else 'a list'}")
    return _checked(str(value), key)


def _checked(text: str, key: str) -> str:
    bad = NOT_TEXT.search(text)
    if bad:
        raise FieldError(f"{key} holds \\u{ord(bad[0]):04x}, which is not a character that can be stored")
    return text


def _list(data: dict, key: str) -> list:
    value = data.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list):
        return value
    raise FieldError(f"{key} must be a list or ;-separated names")


def _actor(item) -> ActorRef:
    name, kind = _named(item, "actors")
    if kind and kind not in ActorType.values:
        raise FieldError(f"actors: unknown type {kind!r} (use {', '.join(ActorType.values)})")
    return ActorRef(name[:255], kind)


def _place(item) -> PlaceRef:
    name, kind = _named(item, "places")
    if kind and kind not in PlaceType.values:
        raise FieldError(f"places: unknown type {kind!r} (use {', '.join(PlaceType.values)})")
    code = str(item.get("country_code") or "").strip().upper() if isinstance(item, dict) else ""
    if code and not re.match(r"^[A-Z]{2}$", code):
        raise FieldError(f"places: country code {code!r} is not two letters")
    return PlaceRef(name[:255], kind, code)


def _named(item, key: str) -> tuple[str, str]:
    if isinstance(item, dict):
        name, kind = str(item.get("name") or ""), str(item.get("type") or "")
    else:
        name, kind = str(item), ""
    name = " ".join(_checked(name, key).split())
    if not name:
        raise FieldError(f"{key}: an entry has no name")
    return name, kind.strip()
