"""Whether the live generation's files can be read, and reads that say so when they cannot.

A damaged file (a truncated postings file, a deleted column, an emptied
table of contents) makes Whoosh raise whatever its decoder tripped on: an
``OSError``, a ``struct.error``, a ``KeyError`` and so on. ``unreadable``
tells those apart, for the backend to raise ``IndexUnreadable``, which pages
answer with a 503 and ``check_index`` with the command that repairs the
index; ``problems`` finds the damage before a reader does.
"""

import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
from whoosh import fields, index
from whoosh.codec import whoosh3
from whoosh.columns import FixedBytesColumn
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import FileFormatError
from whoosh.reading import SegmentReader

from archive.search.whoosh_snapshot import read_segment_postings

READ_ERRORS = (
    OSError,
    ValueError,
    KeyError,
    TypeError,
    EOFError,
    IndexError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    FileFormatError,
    index.IndexError,
)
# The check only reports, so it catches everything a damaged file can raise.
CHECK_ERRORS = Exception
REPAIR = "run `manage.py rebuild_index` to repair it"


def unreadable(exc: BaseException) -> bool:
    """Whether ``exc`` is what a removed or damaged index file makes Whoosh raise.

    Whoosh's readers raise a bare ``Exception`` for a damaged block; no other code raises one.
    """
    return isinstance(exc, READ_ERRORS) or type(exc) is Exception


def problems(path: Path, schema: fields.Schema, *, deep: bool = False) -> list[str]:
    """What is wrong with the generation ``path`` points to, one line per damaged file.

    The default check reads what Whoosh records about each file's extent: the
    table of contents, every segment's term index, the end of its postings
    (whose size must be where the last term's postings end) and the last
    document of every column. ``deep`` also reads every term's postings
    against its term information and every document's stored fields and
    column values.
    """
    if not path.exists():
        return [f"{path}: points to a missing directory"] if path.is_symlink() else []
    storage = FileStorage(str(path.resolve()))
    try:
        segments = index.TOC.read(storage, index._DEF_INDEX_NAME, schema=schema).segments
    except CHECK_ERRORS as exc:
        return [f"{_toc_name(storage)}: the table of contents cannot be read ({_reason(exc)})"]
    found = []
    for segment in segments:
        found += _segment_problems(storage, schema, segment, deep=deep)
    return found


def _toc_name(storage: FileStorage) -> str:
    generation = index.TOC._latest_generation(storage, index._DEF_INDEX_NAME)
    return index.TOC._filename(index._DEF_INDEX_NAME, generation) if generation >= 0 else "the table of contents"


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _required_files(schema: fields.Schema, segment) -> list[str]:
    """The term index, the postings and the columns every document has: stored fields and the archive's tables."""
    tables = ["_stored", *(name for name, field in schema.items() if isinstance(field, fields.COLUMN))]
    return [
        segment.make_filename(whoosh3.W3Codec.TERMS_EXT),
        segment.make_filename(whoosh3.W3Codec.POSTS_EXT),
        *(whoosh3.W3Codec.column_filename(segment, name) for name in tables),
    ]


def _segment_problems(storage: FileStorage, schema: fields.Schema, segment, *, deep: bool) -> list[str]:
    if not segment.doc_count_all():
        # A merge whose documents were all deleted leaves a segment without postings or columns.
        return []
    found = []
    for filename in _required_files(schema, segment):
        if not storage.file_exists(filename):
            found.append(f"{filename}: missing")
        elif storage.file_length(filename) == 0:
            found.append(f"{filename}: empty")
    if found:
        return found
    try:
        reader = SegmentReader(storage, schema, segment)
    except CHECK_ERRORS as exc:
        return [f"segment {segment.segment_id()}: cannot be opened ({_reason(exc)})"]
    try:
        found += _postings_problems(storage, reader, segment)
        found += _column_problems(storage, schema, reader, segment, every=deep)
        if deep:
            found += _term_problems(reader, segment)
    finally:
        reader.close()
    return found


def _postings_problems(storage: FileStorage, reader: SegmentReader, segment) -> list[str]:
    """The postings file must end where the last term's postings end, and those must decode.

    Terms are written in key order and each term's postings follow the
    previous term's, so the last key's extent is the end of the file.
    """
    filename = segment.make_filename(whoosh3.W3Codec.POSTS_EXT)
    terms = reader._terms
    try:
        last = _last_term(terms)
        if last is None:
            return []
        (fieldname, btext), info = last
        offset, length = info.extent()
        # Whoosh 2.7 decodes the stored length as a 1-tuple.
        end = offset + (length[0] if isinstance(length, tuple) else length)
        size = storage.file_length(filename)
        if size != end:
            return [f"{filename}: {size} bytes, but its term index says the postings end at byte {end}"]
        read_segment_postings(reader, fieldname, btext, positions=True)
    except CHECK_ERRORS as exc:
        return [f"{filename}: the last term's postings cannot be read ({_reason(exc)})"]
    return []


def _last_term(terms) -> tuple[tuple[str, bytes], whoosh3.W3TermInfo] | None:
    """The last term by key that has postings in the postings file (inlined ones have none there)."""
    table = terms._tindex
    for number in reversed(range(table.indexlen)):
        keybytes, datapos, datalen = table.key_and_range_at(table._get_pos(table.indexbase + number * table.indexsize))
        info = whoosh3.W3TermInfo.from_bytes(table.dbfile.get(datapos, datalen))
        if not info.is_inlined():
            return terms._keydecoder(keybytes), info
    return None


def _column_problems(
    storage: FileStorage, schema: fields.Schema, reader: SegmentReader, segment, *, every: bool
) -> list[str]:
    """Each column's last document (or, with ``every``, all of them) must decode."""
    last = reader.doc_count_all() - 1
    if last < 0:
        return []
    found = []
    stored = whoosh3.W3Codec.column_filename(segment, "_stored")
    try:
        for docnum in range(last + 1) if every else (last,):
            reader.stored_fields(docnum)
    except CHECK_ERRORS as exc:
        found.append(f"{stored}: stored fields cannot be read ({_reason(exc)})")
    for name, field in schema.items():
        kept = [(name, field.column_type)] if field.column_type else []
        if field.scorable:
            kept.append((whoosh3._lenfield(name), whoosh3.LENGTHS_COLUMN))
        for column_name, column in kept:
            if not reader._perdoc.has_column(column_name):
                continue
            filename = whoosh3.W3Codec.column_filename(segment, column_name)
            try:
                values = reader._perdoc.column_reader(column_name, column)
                # A fixed-width column ends at its last document with a value, so only a cut through
                # a value shows; the others decode their last value through the column's trailer.
                if isinstance(values, FixedBytesColumn.Reader):
                    if storage.file_length(filename) % values._fixedlen:
                        found.append(f"{filename}: ends inside a value")
                elif every:
                    list(values)
                else:
                    values[last]
            except CHECK_ERRORS as exc:
                found.append(f"{filename}: the column cannot be read ({_reason(exc)})")
    return found


def _term_problems(reader: SegmentReader, segment) -> list[str]:
    """Every term's postings must decode to what its term information says: how many, first and last."""
    filename = segment.make_filename(whoosh3.W3Codec.POSTS_EXT)
    doccount = reader.doc_count_all()
    found = []
    for (fieldname, btext), info in reader._terms.items():
        try:
            ids = read_segment_postings(reader, fieldname, btext, positions=True).ids
        except CHECK_ERRORS as exc:
            found.append(f"{filename}: the postings of {fieldname}:{btext!r} cannot be read ({_reason(exc)})")
            continue
        expected = (info.doc_frequency(), info.min_id(), info.max_id())
        actual = (len(ids), int(ids[0]), int(ids[-1])) if len(ids) else (0, None, None)
        ascending = bool(np.all(np.diff(ids) > 0))
        if actual != expected or not ascending or (len(ids) and not 0 <= ids[0] <= ids[-1] < doccount):
            found.append(f"{filename}: the postings of {fieldname}:{btext!r} do not match the term index")
    return found
