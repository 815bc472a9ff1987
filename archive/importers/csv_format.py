"""CSV with a header row naming the columns documented in ``archive.importers.mapping``.

UTF-8 (a byte-order mark is allowed, as spreadsheets write one); lists are
``;``-separated in one cell.
"""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from archive.importers.files import MAX_ARTICLE_BYTES, PIECE_BYTES, check_readable, over_limit
from archive.importers.mapping import FieldError, record_from_mapping
from archive.importers.records import ArticleRecord, ParseError, RecordError

LINE_ENDS = ("\n", "\r")


def parse_file(path: Path, *, max_bytes: int = MAX_ARTICLE_BYTES) -> Iterator[ArticleRecord | RecordError]:
    """One record per row, read a row at a time; a row over ``max_bytes`` is an error for that row alone."""
    check_readable(path)
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        lines = _RecordLines(handle, file_name=path.name, max_bytes=max_bytes)
        reader = csv.DictReader(lines)
        try:
            columns = [name.strip().lower() for name in reader.fieldnames or []]
        except csv.Error as exc:
            raise ParseError(f"{path.name}: not valid CSV ({exc})") from None
        except _TooLarge as exc:
            raise ParseError(f"{path.name}: the header row is {over_limit(exc.size, max_bytes)}") from None
        if "title" not in columns:
            raise ParseError(f"{path.name}: no title column in the header row")
        reader.fieldnames = columns
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                lines.drop_record()
                yield RecordError(f"{path.name} line {lines.line_num}", f"not valid CSV ({exc})")
                continue
            except _TooLarge as exc:
                yield RecordError(f"{path.name} line {exc.line}", over_limit(exc.size, max_bytes))
                continue
            yield parse_row(row, file_name=path.name, number=lines.line_num)


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
    """How many rows follow the header; each is skipped unheld (a limit of 0), so any file counts in little memory."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        return max(sum(1 for _ in _RecordLines(handle, file_name=path.name, max_bytes=0).records) - 1, 0)


class _TooLarge(Exception):
    def __init__(self, line: int, size: int):
        super().__init__(line, size)
        self.line, self.size = line, size


class _RecordLines:
    """The file's lines for ``csv.reader``, handed over a whole record at a time.

    A record ends at a line break outside quotes (after an even number of
    quote characters). One that grows past ``max_bytes`` is read to its end
    unheld and raised as ``_TooLarge`` through the reader, which was given
    none of it and so reads on from the next record.
    """

    def __init__(self, handle: io.TextIOBase, *, file_name: str, max_bytes: int):
        self.records = self._records(handle, file_name, max_bytes)
        self.pending = io.StringIO()
        # Lines of the file read so far: the last line of the record the reader has just returned.
        self.line_num = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        while not (line := self.pending.readline()):
            first, text, size = next(self.records)
            if text is None:
                raise _TooLarge(first, size)
            # One string for the record, its lines handed out one at a time: no object per line.
            self.pending = io.StringIO(text, newline="")
        return line

    def drop_record(self) -> None:
        """Forget the rest of a record the reader gave up on, so it starts afresh at the next one."""
        self.pending = io.StringIO()

    def _records(self, handle, file_name: str, max_bytes: int) -> Iterator[tuple[int, str | None, int]]:
        """(first line number, the record's text or None when it is over the limit, its size in bytes)."""
        while True:
            first = self.line_num + 1
            record: io.StringIO | None = io.StringIO()
            size = quotes = 0
            open_line = False
            while piece := _readline(handle, file_name, PIECE_BYTES if record is None else max_bytes + 1 - size):
                size += len(piece.encode())
                quotes += piece.count('"')
                if record is not None and size > max_bytes:
                    record = None
                elif record is not None:
                    record.write(piece)
                open_line = not piece.endswith(LINE_ENDS)
                if not open_line:
                    self.line_num += 1
                    if quotes % 2 == 0:
                        break
            else:
                if not size:
                    return
                self.line_num += open_line
            yield first, None if record is None else record.getvalue(), size


def _readline(handle: io.TextIOBase, file_name: str, limit: int) -> str:
    """At most ``limit`` characters of the next line; undecodable bytes are a file error rather than a traceback."""
    try:
        return handle.readline(limit)
    except UnicodeDecodeError as exc:
        raise ParseError(f"{file_name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} does not decode)") from None
