"""Finding the files to import, telling their format, and the checks every format shares."""

import os
from collections.abc import Iterator
from pathlib import Path

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
