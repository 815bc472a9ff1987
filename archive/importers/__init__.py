"""Pure parsers: one module per source format, each turning a file into plain records (no database, no index).

``parse_path`` and ``count_records`` dispatch on the format; the import
service (``archive.services.imports``) stores what they yield.
"""

from collections.abc import Iterator
from pathlib import Path

from archive.importers import csv_format, jsonl, plaintext, reuters
from archive.importers.records import ArticleRecord, RecordError

PARSERS = {"text": plaintext, "reuters": reuters, "jsonl": jsonl, "csv": csv_format}


def parse_path(path: Path, format: str, *, max_bytes: int) -> Iterator[ArticleRecord | RecordError]:
    """Records (or per-record errors) in file order; raises ``ParseError`` when the file as a whole cannot be read.

    A file or record larger than ``max_bytes`` is refused before it is read whole.
    """
    return PARSERS[format].parse_file(path, max_bytes=max_bytes)


def count_records(path: Path, format: str) -> int:
    """A quick count for the progress bar; one for single-article formats."""
    counter = getattr(PARSERS[format], "count_records", None)
    try:
        return counter(path) if counter else 1
    except OSError:
        return 1
