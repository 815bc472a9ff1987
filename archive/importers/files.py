"""Finding the files to import, telling their format, and the checks every format shares."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archive.importers.records import ParseError

FORMATS = ("text", "reuters", "jsonl", "csv")

EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".sgm": "reuters",
    ".sgml": "reuters",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}

SNIFF_BYTES = 8192
# The most one article (a file, or one record of a multi-record file) may hold: the default of the
# ARCHIVE_MAX_ARTICLE_BYTES setting, which the import service passes to the parsers.
MAX_ARTICLE_BYTES = 5 * 1024 * 1024
# Lines are read at most this much at a time while counting or skipping, so no line is ever held whole.
PIECE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Oversized:
    """A record skipped unread because it is larger than the limit; ``size`` is what it holds.

    ``head`` is its first line, or the first piece of it, where a format names the record there.
    """

    size: int
    head: str = ""


def expand_paths(paths: list[str | Path], *, format: str | None = None) -> Iterator[Path | ParseError]:
    """Every file named or found (recursively, in name order) under the paths; an error for a missing path.

    Inside folders only files with a known extension are taken (with
    ``format``, only that format's extensions), so a corpus's README or DTD
    is not mistaken for an article. A file named explicitly is always taken.
    """
    wanted = {ext for ext, fmt in EXTENSIONS.items() if format is None or fmt == format}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and Path(name).suffix.lower() in wanted:
                        yield Path(root) / name
        elif path.is_file():
            yield path
        elif path.exists():
            yield ParseError(f"{path}: not a regular file")
        else:
            yield ParseError(f"{path}: no such file or directory")


def detect_format(path: Path) -> str:
    """The format from the extension, or else from the first bytes of the file."""
    by_extension = EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    head = read_head(path).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<!DOCTYPE lewis", b"<REUTERS")):
        return "reuters"
    if head.startswith(b"{"):
        return "jsonl"
    first_line = head.split(b"\n", 1)[0].lower()
    if b"title" in first_line and (b"," in first_line):
        return "csv"
    return "text"


def read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc


def check_readable(path: Path) -> None:
    """Refuse, with the reason, a file that is empty or binary before any format looks at it."""
    head = read_head(path)
    if not head.strip():
        raise ParseError(f"{path.name}: empty file")
    if b"\x00" in head:
        raise ParseError(f"{path.name}: binary file, not text")


def decode_utf8(data: bytes, *, label: str) -> str:
    """UTF-8 (a byte-order mark is allowed); an error naming the first byte that does not decode."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            f"{label}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line} does not decode)"
        ) from None


def over_limit(size: int | None, max_bytes: int) -> str:
    """Why a file or record is refused: its size and the limit, and the setting that changes it."""
    held = f"{size:,} bytes" if size is not None else "larger than that"
    return f"{held}, over the limit of {max_bytes:,} bytes for one article (ARCHIVE_MAX_ARTICLE_BYTES sets it)"


def read_limited(path: Path, *, max_bytes: int) -> bytes:
    """The whole of a one-article file, refused by its size before a byte is read, and never read past the limit."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ParseError(f"{path.name}: {over_limit(size, max_bytes)}")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:
        # It grew after the size was taken.
        raise ParseError(f"{path.name}: {over_limit(None, max_bytes)}")
    return data


def bounded_lines(handle: BinaryIO, *, max_bytes: int) -> Iterator[bytes | Oversized]:
    """Each line of a binary file, or ``Oversized`` for a line longer than ``max_bytes``, which is skipped unheld."""
    while line := handle.readline(max_bytes + 1):
        if len(line) <= max_bytes:
            yield line
            continue
        size = len(line)
        while not line.endswith(b"\n") and (line := handle.readline(PIECE_BYTES)):
            size += len(line)
        yield Oversized(size)


def count_nonblank_lines(path: Path) -> int:
    """How many lines hold more than whitespace, read a piece at a time however long a line is."""
    count, blank = 0, True
    with path.open("rb") as handle:
        while piece := handle.readline(PIECE_BYTES):
            blank = blank and not piece.strip()
            if piece.endswith(b"\n"):
                count += not blank
                blank = True
    return count + (not blank)
