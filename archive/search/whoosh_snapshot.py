"""One index generation opened for reading, with the per-document tables that searches reuse.

Facet data (actor, place and tag ids, source, year, month, status, dates and
the article id) lives in one pickled column per document, loaded once per
generation into a list indexed by document number, and into one integer
table per facet (``archive.search.facets``): counting facets needs no
stored-field reads and no Python loop over the matches. A term's postings
are read here a block at a time, and kept in the backend's postings cache.
"""

import datetime as dt
import heapq
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, islice
from operator import itemgetter

import numpy as np
from whoosh import collectors, columns, query
from whoosh.codec import whoosh3
from whoosh.matching import FilterMatcher
from whoosh.util.numeric import byte_to_length

from archive.search.base import FacetCount
from archive.search.cache import SizedCache
from archive.search.facets import FacetTable
from archive.search.whoosh_schema import ARTICLE, END, FACET_KEYS, MULTI_VALUED, START, STATUS, day_number

DATE_ORDER_THRESHOLD = 5000
FILTER_CACHE_SIZE = 64


class Snapshot:
    """One index generation opened for reading, with the per-document tables searches reuse.

    Built once per generation (every committed write makes a new one) and
    dropped when the index changes, so nothing here can go stale.
    """

    def __init__(self, searcher, previous: "Snapshot | None" = None, postings_cache: SizedCache | None = None):
        """``previous`` is the generation before, whose per-segment rows and facet tables are
        reused: a segment never changes once written, and a write adds a small one. The postings
        cache is the backend's, shared by its generations for the same reason."""
        self.searcher = searcher
        self._postings_cache = postings_cache if postings_cache is not None else SizedCache(0)
        reader = searcher.reader()
        self.segment_facets: dict[tuple[str, str], FacetTable] = {}
        self._segments: list[tuple[str | None, int, list]] = []
        self.rows = self._facet_rows(previous.segment_rows if previous is not None else {})
        self._known_facets = previous.segment_facets if previous is not None else {}
        self._meta = reader.column_reader("meta") if reader.has_column("meta") else None
        self.live_mask = self._live_mask()
        self._filters: OrderedDict[str, np.ndarray] = OrderedDict()
        self._by_status: dict[tuple, np.ndarray] = {}
        self._date_order: dict[bool, np.ndarray] = {}
        self._counts: dict[tuple, dict] = {}
        self._norms: dict[str, np.ndarray] = {}
        self._facet_tables: dict[str, FacetTable] = {}
        self._lock = threading.Lock()

    def _facet_rows(self, known: dict[str, list]) -> list:
        """Every document's facet row by document number; unpickling them is most of a new snapshot's cost."""
        rows = []
        for leaf, offset in self.searcher.leaf_searchers():
            reader = leaf.reader()
            segment = reader.segment()
            key = segment.segment_id() if segment is not None else None
            if key in known:
                found = known[key]
            elif reader.has_column("facets"):
                found = list(reader.column_reader("facets"))
            else:
                found = [None] * reader.doc_count_all()
            self._segments.append((key, offset, found))
            rows.extend(found)
        return rows

    @property
    def segment_rows(self) -> dict[str, list]:
        """Facet rows by segment id, for the next generation to reuse."""
        return {key: rows for key, _, rows in self._segments if key is not None}

    def _live_mask(self) -> np.ndarray:
        live = np.ones(self.searcher.doc_count_all(), dtype=bool)
        for leaf, offset in self.searcher.leaf_searchers():
            if leaf.reader().has_deletions():
                live[np.fromiter(leaf.reader().deleted_docs_set, dtype=np.intp) + offset] = False
        return live

    def article_id(self, docnum: int) -> int:
        """From the facet rows, already in memory; an index written before they held the id reads its
        id column, one unpickled value per document (most of an admin search for 8,000 matches)."""
        row = self.rows[docnum]
        return row[ARTICLE] if row is not None and len(row) > ARTICLE else self._meta[docnum][0]

    def body(self, docnum: int) -> str:
        return self.searcher.stored_fields(docnum).get("body", "")

    def status_mask(self, statuses: tuple[str, ...]) -> np.ndarray:
        """The live documents with one of ``statuses`` (all of them for none)."""
        key = tuple(sorted(statuses))
        if not key:
            return self.live_mask
        if key not in self._by_status:
            # map keeps the walk over every document in C: this runs after every write.
            having = map(frozenset(key).__contains__, map(itemgetter(STATUS), self.rows))
            self._by_status[key] = self.live_mask & np.fromiter(having, dtype=bool, count=len(self.rows))
        return self._by_status[key]

    def with_status(self, statuses: tuple[str, ...]) -> set[int]:
        return set(np.flatnonzero(self.status_mask(statuses)).tolist())

    def filter_mask(self, filter_query: "query.Query | DateFilter") -> np.ndarray:
        """The documents a filter matches, as a mask; the last few dozen filters are remembered."""
        key = repr(filter_query)
        with self._lock:
            if key in self._filters:
                self._filters.move_to_end(key)
                return self._filters[key]
        if isinstance(filter_query, DateFilter) and self.days is not None:
            found = filter_query.mask(self.days)
        else:
            whoosh_query = filter_query.whoosh_query() if isinstance(filter_query, DateFilter) else filter_query
            found = np.zeros(self.searcher.doc_count_all(), dtype=bool)
            found[np.fromiter(whoosh_query.docs(self.searcher), dtype=np.intp)] = True
        with self._lock:
            self._filters[key] = found
            while len(self._filters) > FILTER_CACHE_SIZE:
                self._filters.popitem(last=False)
        return found

    @cached_property
    def days(self) -> dict[str, np.ndarray] | None:
        """Each document's published ``start`` and ``end`` day (``20160224``, -1 for none), or None for an
        index written before its tables held the end day."""
        rows = self.rows
        if not all(row is not None and len(row) > END for row in rows):
            return None
        return {
            field: np.fromiter(
                (-1 if row[position] is None else row[position] for row in rows), dtype=np.int64, count=len(rows)
            )
            for field, position in (("start", START), ("end", END))
        }

    def score(
        self, text_query: query.Query, allowed: np.ndarray, limit: int
    ) -> tuple[np.ndarray, list[tuple[int, float]]]:
        """Every allowed match and the best ``limit`` of them by score, in one pass over the postings."""
        collector = _MatchRecorder(collectors.TopCollector(limit=limit, usequality=False, replace=0), allowed)
        self.searcher.search_with_collector(text_query, collector)
        matched = np.fromiter(sorted(collector.matched), dtype=np.intp, count=len(collector.matched))
        return matched, [(hit.docnum, float(hit.score or 0.0)) for hit in collector.results()]

    def term_postings(self, fieldname: str, text: str, *, positions: bool = False) -> "Postings":
        """One term's postings in every segment, deleted documents included, with each document's
        encoded positions when ``positions`` is asked for.

        Callers drop deleted documents by intersecting with ``live`` (every
        status set is a subset of it). Each segment's part is kept in the
        backend's postings cache: a reader who refines a search (a facet, a
        page, the timeline) asks for the same words again, and decoding
        their blocks was most of a common word's search.
        """
        btext = self.searcher.schema[fieldname].to_bytes(text)
        parts = []
        for leaf, offset in self.searcher.leaf_searchers():
            reader = leaf.reader()
            segment = reader.segment()
            key = (segment.segment_id(), fieldname, btext) if segment is not None else None
            part = self._cached_postings(key, positions)
            if part is None:
                part = read_segment_postings(reader, fieldname, btext, positions=positions)
                if key is not None:
                    self._postings_cache.put((*key, positions), part, part.size)
            if len(part.ids):
                parts.append((offset, part))
        if not parts:
            return Postings(np.zeros(0, dtype=np.intp), np.zeros(0), [] if positions else None)
        ids = np.concatenate([part.ids + offset for offset, part in parts])
        weights = np.concatenate([part.weights for _, part in parts])
        values = [value for _, part in parts for value in part.values] if positions else None
        return Postings(ids, weights, values)

    def _cached_postings(self, key: tuple | None, positions: bool) -> "SegmentPostings | None":
        """A segment's postings from the cache; an entry read with positions also serves a term without."""
        if key is None:
            return None
        found = self._postings_cache.get((*key, True))
        if found is None and not positions:
            found = self._postings_cache.get((*key, False))
        return found

    def length_norms(self, fieldname: str) -> np.ndarray:
        """BM25F's length normalisation of ``fieldname`` per document number, as Whoosh's scorer computes it."""
        with self._lock:
            if fieldname in self._norms:
                return self._norms[fieldname]
        weighting = self.searcher.weighting
        k1, b = weighting.K1, weighting._field_B.get(fieldname, weighting.B)
        average = self.searcher.avg_field_length(fieldname) or 1
        by_byte = [k1 * ((1 - b) + b * byte_to_length(code) / average) for code in range(256)]
        codes = bytearray()
        for leaf, _ in self.searcher.leaf_searchers():
            reader = leaf.reader()
            lengths = reader._perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
            codes.extend(_length_codes(lengths, reader.doc_count_all()))
        norms = np.array(by_byte, dtype=np.float64)[np.frombuffer(bytes(codes), dtype=np.uint8)]
        with self._lock:
            self._norms[fieldname] = norms
        return norms

    def by_date(self, matched: np.ndarray, *, newest: bool, limit: int) -> list[int]:
        """The first ``limit`` matches by published date; undated articles come last either way."""
        rows = self.rows

        def key(docnum):
            start = rows[docnum][START]
            if start is None:
                return (0, 0, docnum) if newest else (1, 0, docnum)
            return (1, start, docnum) if newest else (0, start, docnum)

        if len(matched) < DATE_ORDER_THRESHOLD:
            chooser = heapq.nlargest if newest else heapq.nsmallest
            return chooser(limit, matched.tolist(), key=key)
        if newest not in self._date_order:
            live = np.flatnonzero(self.live_mask).tolist()
            self._date_order[newest] = np.array(sorted(live, key=key, reverse=newest), dtype=np.intp)
        order = self._date_order[newest]
        wanted = np.zeros(len(self.live_mask), dtype=bool)
        wanted[matched] = True
        return order[wanted[order]][:limit].tolist()

    def remembered(self, key, compute):
        with self._lock:
            if key in self._counts:
                return self._counts[key]
        value = compute()
        with self._lock:
            if len(self._counts) >= FILTER_CACHE_SIZE:
                self._counts.pop(next(iter(self._counts)))
            self._counts[key] = value
        return value

    def facet_table(self, key: str) -> FacetTable:
        """One facet's values for every document, joined from the segments' tables."""
        with self._lock:
            if key in self._facet_tables:
                return self._facet_tables[key]
        position = FACET_KEYS.index(key)
        parts = []
        for segment, offset, rows in self._segments:
            part = self._known_facets.get((segment, key))
            if part is None:
                values = map(itemgetter(position), rows)
                if key not in MULTI_VALUED:
                    values = (() if value is None else (value,) for value in values)
                part = FacetTable.of_documents(list(values))
            if segment is not None:
                self.segment_facets[(segment, key)] = part
            parts.append((offset, part))
        table = FacetTable.joined(parts)
        with self._lock:
            self._facet_tables[key] = table
        return table

    def count_facets(self, matched: np.ndarray, wanted: list[str]) -> dict[str, list[FacetCount]]:
        """Counts per value, most frequent first and equal counts in value order."""
        return {
            key: [FacetCount(value=value, count=count) for value, count in self.facet_table(key).count(matched)]
            for key in wanted
        }


def _length_codes(lengths, doccount: int) -> Iterable[int]:
    """Each document's one-byte field-length code; documents past the column's end have none (0).

    The column is one byte per document on disk: read whole, that is a
    millisecond for 90,000 documents, where Whoosh's reader takes 35 ms
    unpacking them one at a time (for every field, after every write).
    """
    if lengths is None:
        return bytes(doccount)
    if type(lengths) is columns.NumericColumn.Reader and lengths._typecode == "B":
        stored = min(lengths._count, doccount)
        return lengths._dbfile.get(lengths._basepos, stored) + bytes(doccount - stored)
    return lengths


class _MatchRecorder(collectors.WrappingCollector):
    """Passes on the allowed documents only, and remembers each one: the total and the facets need them all."""

    def __init__(self, child, allowed: np.ndarray):
        super().__init__(child)
        self.allowed = allowed
        self.matched: set[int] = set()

    def collect_matches(self):
        child, allowed, matched, offset = self.child, self.allowed, self.matched, self.offset
        for sub_docnum in child.matches():
            docnum = offset + sub_docnum
            if allowed[docnum]:
                matched.add(docnum)
                child.collect(sub_docnum)


@dataclass(frozen=True)
class Postings:
    """One term's document numbers in ascending order, its weight in each, and (read for a phrase)
    each one's encoded positions."""

    ids: np.ndarray
    weights: np.ndarray
    values: list[bytes] | None

    def values_of(self, docs: list[int]) -> list[bytes]:
        """The encoded positions of ``docs``, all of which have the term, in their order: only the
        candidates of a phrase are looked up, not every document a common word is in."""
        return [self.values[i] for i in np.searchsorted(self.ids, docs).tolist()]


@dataclass(frozen=True)
class SegmentPostings:
    """One term's postings in one segment: document numbers within the segment, weights, and (when
    read with positions) each document's encoded positions."""

    ids: np.ndarray
    weights: np.ndarray
    values: tuple[bytes, ...] | None

    @property
    def size(self) -> int:
        """Roughly the bytes held, for the cache's limit (a bytes object costs 33 bytes besides its data)."""
        values = sum(len(value) + 33 for value in self.values) if self.values else 0
        return self.ids.nbytes + self.weights.nbytes + values + 200


def read_segment_postings(reader, fieldname: str, btext: bytes, *, positions: bool) -> SegmentPostings:
    """Whoosh's matchers step through postings one Python call at a time; reading each posting
    block's arrays whole is several times faster for a term in thousands of documents."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    if (fieldname, btext) in reader:
        matcher = reader.postings(fieldname, btext)
        if isinstance(matcher, FilterMatcher):  # the segment's deletions; ``live`` excludes them
            matcher = matcher.child
        if isinstance(matcher, whoosh3.W3LeafMatcher):
            while matcher.is_active():
                matcher._read_weights()  # loads the block; its first array holds the ids as gaps
                ids.extend(islice(accumulate(matcher._data[0], initial=0), 1, None))
                weights.extend(matcher._weights)
                if positions:
                    matcher._read_values()
                    values.extend(matcher._values)
                matcher._next_block()
        else:
            while matcher.is_active():
                ids.append(matcher.id())
                weights.append(matcher.weight())
                if positions:
                    values.append(matcher.value())
                matcher.next()
    return SegmentPostings(
        np.array(ids, dtype=np.intp), np.array(weights, dtype=np.float64), tuple(values) if positions else None
    )


def date_filter(date_from: dt.date | None, date_to: dt.date | None, mode: str) -> "DateFilter | None":
    """Articles whose published range overlaps, or lies within, [date_from, date_to]."""
    if date_from is None and date_to is None:
        return None
    return DateFilter(day_number(date_from), day_number(date_to), within=mode == "within")


@dataclass(frozen=True)
class DateFilter:
    """A published-date filter, answered from each document's start and end day in the snapshot's tables.

    Whoosh's numeric ranges answer ``start <= day`` by reading the postings
    of every day's term below it: 1.5 to 1.9 s for a new range at 108,000
    articles, where the tables take a few milliseconds. An index written
    before the end day was kept in the tables is answered by the ranges.
    """

    low: int | None
    high: int | None
    within: bool = False

    def parts(self) -> list[tuple[str, int | None, int | None]]:
        """(field, lowest, highest) bounds that a document's start or end day must meet, all of them."""
        if self.within:
            parts = [("start", self.low, None)] if self.low is not None else []
            return parts + ([("end", None, self.high)] if self.high is not None else [])
        parts = [("start", None, self.high)] if self.high is not None else []
        return parts + ([("end", self.low, None)] if self.low is not None else [])

    def whoosh_query(self) -> query.Query:
        ranges = [query.NumericRange(field, low, high) for field, low, high in self.parts()]
        return query.And(ranges) if len(ranges) > 1 else ranges[0]

    def mask(self, days: dict[str, np.ndarray]) -> np.ndarray:
        """Which documents pass, from their ``start`` and ``end`` days (-1 where a document has none,
        which no bound lets through, as a missing field matches no range in Whoosh)."""
        passing = None
        for field, low, high in self.parts():
            values = days[field]
            part = values >= (low if low is not None else 0)
            if high is not None:
                part &= values <= high
            passing = part if passing is None else passing & part
        return passing
