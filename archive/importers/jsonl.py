"""JSON Lines: one JSON object per line, with the columns documented in ``archive.importers.mapping``."""

import json
from collections.abc import Iterator
from pathlib import Path

from archive.importers.files import (
    MAX_ARTICLE_BYTES,
    Oversized,
    bounded_lines,
    check_readable,
    count_nonblank_lines,
    over_limit,
)
from archive.importers.mapping import FieldError, record_from_mapping
from archive.importers.records import ArticleRecord, RecordError


def parse_file(path: Path, *, max_bytes: int = MAX_ARTICLE_BYTES) -> Iterator[ArticleRecord | RecordError]:
    """One record per line, read a line at a time; a line over ``max_bytes`` is an error for that line alone."""
    check_readable(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(bounded_lines(handle, max_bytes=max_bytes), 1):
            if isinstance(raw, Oversized):
                yield RecordError(f"{path.name} line {number}", over_limit(raw.size, max_bytes))
            elif raw.strip():
                yield parse_line(raw, file_name=path.name, number=number)


def parse_line(raw: bytes, *, file_name: str, number: int) -> ArticleRecord | RecordError:
    label = f"{file_name} line {number}"
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        return RecordError(label, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} does not decode)")
    try:
        data = json.loads(text.strip())
    except json.JSONDecodeError as exc:
        return RecordError(label, f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})")
    except ValueError:
        return RecordError(label, "not valid JSON (a number too long to read)")
    except RecursionError:
        return RecordError(label, "not valid JSON (nested too deeply to read)")
    if not isinstance(data, dict):
        return RecordError(label, "not a JSON object")
    if data.get("id") not in (None, ""):
        label = f"{label} (id={data['id']})"
    try:
        return record_from_mapping(data, label=label, source_file=file_name)
    except FieldError as exc:
        return RecordError(label, str(exc))


def count_records(path: Path) -> int:
    return count_nonblank_lines(path)
