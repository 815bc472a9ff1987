"""CSV with a header row naming the columns documented in ``archive.importers.mapping``.

UTF-8 (a byte-order mark is allowed, as spreadsheets write one); lists are
``;``-separated in one cell.
"""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from archive.importers.files import check_readable
from archive.importers.mapping import FieldError, record_from_mapping
from archive.importers.records import ArticleRecord, ParseError, RecordError


def parse_file(path: Path) -> Iterator[ArticleRecord | RecordError]:
    check_readable(path)
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(_decoded(handle, path))
        try:
            columns = [name.strip().lower() for name in reader.fieldnames or []]
        except csv.Error as exc:
            raise ParseError(f"{path.name}: not valid CSV ({exc})") from None
        if "title" not in columns:
            raise ParseError(f"{path.name}: no title column in the header row")
        reader.fieldnames = columns
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RecordError(f"{path.name} line {reader.line_num}", f"not valid CSV ({exc})")
                continue
            yield parse_row(row, file_name=path.name, number=reader.line_num)


def parse_row(row: dict, *, file_name: str, number: int) -> ArticleRecord | RecordError:
    label = f"{file_name} line {number}"
    if None in row:
        return RecordError(label, "more cells than the header has columns")
    if row.get("id"):
        label = f"{label} (id={row['id']})"
    try:
        return record_from_mapping(row, label=label, source_file=file_name)
    except FieldError as exc:
        return RecordError(label, str(exc))


def count_records(path: Path) -> int:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def _decoded(handle: io.TextIOBase, path: Path) -> Iterator[str]:
    """Lines of the file, with undecodable bytes reported as a file error rather than a traceback."""
    try:
        yield from handle
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path.name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} does not decode)") from None
