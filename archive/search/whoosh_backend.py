"""The Whoosh engine behind the search contract; the only module that imports whoosh.

Layout on disk: ``PATH`` is a symlink to one generation directory under
``PATH.d/``. A rebuild writes a new generation beside the live one and swaps
the symlink in a single rename, so searches never see a half-built index.

Facet data (actor, place and tag ids, source, year, month) lives in one
pickled column per document, loaded once per index generation into a list
indexed by document number, and into one integer table per facet
(``archive.search.facets``): counting facets needs no stored-field reads and
no Python loop over the matches.

Words that are terms and exact phrases under AND and OR (most searches) are
matched and ranked by ``_TermTree`` from whole posting blocks, with Whoosh's
own BM25F scores; prefixes, NOT, ranges and sloppy phrases go through
Whoosh's matchers (``_MatchRecorder``).
"""

import datetime as dt
import heapq
import json
import logging
import os
import pickle
import re
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache, reduce
from html import escape
from itertools import accumulate, islice
from operator import itemgetter
from pathlib import Path

import numpy as np
from whoosh import collectors, columns, fields, formats, index, qparser, query, scoring
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.codec import whoosh3
from whoosh.lang.porter import stem as porter_stem
from whoosh.matching import FilterMatcher
from whoosh.reading import SegmentReader
from whoosh.support.charset import accent_map
from whoosh.util.numeric import byte_to_length
from whoosh.writing import LockError

from archive.dates import partial_date_range
from archive.search.base import (
    BaseSearchBackend,
    FacetCount,
    Hit,
    IndexLocked,
    SearchBackendError,
    SearchQuery,
    SearchResults,
)
from archive.search.cache import SizedCache
from archive.search.facets import FacetTable

logger = logging.getLogger(__name__)


def _remember_missing_length_columns() -> None:
    """Whoosh asks the file system, for every posting it writes, whether a field without
    lengths has a lengths column; remembering the answer makes indexing a fifth faster."""
    original = whoosh3.W3PerDocReader._cached_reader
    if getattr(original, "remembers_missing", False):
        return

    def cached_reader(self, fieldname, column):
        if fieldname not in self._readers:
            self._readers[fieldname] = original(self, fieldname, column)
        return self._readers[fieldname]

    cached_reader.remembers_missing = True
    whoosh3.W3PerDocReader._cached_reader = cached_reader


_remember_missing_length_columns()

# Query-language field names mapped to index fields.
FIELD_ALIASES = {
    "actor": "actor_names",
    "place": "place_names",
    "tag": "tag_names",
    "source": "source",
    "title": "title",
    "body": "body",
    "byline": "byline",
    "author": "byline",
}
# Plain words search three fields; every name, byline, source and dateline is in ``names``,
# which keeps a query to three posting lists per word instead of eight.
DEFAULT_FIELDS = ["title", "body", "names"]
TEXT_FIELDS = [*DEFAULT_FIELDS, "actor_names", "place_names", "tag_names", "byline", "source"]
FIELD_BOOSTS = {"title": 3.0, "names": 1.5}
PUBLISHED_FILTER = re.compile(
    r"\b(?:published|date):(?:\[(?P<lo>[\d-]*)\s+TO\s+(?P<hi>[\d-]*)\]|(?P<single>\d{4}(?:-\d{2}){0,2}))",
    re.IGNORECASE,
)
SNIPPET_CHARS = 240
SNIPPET_LEAD = 60
FACET_KEYS = ("actor", "place", "tag", "source", "year", "month")
STATUS, START, END, ARTICLE = 6, 7, 8, 9  # positions after the facets in each document's facet-column row
MULTI_VALUED = {"actor", "place", "tag"}
DATE_ORDER_THRESHOLD = 5000
FILTER_CACHE_SIZE = 64
# From this many documents a write is split between writer processes, one per core.
PARALLEL_WRITE_THRESHOLD = 1000
# Documents a rebuild writes between checkpoints: fewer segments, against less work redone after an interruption.
REBUILD_CHECKPOINT = 100_000
# Segments ``compact`` leaves after bulk writes; a rebuild of 1,000,000 articles leaves twenty.
COMPACT_SEGMENTS = 10


def _analyzer():
    return StemmingAnalyzer() | CharsetFilter(accent_map)


def _word_analyzer():
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def build_schema() -> fields.Schema:
    text = _analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=text, field_boost=FIELD_BOOSTS["title"]),
        body=fields.TEXT(analyzer=text, stored=True),
        # Unstemmed words of titles and access-point names: the dictionary for
        # "did you mean" and typing suggestions. Spelling the whole body would
        # cost a third of the indexing time.
        words=fields.TEXT(analyzer=_word_analyzer(), phrase=False),
        byline=fields.TEXT(analyzer=text),
        source=fields.TEXT(analyzer=text),
        names=fields.TEXT(analyzer=text, field_boost=FIELD_BOOSTS["names"]),
        actor_names=fields.TEXT(analyzer=text),
        place_names=fields.TEXT(analyzer=text),
        tag_names=fields.TEXT(analyzer=text),
        actor_id=fields.KEYWORD(commas=True),
        place_id=fields.KEYWORD(commas=True),
        tag=fields.KEYWORD(commas=True),
        source_exact=fields.ID(),
        status=fields.ID(),
        start=fields.NUMERIC(int, bits=32, sortable=True),
        end=fields.NUMERIC(int, bits=32),
        facets=fields.COLUMN(columns.PickleColumn(columns.VarBytesColumn())),
        meta=fields.COLUMN(columns.PickleColumn(columns.VarBytesColumn())),
    )


def _day_number(value: dt.date | None) -> int | None:
    return value.year * 10000 + value.month * 100 + value.day if value else None


def to_whoosh(document: dict) -> dict:
    """Flatten the shared document into Whoosh field values."""
    start = _day_number(document["published_start"])
    end = _day_number(document["published_end"])
    fields_ = {
        "id": str(document["id"]),
        "title": document["title"],
        "body": document["body"],
        "byline": document["byline"],
        "source": document["source"],
        "names": "\n".join(
            [
                *document["actor_names"],
                *document["place_names"],
                *document["tag_names"],
                document["byline"],
                document["source"],
                document["dateline"],
            ]
        ),
        "actor_names": "\n".join(document["actor_names"]),
        "place_names": "\n".join(document["place_names"]),
        "tag_names": "\n".join(document["tag_names"]),
        "words": "\n".join(
            [document["title"], *document["actor_names"], *document["place_names"], *document["tag_names"]]
        ),
        "actor_id": ",".join(map(str, document["actor_ids"])),
        "place_id": ",".join(map(str, document["place_ids"])),
        "tag": ",".join(document["tags"]),
        "source_exact": document["source"],
        "status": document["status"],
        "facets": (
            tuple(map(str, document["actor_ids"])),
            tuple(map(str, document["place_ids"])),
            tuple(document["tags"]),
            document["source"],
            str(document["year"]) if document["year"] else None,
            document["month"],
            document["status"],
            start,
            end,
            document["id"],
        ),
        "meta": (document["id"], document["fingerprint"]),
    }
    if start is not None:
        fields_["start"] = start
        fields_["end"] = end
    return {key: value for key, value in fields_.items() if value not in ("", None)}


def _writer_options(documents: int, memory_mb: int) -> dict:
    """Large batches (imports, rebuilds) use every core; each writer process leaves its own segment,
    which Whoosh's merge policy folds in on later commits.

    Segments are written as separate files, not one compound file: Whoosh
    reads a compound segment through a ``BytesIO`` copy of each part, so
    every process that searched a 108,000-article index held about 450 MB of
    copies (2.6 GB at a million), and every reopen after a write copied them
    again. Separate files are read in place, through the page cache.
    """
    options = {"limitmb": memory_mb, "compound": False}
    cores = _cores()
    if documents < PARALLEL_WRITE_THRESHOLD or cores < 2:
        return options
    return {**options, "procs": cores, "multisegment": True}


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def _write(writer, reader, documents: list[dict], remove: Iterable[int]) -> None:
    """Delete the committed entries of these ids, found through ``reader`` (the writer's), then add the documents.

    One reader serves the whole batch: Whoosh's ``update_document`` opens a
    reader of every segment for each document, which cost more than indexing
    it once an index had a few dozen segments.
    """
    ids = {str(pk) for pk in remove} | {str(document["id"]) for document in documents}
    for leaf, base in reader.leaf_readers():
        for value in ids:
            if ("id", value) in leaf:
                for docnum in leaf.postings("id", value).all_ids():
                    writer.delete_document(base + docnum)
    for document in documents:
        writer.add_document(**to_whoosh(document))


def _merge_smallest(writer, segments: list) -> list:
    """A merge policy: fold the smallest segments into the writer's new one, keeping ``COMPACT_SEGMENTS`` - 1."""
    ordered = sorted(segments, key=lambda segment: segment.doc_count_all())
    merged, kept = ordered[: len(ordered) - COMPACT_SEGMENTS + 1], ordered[len(ordered) - COMPACT_SEGMENTS + 1 :]
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return kept


class _BulkWriter:
    """Many batches through one writer, committed when the block ends, without merging segments.

    Every commit leaves a segment per writer process, and Whoosh's merge
    policy rewrites them again and again as the index grows; one writer per
    block leaves segments as large as the block, as a rebuild does. Whoosh
    cannot replace a document it has not committed, so an id written twice
    in a block commits the writer before its second version.
    """

    def __init__(self, backend: "WhooshBackend"):
        self.backend = backend
        self.writer, self.reader = None, None
        self.written: set[str] = set()

    def index(self, documents: Iterable[dict], *, remove: Iterable[int] = ()) -> None:
        documents, remove = list(documents), list(remove)
        ids = {str(pk) for pk in remove} | {str(document["id"]) for document in documents}
        if not ids:
            return
        if ids & self.written:
            self.commit()
        if self.writer is None:
            self.writer = self.backend._writer(
                self.backend._open(), **_writer_options(PARALLEL_WRITE_THRESHOLD, self.backend.writer_memory_mb)
            )
            # The committed segments do not change while the writer is open: one reader serves every batch.
            self.reader = self.writer.reader()
        try:
            _write(self.writer, self.reader, documents, remove)
        except Exception as exc:
            self.cancel()
            raise SearchBackendError(f"writing {len(documents)} documents failed: {exc}") from exc
        self.written |= ids

    def commit(self) -> None:
        if self.writer is not None:
            self.reader.close()
            self.writer.commit(merge=False)
        self.writer, self.reader, self.written = None, None, set()

    def cancel(self) -> None:
        if self.writer is not None:
            self.reader.close()
            self.writer.cancel()
        self.writer, self.reader, self.written = None, None, set()


class WhooshBackend(BaseSearchBackend):
    """Options: ``PATH`` (the index symlink), ``LOCK_TIMEOUT`` (seconds to wait for a writer),
    ``WRITER_MEMORY_MB`` (each writer process's buffer before it spills sorted runs to disk; Whoosh
    counts it roughly, and the process holds about twice as much) and ``POSTINGS_CACHE_MB`` (the
    decoded postings each searching process keeps; 0 keeps none)."""

    def __init__(self, options: dict):
        super().__init__(options)
        self.path = Path(options["PATH"])
        self.generations = self.path.with_name(self.path.name + ".d")
        self.lock_timeout = float(options.get("LOCK_TIMEOUT", 5.0))
        self.writer_memory_mb = int(options.get("WRITER_MEMORY_MB", 16))
        self._postings_cache = SizedCache(int(options.get("POSTINGS_CACHE_MB", 32)) * 2**20)
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._searcher_target = None

    # Storage

    def _live_dir(self) -> Path:
        with self._lock:
            if not self.path.is_symlink() and not self.path.exists():
                fresh = self._new_generation()
                index.create_in(str(fresh), self.schema)
                self._point_live_at(fresh)
            return self.path.resolve()

    def _new_generation(self) -> Path:
        self.generations.mkdir(parents=True, exist_ok=True)
        directory = self.generations / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        directory.mkdir()
        return directory

    def _point_live_at(self, directory: Path) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
        os.symlink(os.path.relpath(directory, self.path.parent), temporary)
        os.replace(temporary, self.path)

    def _open(self, directory: Path | None = None):
        return index.open_dir(str(directory or self._live_dir()))

    def _writer(self, ix, **kwargs):
        try:
            return ix.writer(timeout=self.lock_timeout, **kwargs)
        except LockError as exc:
            raise IndexLocked(f"the index at {self.path} is locked by another writer") from exc

    # Writing

    def index(self, documents: Iterable[dict], *, remove: Iterable[int] = ()) -> None:
        documents = list(documents)
        if not documents and not remove:
            return
        writer = self._writer(self._open(), **_writer_options(len(documents), self.writer_memory_mb))
        try:
            reader = writer.reader()
            try:
                _write(writer, reader, documents, remove)
            finally:
                reader.close()
        except Exception as exc:
            writer.cancel()
            raise SearchBackendError(f"writing {len(documents)} documents failed: {exc}") from exc
        writer.commit()

    @contextmanager
    def bulk(self) -> Iterator["_BulkWriter"]:
        session = _BulkWriter(self)
        try:
            yield session
        except BaseException:
            session.cancel()
            raise
        session.commit()

    def compact(self) -> None:
        """Merge the smallest segments into one until at most ``COMPACT_SEGMENTS`` are left.

        Bulk writes merge nothing, so an import leaves a few segments per
        session, and a run of small imports one each; merging only the
        smallest keeps this cheap while searches never open many.
        """
        writer = self._writer(self._open(), limitmb=self.writer_memory_mb, compound=False)
        if len(writer.segments) <= COMPACT_SEGMENTS:
            writer.cancel()
            return
        writer.commit(mergetype=_merge_smallest)

    def clear(self) -> None:
        with self._lock:
            fresh = self._new_generation()
            index.create_in(str(fresh), self.schema)
            self._swap_to(fresh)

    def rebuild(self, batches_after: Callable[[int], Iterable[list[dict]]], *, fresh: bool = False) -> Iterator[int]:
        """Write every document into a new generation, committing a checkpoint every ``REBUILD_CHECKPOINT``.

        One writer (a process per core) takes documents until the checkpoint,
        so the index is written like Whoosh's own bulk writer would, without
        merging segments over and over; memory is the writers' buffers, not
        the corpus. An interrupted rebuild resumes from the last checkpoint.
        """
        building = self.generations / "building"
        progress_file = building / "progress.json"
        if fresh and building.exists():
            shutil.rmtree(building)
        if progress_file.exists():
            progress = json.loads(progress_file.read_text())
            ix = index.open_dir(str(building))
        else:
            if building.exists():
                shutil.rmtree(building)
            building.mkdir(parents=True)
            ix = index.create_in(str(building), self.schema)
            progress = {"last_id": 0, "count": 0}
            progress_file.write_text(json.dumps(progress))
        yield progress["count"]
        writer, written, last_id = None, 0, progress["last_id"]
        try:
            for batch in batches_after(progress["last_id"]):
                if not batch:
                    continue
                writer = writer or ix.writer(**_writer_options(REBUILD_CHECKPOINT, self.writer_memory_mb))
                for document in batch:
                    writer.add_document(**to_whoosh(document))
                written, last_id = written + len(batch), batch[-1]["id"]
                if written >= REBUILD_CHECKPOINT:
                    writer.commit(merge=False)
                    writer, progress = None, {"last_id": last_id, "count": progress["count"] + written}
                    written = 0
                    progress_file.write_text(json.dumps(progress))
                yield progress["count"] + written
            if writer is not None:
                writer.commit(merge=False)
                writer = None
        finally:
            if writer is not None:
                writer.cancel()
        ix.close()
        progress_file.unlink()
        final = self._new_generation()
        final.rmdir()
        building.rename(final)
        self._swap_to(final)

    def _swap_to(self, directory: Path) -> None:
        previous = self.path.resolve() if self.path.is_symlink() else None
        self._point_live_at(directory)
        with self._lock:
            self._close_searcher()
        if previous and previous != directory and previous.parent == self.generations:
            # Open readers keep their file handles; new ones follow the symlink.
            shutil.rmtree(previous, ignore_errors=True)

    # Reading

    def _close_searcher(self) -> None:
        if self._snapshot is not None:
            self._snapshot.searcher.close()
        self._snapshot, self._searcher_target = None, None

    def _current(self) -> "_Snapshot":
        """The open generation, kept across requests and reopened when the index changes."""
        with self._lock:
            target = self._live_dir()
            # Never searcher.refresh(): a reused segment reader keeps its old deletions.
            if self._snapshot is None or target != self._searcher_target or not self._snapshot.searcher.up_to_date():
                previous = self._snapshot
                self._close_searcher()
                self._snapshot = _Snapshot(self._open(target).searcher(), previous, self._postings_cache)
                self._searcher_target = target
            return self._snapshot

    def search(self, search_query: SearchQuery) -> SearchResults:
        snapshot = self._current()
        text, date_filters, date_notice = self._extract_dates(search_query.text)
        text_query, notice = self._parse(text, snapshot.searcher)
        notice = " ".join(part for part in (date_notice, notice) if part)
        wanted_facets = [key for key in search_query.facets if key in FACET_KEYS]
        if text_query is query.NullQuery:
            return SearchResults(hits=[], total=0, facets={key: [] for key in wanted_facets}, notice=notice)

        allowed = self._allowed(snapshot, search_query, date_filters)
        first = (max(1, search_query.page) - 1) * search_query.per_page
        limit = first + search_query.per_page
        every = isinstance(text_query, query.Every)
        scored = search_query.sort == "relevance" and not every
        terms = None if every else _TermTree.of(text_query, snapshot)
        if scored and terms is None:
            # Prefixes, NOT, ranges, sloppy phrases: Whoosh's matchers find and score every match in one pass.
            matched, ranked = snapshot.score(text_query, allowed, limit)
        else:
            if every:
                matched = np.flatnonzero(allowed)
            elif terms is not None:
                matched = terms.matches(allowed)
            else:
                found = np.zeros(len(allowed), dtype=bool)
                found[np.fromiter(text_query.docs(snapshot.searcher), dtype=np.intp)] = True
                matched = np.flatnonzero(found & allowed)
            if scored:
                ranked = terms.rank(matched, limit) if first < len(matched) else []
            else:
                newest = search_query.sort != "oldest"
                ranked = [(docnum, 0.0) for docnum in snapshot.by_date(matched, newest=newest, limit=limit)]

        hits: list[Hit] = []
        if first < len(matched):
            ranked = ranked[first:limit]
            highlighter = _Highlighter(text_query) if search_query.highlight else None
            for docnum, score in ranked:
                snippet = highlighter(snapshot.body(docnum)) if highlighter else ""
                hits.append(Hit(article_id=snapshot.article_id(docnum), score=score, highlight=snippet))

        facets = {}
        if wanted_facets:
            # Without words the matches depend on the filters alone, so browse pages can share the counts.
            key = (repr(search_query.statuses), repr(self._filters(search_query)), tuple(wanted_facets))
            if isinstance(text_query, query.Every) and not date_filters:
                facets = snapshot.remembered(key, lambda: snapshot.count_facets(matched, wanted_facets))
            else:
                facets = snapshot.count_facets(matched, wanted_facets)
        suggestion = ""
        if search_query.spellcheck and text.strip():
            suggestion = self._correction(search_query, snapshot, text_query, allowed)
        return SearchResults(hits=hits, total=len(matched), facets=facets, notice=notice, suggestion=suggestion)

    def _allowed(self, snapshot: "_Snapshot", search_query: SearchQuery, date_filters: list) -> np.ndarray:
        """A mask of the documents that pass every structured filter; each filter's mask is cached for
        the generation, and combining them is a few array operations whatever their sizes."""
        allowed = snapshot.status_mask(search_query.statuses)
        for filter_query in self._filters(search_query) + date_filters:
            allowed = allowed & snapshot.filter_mask(filter_query)
        return allowed

    def _parse(self, text: str, searcher) -> tuple[query.Query, str]:
        """Read the query language; on anything malformed, search the words plainly and say so."""
        text = (text or "").strip()
        if not text:
            return query.Every(), ""
        notice = ""
        if text.count('"') % 2:
            text = text.replace('"', " ")
            notice = "The query had an unbalanced quote, so it was searched as plain words."
        parser = self._parser(searcher)
        try:
            parsed = parser.parse(text)
        except Exception as exc:  # whoosh raises assorted errors on odd syntax
            logger.info("Query %r could not be parsed (%s); searching plain words", text, exc)
            parsed = None
        if parsed is None or (parsed is query.NullQuery and re.search(r"\w", text)):
            words = re.findall(r"\w+", text)
            parsed = qparser.MultifieldParser(DEFAULT_FIELDS, self.schema, group=qparser.AndGroup).parse(
                " ".join(words)
            )
            notice = notice or "The query could not be read as written, so it was searched as plain words."
        if parsed is query.NullQuery:
            notice = "The query has no searchable words (only common words such as 'the' or operators)."
        return parsed, notice

    def _parser(self, searcher):
        parser = qparser.MultifieldParser(DEFAULT_FIELDS, self.schema, fieldboosts=FIELD_BOOSTS)
        parser.add_plugin(qparser.FieldAliasPlugin({field: [alias] for alias, field in FIELD_ALIASES.items()}))
        parser.remove_plugin_class(qparser.WildcardPlugin)
        parser.add_plugin(qparser.PrefixPlugin())
        return parser

    def _extract_dates(self, text: str) -> tuple[str, list[query.Query], str]:
        """Take ``published:2016-02`` and ``published:[2015 TO 2016-06]`` out of the words as date filters."""
        filters, problems = [], []

        def replace(match):
            try:
                if match["single"]:
                    start, end, _ = partial_date_range(match["single"])
                else:
                    start = partial_date_range(match["lo"])[0] if match["lo"] else None
                    end = partial_date_range(match["hi"])[1] if match["hi"] else None
            except ValueError as exc:
                problems.append(str(exc))
                return " "
            found = date_filter(start, end, "overlap")
            if found is not None:
                filters.append(found)
            return " "

        remaining = PUBLISHED_FILTER.sub(replace, text or "")
        notice = f"Date filter ignored: {'; '.join(problems)}." if problems else ""
        return remaining, filters, notice

    def _filters(self, search_query: SearchQuery) -> list[query.Query]:
        filters: list[query.Query] = []
        for fieldname, values in (
            ("actor_id", search_query.actors),
            ("place_id", search_query.places),
            ("tag", search_query.tags),
            ("source_exact", search_query.sources),
        ):
            if values:
                filters.append(query.Or([query.Term(fieldname, str(value)) for value in values]))
        date_query = date_filter(search_query.date_from, search_query.date_to, search_query.date_mode)
        if date_query is not None:
            filters.append(date_query)
        return filters

    def _correction(self, search_query: SearchQuery, snapshot: "_Snapshot", text_query, allowed: np.ndarray) -> str:
        """A corrected query, offered only for words the index lacks and only if it finds something."""
        searcher = snapshot.searcher
        reader = searcher.reader()
        unknown = [
            (token.fieldname, token.text)
            for token in text_query.all_tokens()
            if token.fieldname in TEXT_FIELDS and not any((field, token.text) in reader for field in TEXT_FIELDS)
        ]
        if not unknown or not allowed.any():
            return ""
        dictionary = reader.corrector("words")
        corrected = searcher.correct_query(
            text_query,
            search_query.text,
            correctors={field: dictionary for field in TEXT_FIELDS},
            terms=unknown,
            maxdist=2,
            prefix=1,
        )
        if not corrected.string or corrected.string == search_query.text:
            return ""
        text, _, _ = self._extract_dates(corrected.string)
        candidate, _ = self._parse(text, searcher)
        if candidate is query.NullQuery:
            return ""
        return corrected.string if any(allowed[docnum] for docnum in candidate.docs(searcher)) else ""

    # Introspection

    def fingerprints(self) -> dict[int, str]:
        """Read from the id column alone: a check of a large index must not load the search tables."""
        with self._open().reader() as reader:
            if not reader.has_column("meta"):
                return {}
            meta = reader.column_reader("meta")
            return dict(meta[docnum] for docnum in reader.all_doc_ids())

    def suggest_terms(self, prefix: str, limit: int = 10) -> list[str]:
        prefix = (prefix or "").strip().lower().translate(accent_map)
        if len(prefix) < 2:
            return []
        reader = self._current().searcher.reader()
        terms = []
        for term in reader.expand_prefix("words", prefix):
            word = term.decode() if isinstance(term, bytes) else term
            terms.append((reader.doc_frequency("words", term), word))
            if len(terms) > 2000:
                break
        return [word for _, word in sorted(terms, key=lambda pair: (-pair[0], pair[1]))[:limit]]

    def more_like(self, article_id: int, limit: int = 5, statuses: tuple[str, ...] = ("published",)) -> list[Hit]:
        snapshot = self._current()
        searcher = snapshot.searcher
        docnum = searcher.document_number(id=str(article_id))
        if docnum is None:
            return []
        allowed = snapshot.with_status(statuses)
        allowed.discard(docnum)
        results = searcher.more_like(docnum, "body", text=snapshot.body(docnum), top=limit, filter=allowed)
        return [Hit(article_id=snapshot.article_id(hit.docnum), score=float(hit.score or 0.0)) for hit in results]


class _Snapshot:
    """One index generation opened for reading, with the per-document tables searches reuse.

    Built once per generation (every committed write makes a new one) and
    dropped when the index changes, so nothing here can go stale.
    """

    def __init__(self, searcher, previous: "_Snapshot | None" = None, postings_cache: SizedCache | None = None):
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

    def term_postings(self, fieldname: str, text: str, *, positions: bool = False) -> "_Postings":
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
                part = _read_segment_postings(reader, fieldname, btext, positions=positions)
                if key is not None:
                    self._postings_cache.put((*key, positions), part, part.size)
            if len(part.ids):
                parts.append((offset, part))
        if not parts:
            return _Postings(np.zeros(0, dtype=np.intp), np.zeros(0), [] if positions else None)
        ids = np.concatenate([part.ids + offset for offset, part in parts])
        weights = np.concatenate([part.weights for _, part in parts])
        values = [value for _, part in parts for value in part.values] if positions else None
        return _Postings(ids, weights, values)

    def _cached_postings(self, key: tuple | None, positions: bool) -> "_SegmentPostings | None":
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


class _TermTree:
    """Words that are terms and exact phrases under AND and OR, matched and ranked from whole posting blocks.

    Whoosh ranks by walking every posting through a tree of matchers, one
    Python call per posting and node, which cost 50-120 ms for common words at
    90,000 articles; its block-quality shortcut is no way out, as it dropped
    high-scoring documents from the top of such queries. Here the matches
    are array operations on each term's sorted document numbers and the
    mask of allowed documents (exact totals and facets; a phrase also checks
    its words' positions in the documents that have them all), and only the
    allowed matches are scored, with Whoosh's
    BM25F formula combined as its matchers combine it: a term's score where
    it matches, a phrase's the sum of its words' scores in its field, added
    up through AND and OR, times any boost. Whoosh orders those additions per
    segment, so its scores can differ from these in the last bit; identical
    documents score the same here. Prefixes, NOT, ranges and sloppy phrases
    go through Whoosh's own matchers instead.
    """

    def __init__(self, snapshot: "_Snapshot", text_query: query.Query):
        self.snapshot = snapshot
        self.query = text_query
        self._postings: dict[tuple[str, str], _Postings] = {}
        self._matches: dict[int, np.ndarray] = {}

    @classmethod
    def of(cls, text_query: query.Query, snapshot: "_Snapshot") -> "_TermTree | None":
        """The tree for ``text_query``, or None when it has other parts or the index scores otherwise."""
        if type(snapshot.searcher.weighting) is not scoring.BM25F or not _terms_and_phrases(text_query):
            return None
        return cls(snapshot, text_query)

    def matches(self, allowed: np.ndarray) -> np.ndarray:
        """The allowed documents the words match, in ascending order; ``allowed`` is a mask."""
        return self._match(self.query, allowed)

    def rank(self, matched: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` of ``matched``, highest score first and ties in index order, like Whoosh.

        Scores are computed for all the matches at once with numpy, in the
        same float64 operations and order as Python would do them one by one.
        """
        docs, scores = matched, self._score(self.query, matched)
        if len(docs) > limit:
            lowest = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            best = scores >= lowest
            docs, scores = docs[best], scores[best]
        order = np.lexsort((docs, -scores))[:limit]
        return [(int(docs[i]), float(scores[i])) for i in order]

    def _term(self, fieldname: str, text: str, *, positions: bool = False) -> "_Postings":
        key = (fieldname, text)
        known = self._postings.get(key)
        if known is None or (positions and known.values is None):
            self._postings[key] = self.snapshot.term_postings(fieldname, text, positions=positions)
        return self._postings[key]

    def _match(self, node: query.Query, allowed: np.ndarray) -> np.ndarray:
        if type(node) is query.Term:
            ids = self._term(node.fieldname, node.text).ids
            found = ids[allowed[ids]]
        elif type(node) is query.Phrase:
            words = [self._term(node.fieldname, word, positions=True) for word in node.words]
            decode = _positions_decoder(self.snapshot.searcher.schema[node.fieldname].format)
            candidates = reduce(_intersection, (word.ids for word in words[1:]), words[0].ids[allowed[words[0].ids]])
            candidates = candidates.tolist()
            found = np.array(
                [
                    docnum
                    for docnum, *encoded in zip(
                        candidates, *(word.values_of(candidates) for word in words), strict=True
                    )
                    if _in_sequence([decode(value) for value in encoded])
                ],
                dtype=np.intp,
            )
        else:
            parts = [self._match(child, allowed) for child in node.subqueries]
            if type(node) is query.And:
                found = reduce(_intersection, parts)
            else:  # marking a mask is many times faster than np.unique for the tens of thousands of an OR
                union = np.zeros(len(allowed), dtype=bool)
                for part in parts:
                    union[part] = True
                found = np.flatnonzero(union)
        self._matches[id(node)] = found
        return found

    def _score(self, node: query.Query, docs: np.ndarray) -> np.ndarray:
        """Scores of ``docs``, all of which ``node`` matches."""
        if type(node) is query.Term:
            scores = self._term_scores(node.fieldname, node.text, docs)
        elif type(node) is query.Phrase:
            scores = _tree_sum([self._term_scores(node.fieldname, word, docs) for word in node.words])
        else:
            # A child adds its score where it matches and 0.0 elsewhere, which changes nothing.
            scores = np.zeros(len(docs))
            for child in node.subqueries:
                child_scores = self._score(child, docs)
                if type(node) is query.Or:
                    child_scores = np.where(self._matched_by(child, docs), child_scores, 0.0)
                scores = scores + child_scores
        if node.boost != 1.0:
            scores = scores * node.boost
        return scores

    def _matched_by(self, node: query.Query, docs: np.ndarray) -> np.ndarray:
        return np.isin(docs, self._matches[id(node)], assume_unique=True)

    def _term_scores(self, fieldname: str, text: str, docs: np.ndarray) -> np.ndarray:
        """BM25F of one term for each of ``docs`` (0.0 where the term is absent)."""
        searcher = self.snapshot.searcher
        postings = self._postings[(fieldname, text)]
        weights = np.zeros(searcher.doc_count_all())
        weights[postings.ids] = postings.weights
        weights = weights[docs]
        norms = self.snapshot.length_norms(fieldname)[docs]
        idf = searcher.idf(fieldname, searcher.schema[fieldname].to_bytes(text))
        k1_plus_one = searcher.weighting.K1 + 1
        # scoring.bm25 with the length part precomputed per document; the same float operations in the same order.
        return idf * ((weights * k1_plus_one) / (weights + norms))


@dataclass(frozen=True)
class _Postings:
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
class _SegmentPostings:
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


def _read_segment_postings(reader, fieldname: str, btext: bytes, *, positions: bool) -> _SegmentPostings:
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
    return _SegmentPostings(
        np.array(ids, dtype=np.intp), np.array(weights, dtype=np.float64), tuple(values) if positions else None
    )


def _intersection(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Document numbers in both ascending arrays of distinct numbers."""
    return np.intersect1d(first, second, assume_unique=True)


def _terms_and_phrases(node: query.Query) -> bool:
    if type(node) is query.Term:
        return node.fieldname in TEXT_FIELDS and not node.minquality
    if type(node) is query.Phrase:
        return node.fieldname in TEXT_FIELDS and node.slop == 1 and bool(node.words)
    if type(node) is query.And or (type(node) is query.Or and not node.scale and not node.minmatch):
        return bool(node.subqueries) and all(_terms_and_phrases(child) for child in node.subqueries)
    return False


def _in_sequence(positions: list) -> bool:
    """Whether the words occur one right after another somewhere: Whoosh's phrase match at slop 1."""
    first, *later = positions
    starts = set(first)
    for step, word_positions in enumerate(later, 1):
        starts.intersection_update([position - step for position in word_positions])
        if not starts:
            return False
    return True


def _positions_decoder(format_) -> Callable[[bytes], Iterable[int]]:
    """Whoosh's ``Positions.decode_positions`` without its Python loop: the value is a 4-byte
    count, then the pickled gaps between positions, the pickle's final STOP byte possibly left off."""
    if type(format_) is not formats.Positions:
        return format_.decode_positions

    def decode(value: bytes) -> Iterable[int]:
        return accumulate(pickle.loads(value[4:] if value.endswith(b".") else value[4:] + b"."))

    return decode


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    """Per-document sums in the order of Whoosh's binary tree of intersection matchers."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


class _Highlighter:
    """Marks the query's words in a text and cuts the snippet around the densest run of them.

    Whoosh's own highlighter runs the full analyser over every hit's body,
    which cost more than the search itself; here only words that share a
    first letter pair with a query term are stemmed, with a cache. The regex
    engine skips the other words: it finds the tokenizer's words that start
    with a query term's first letter in either case, or with a non-ASCII
    letter, whose folding the check below does in full. The pattern opens
    with that set of letters, so the engine scans for them in C; a word
    starts where no word character, nor word character and dot, precedes its
    first letter, which the lookbehinds check once that letter is read.
    """

    def __init__(self, text_query: query.Query):
        self.terms = {text for field, text in text_query.iter_all_terms() if field in TEXT_FIELDS}
        self.prefixes = tuple(leaf.text for leaf in text_query.leaves() if isinstance(leaf, query.Prefix))
        self.heads = {term[:2] for term in (*self.terms, *self.prefixes)}
        firsts = "".join(sorted({case(head[0]) for head in self.heads if head for case in (str.lower, str.upper)}))
        # The rest is the tokenizer's word pattern, \w+(?:\.?\w+)*, less its first letter.
        self.candidates = re.compile(rf"[{re.escape(firsts)}\x80-\U0010ffff](?<!\w\w)(?<!\w\.\w)(?<=\w)\w*(?:\.?\w+)*")

    def __call__(self, text: str) -> str:
        spans = []
        if self.heads:
            for match in self.candidates.finditer(text):
                folded = match.group().lower().translate(accent_map)
                if folded[:2] in self.heads and (
                    _stemmed(folded) in self.terms or (self.prefixes and folded.startswith(self.prefixes))
                ):
                    spans.append((match.start(), match.end()))
        if not spans:
            return _escape_excerpt(text, 0, SNIPPET_CHARS)
        best, best_count, last = 0, 0, 0
        for first in range(len(spans)):
            while last < len(spans) and spans[last][1] - spans[first][0] <= SNIPPET_CHARS:
                last += 1
            if last - first > best_count:
                best, best_count = first, last - first
        start = max(0, spans[best][0] - SNIPPET_LEAD)
        if start:
            space = text.find(" ", start, spans[best][0])
            start = space + 1 if space != -1 else start
        end = min(len(text), start + SNIPPET_CHARS)
        if end < len(text):
            space = text.rfind(" ", max(spans[best][1], start), end)
            end = space if space != -1 else end
        parts, position = ["…"] if start else [], start
        for span_start, span_end in spans:
            if span_start < start or span_end > end:
                continue
            parts.append(escape(text[position:span_start], quote=False))
            parts.append(f"<mark>{escape(text[span_start:span_end], quote=False)}</mark>")
            position = span_end
        parts.append(escape(text[position:end], quote=False))
        if end < len(text):
            parts.append("…")
        return "".join(parts)


@lru_cache(maxsize=100_000)
def _stemmed(word: str) -> str:
    return porter_stem(word)


def _escape_excerpt(text: str, start: int, length: int) -> str:
    excerpt = text[start : start + length]
    return escape(excerpt + ("…" if len(text) > start + length else ""), quote=False)


def date_filter(date_from: dt.date | None, date_to: dt.date | None, mode: str) -> "DateFilter | None":
    """Articles whose published range overlaps, or lies within, [date_from, date_to]."""
    if date_from is None and date_to is None:
        return None
    return DateFilter(_day_number(date_from), _day_number(date_to), within=mode == "within")


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
