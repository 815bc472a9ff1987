"""The Whoosh engine behind the search contract.

Only the ``whoosh_*`` modules of this package import whoosh: this one
writes the index and answers the contract; ``whoosh_schema`` says what a
document is in it, ``whoosh_snapshot`` holds an open generation and its
tables, ``whoosh_matching`` matches and ranks plain words and phrases, and
``whoosh_highlight`` cuts the snippets.

Layout on disk: ``PATH`` is a symlink to one generation directory under
``PATH.d/``. A rebuild writes a new generation beside the live one and swaps
the symlink in a single rename, so searches never see a half-built index.

Words that are terms and exact phrases under AND and OR (most searches) are
matched and ranked by ``TermTree`` from whole posting blocks, with Whoosh's
own BM25F scores; prefixes, NOT, ranges and sloppy phrases go through
Whoosh's matchers (``Snapshot.score``).
"""

import datetime as dt
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np
from whoosh import index, qparser, query
from whoosh.codec import whoosh3
from whoosh.reading import SegmentReader
from whoosh.support.charset import accent_map
from whoosh.writing import LockError

from archive.search.base import (
    BaseSearchBackend,
    Hit,
    IndexLocked,
    IndexUnreadable,
    SearchBackendError,
    SearchQuery,
    SearchResults,
)
from archive.search.cache import SizedCache
from archive.search.query_language import NO_WORDS, UNBALANCED_QUOTE, UNREADABLE, extract_dates
from archive.search.whoosh_check import READ_ERRORS, REPAIR, problems, unreadable
from archive.search.whoosh_highlight import Highlighter
from archive.search.whoosh_matching import TermTree
from archive.search.whoosh_schema import (
    DEFAULT_FIELDS,
    FACET_KEYS,
    FIELD_ALIASES,
    FIELD_BOOSTS,
    TEXT_FIELDS,
    build_schema,
    to_whoosh,
)
from archive.search.whoosh_snapshot import Snapshot, date_filter

logger = logging.getLogger(__name__)
T = TypeVar("T")


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

# From this many documents a write is split between writer processes, one per core.
PARALLEL_WRITE_THRESHOLD = 1000
# Documents a rebuild writes between checkpoints: fewer segments, against less work redone after an interruption.
REBUILD_CHECKPOINT = 100_000
# Segments ``compact`` leaves after bulk writes; a rebuild of 1,000,000 articles leaves twenty.
COMPACT_SEGMENTS = 10
# Tables of contents tried in a row when a concurrent commit removes each one as it is read.
OPEN_ATTEMPTS = 5
# What this version writes into an index. Raise it when an index written before would no longer answer
# rightly (a field added or analysed differently, a value written another way): ``check_index`` then asks
# for a rebuild. Each generation records its format in FORMAT_FILE; one without it was written in format 1.
INDEX_FORMAT = 1
FORMAT_FILE = "archive-format"


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


def _batch_ids(documents: list[dict], remove: Iterable[int]) -> set[str]:
    """The ids a write replaces or removes, as the ``id`` field holds them."""
    return {str(pk) for pk in remove} | {str(document["id"]) for document in documents}


def _write(writer, reader, documents: list[dict], ids: set[str]) -> None:
    """Delete the committed entries of ``ids``, found through ``reader`` (the writer's), then add the documents.

    One reader serves the whole batch: Whoosh's ``update_document`` opens a
    reader of every segment for each document, which cost more than indexing
    it once an index had a few dozen segments.
    """
    for leaf, base in reader.leaf_readers():
        for value in ids:
            if ("id", value) in leaf:
                for docnum in leaf.postings("id", value).all_ids():
                    writer.delete_document(base + docnum)
    for document in documents:
        writer.add_document(**to_whoosh(document))


def _load_holding_writer(cancel: Callable[[], None], load: Callable[[], list[dict]]) -> list[dict]:
    """Read the documents while the writer holds the lock; if reading fails, let the lock go first."""
    try:
        return list(load())
    except BaseException:
        cancel()
        raise


def _commit(writer, **options) -> None:
    """Commit, or free the lock and say why: a half-written segment is never referenced by a table of contents."""
    try:
        writer.commit(**options)
    except Exception as exc:
        if writer.writelock is not None:
            writer.writelock.release()
        raise SearchBackendError(f"committing the index failed: {exc}") from exc


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
        documents = list(documents)
        ids = _batch_ids(documents, remove)
        if ids:
            self._open_for(ids)
            self._add(documents, ids)

    def refresh(self, article_ids: set[int], load: Callable[[set[int]], list[dict]]) -> tuple[int, int]:
        ids = {str(pk) for pk in article_ids}
        if not ids:
            return 0, 0
        self._open_for(ids)
        documents = _load_holding_writer(self.cancel, lambda: load(article_ids))
        self._add(documents, ids)
        return len(documents), len(article_ids) - len(documents)

    def _open_for(self, ids: set[str]) -> None:
        """A writer that holds the lock and has committed any earlier version of ``ids``."""
        if ids & self.written:
            self.commit()
        if self.writer is None:
            self.writer = self.backend._writer(
                self.backend._open(), **_writer_options(PARALLEL_WRITE_THRESHOLD, self.backend.writer_memory_mb)
            )
            # The committed segments do not change while the writer is open: one reader serves every batch.
            self.reader = self.writer.reader()

    def _add(self, documents: list[dict], ids: set[str]) -> None:
        try:
            _write(self.writer, self.reader, documents, ids)
        except Exception as exc:
            self.cancel()
            raise SearchBackendError(f"writing {len(documents)} documents failed: {exc}") from exc
        self.written |= ids

    def commit(self) -> None:
        writer, reader = self.writer, self.reader
        self.writer, self.reader, self.written = None, None, set()
        if writer is not None:
            reader.close()
            _commit(writer, merge=False)

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
        self._snapshot: Snapshot | None = None
        self._searcher_target = None

    # Storage

    def _live_dir(self) -> Path:
        """The live generation, created on first use.

        Several processes may find no index at once (the web workers of a new
        archive): the first link made is the live one, and the others drop
        their empty generation, so no process writes where no other looks.
        """
        with self._lock:
            if not self.path.is_symlink() and not self.path.exists():
                fresh = self._new_generation()
                self._create_index(fresh)
                try:
                    os.symlink(os.path.relpath(fresh, self.path.parent), self.path)
                except FileExistsError:
                    shutil.rmtree(fresh)
            return self.path.resolve()

    def _create_index(self, directory: Path):
        ix = index.create_in(str(directory), self.schema)
        (directory / FORMAT_FILE).write_text(f"{INDEX_FORMAT}\n")
        return ix

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
        """The index at ``directory`` (the live one by default), read from its newest table of contents.

        Another process's commit deletes the table of contents it replaces, so
        one may vanish between being listed and being read: read the next.
        """
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return index.open_dir(str(directory or self._live_dir()))
            except FileNotFoundError as exc:
                if attempt == OPEN_ATTEMPTS - 1:
                    raise IndexUnreadable(f"the index at {self.path} cannot be opened: {exc}") from exc
            except (OSError, ValueError, EOFError, index.EmptyIndexError) as exc:
                raise IndexUnreadable(f"the index at {self.path} cannot be opened: {exc}") from exc

    def _writer(self, ix, **kwargs):
        try:
            return ix.writer(timeout=self.lock_timeout, **kwargs)
        except LockError as exc:
            raise IndexLocked(f"the index at {self.path} is locked by another writer") from exc

    # Writing

    def index(self, documents: Iterable[dict], *, remove: Iterable[int] = ()) -> None:
        documents = list(documents)
        if documents or remove:
            self._write_once(len(documents), lambda: documents, _batch_ids(documents, remove))

    def refresh(self, article_ids: set[int], load: Callable[[set[int]], list[dict]]) -> tuple[int, int]:
        if not article_ids:
            return 0, 0
        documents = self._write_once(len(article_ids), lambda: load(article_ids), {str(pk) for pk in article_ids})
        return len(documents), len(article_ids) - len(documents)

    def _write_once(self, size: int, load: Callable[[], list[dict]], ids: set[str]) -> list[dict]:
        """One writer, one commit; the documents are loaded only once the writer holds the lock."""
        writer = self._writer(self._open(), **_writer_options(size, self.writer_memory_mb))
        documents = _load_holding_writer(writer.cancel, load)
        try:
            reader = writer.reader()
            try:
                _write(writer, reader, documents, ids)
            finally:
                reader.close()
        except Exception as exc:
            writer.cancel()
            raise SearchBackendError(f"writing {len(documents)} documents failed: {exc}") from exc
        _commit(writer)
        return documents

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
        with self._rebuild_lock(), self._lock:
            fresh = self._new_generation()
            self._create_index(fresh)
            self._swap_to(fresh)

    def rebuild(self, batches_after: Callable[[int], Iterable[list[dict]]], *, fresh: bool = False) -> Iterator[int]:
        """Write every document into a new generation, committing a checkpoint every ``REBUILD_CHECKPOINT``.

        One writer (a process per core) takes documents until the checkpoint,
        so the index is written like Whoosh's own bulk writer would, without
        merging segments over and over; memory is the writers' buffers, not
        the corpus. An interrupted rebuild resumes from the last checkpoint.
        """
        with self._rebuild_lock():
            yield from self._rebuild(batches_after, fresh=fresh)

    @contextmanager
    def _rebuild_lock(self):
        """One rebuild at a time: two would write the same building directory. The kernel frees the lock
        when its process dies, however it dies."""
        self.generations.mkdir(parents=True, exist_ok=True)
        with open(self.generations / "rebuild.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SearchBackendError(f"another rebuild is running on {self.path}; wait for it to finish") from None
            yield

    def _rebuild(self, batches_after: Callable[[int], Iterable[list[dict]]], *, fresh: bool) -> Iterator[int]:
        building = self.generations / "building"
        progress_file = building / "progress.json"
        self._remove_abandoned_generations()
        if fresh and building.exists():
            shutil.rmtree(building)
        if progress_file.exists():
            progress = json.loads(progress_file.read_text())
            ix = index.open_dir(str(building))
        else:
            if building.exists():
                shutil.rmtree(building)
            building.mkdir(parents=True)
            ix = self._create_index(building)
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

    def _remove_abandoned_generations(self) -> None:
        """Generations left by a rebuild killed between finishing and swapping: never live, never to be."""
        live = self.path.resolve() if self.path.is_symlink() else None
        for directory in self.generations.iterdir():
            if directory.is_dir() and directory.name != "building" and directory != live:
                shutil.rmtree(directory, ignore_errors=True)

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

    def _current(self) -> "Snapshot":
        """The open generation, kept across requests and reopened when the index changes."""
        with self._lock:
            target = self._live_dir()
            # Never searcher.refresh(): a reused segment reader keeps its old deletions.
            if self._snapshot is None or target != self._searcher_target or not self._snapshot.searcher.up_to_date():
                previous = self._snapshot
                self._close_searcher()
                self._snapshot = Snapshot(self._open(target).searcher(), previous, self._postings_cache)
                self._searcher_target = target
            return self._snapshot

    def _read(self, operation: Callable[["Snapshot"], T]) -> T:
        """Run ``operation`` on the open generation, one thread at a time, reopening it once if its files fail.

        Whoosh's readers keep file positions and decoded blocks that threads
        would trample, so a process answers one search at a time (each takes
        milliseconds; more processes answer more at once). Another process's
        commit may delete segment files this generation has not opened yet:
        then the newest generation is opened and the operation run again. A
        second failure means the files themselves cannot be read.
        """
        with self._lock:
            try:
                return operation(self._current())
            except Exception as exc:
                if not unreadable(exc):
                    raise
                logger.info("The index changed under a reader (%s: %s); reopening it", type(exc).__name__, exc)
                self._close_searcher()
            try:
                return operation(self._current())
            except Exception as exc:
                if not unreadable(exc):
                    raise
                self._close_searcher()
                raise IndexUnreadable(
                    f"the index at {self.path} cannot be read ({type(exc).__name__}: {exc}); {REPAIR}"
                ) from exc

    def search(self, search_query: SearchQuery) -> SearchResults:
        return self._read(lambda snapshot: self._search(snapshot, search_query))

    def _search(self, snapshot: "Snapshot", search_query: SearchQuery) -> SearchResults:
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
        terms = None if every else TermTree.of(text_query, snapshot)
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
            highlighter = Highlighter(text_query) if search_query.highlight else None
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

    def _allowed(self, snapshot: "Snapshot", search_query: SearchQuery, date_filters: list) -> np.ndarray:
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
            notice = UNBALANCED_QUOTE
        parser = self._parser(searcher)
        try:
            parsed = parser.parse(text)
        except Exception as exc:  # whoosh raises assorted errors on odd syntax
            logger.info("Query %r could not be parsed (%s); searching plain words", text, exc)
            parsed = None
        if parsed is None or (parsed is query.NullQuery and re.search(r"\w", text)):
            # Lower case, so that AND, OR and NOT are words again and not operators with nothing to join.
            words = re.findall(r"\w+", text.lower())
            parsed = qparser.MultifieldParser(DEFAULT_FIELDS, self.schema, group=qparser.AndGroup).parse(
                " ".join(words)
            )
            notice = notice or UNREADABLE
        if parsed is query.NullQuery:
            notice = NO_WORDS
        return parsed, notice

    def _parser(self, searcher):
        parser = qparser.MultifieldParser(DEFAULT_FIELDS, self.schema, fieldboosts=FIELD_BOOSTS)
        parser.add_plugin(qparser.FieldAliasPlugin({field: [alias] for alias, field in FIELD_ALIASES.items()}))
        parser.remove_plugin_class(qparser.WildcardPlugin)
        parser.add_plugin(qparser.PrefixPlugin())
        return parser

    def _extract_dates(self, text: str) -> tuple[str, list[query.Query], str]:
        remaining, ranges, notice = extract_dates(text)
        return remaining, [date_filter(start, end, "overlap") for start, end in ranges], notice

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

    def _correction(self, search_query: SearchQuery, snapshot: "Snapshot", text_query, allowed: np.ndarray) -> str:
        """A corrected query, offered only for words the index lacks and only if it finds something."""
        if any(isinstance(leaf, query.ranges.RangeMixin) for leaf in text_query.leaves()):
            return ""  # a range has no words to correct, and Whoosh cannot list its tokens
        tokens = list(text_query.all_tokens())
        if any(token.startchar is None or token.endchar is None for token in tokens):
            # A word the analyser split in two ('sigonela-libya') has no place in the query string,
            # and Whoosh cannot rewrite the string around it.
            return ""
        searcher = snapshot.searcher
        reader = searcher.reader()
        unknown = [
            (token.fieldname, token.text)
            for token in tokens
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
        try:
            with self._open().reader() as reader:
                if not reader.has_column("meta"):
                    return {}
                meta = reader.column_reader("meta")
                return dict(meta[docnum] for docnum in reader.all_doc_ids())
        except READ_ERRORS as exc:
            raise IndexUnreadable(f"the index at {self.path} cannot be read ({type(exc).__name__}: {exc})") from exc

    def suggest_terms(self, prefix: str, limit: int = 10) -> list[str]:
        prefix = (prefix or "").strip().lower().translate(accent_map)
        if len(prefix) < 2:
            return []
        return self._read(lambda snapshot: self._suggest_terms(snapshot, prefix, limit))

    def _suggest_terms(self, snapshot: "Snapshot", prefix: str, limit: int) -> list[str]:
        reader = snapshot.searcher.reader()
        terms = []
        for term in reader.expand_prefix("words", prefix):
            word = term.decode() if isinstance(term, bytes) else term
            terms.append((reader.doc_frequency("words", term), word))
            if len(terms) > 2000:
                break
        return [word for _, word in sorted(terms, key=lambda pair: (-pair[0], pair[1]))[:limit]]

    def more_like(self, article_id: int, limit: int = 5, statuses: tuple[str, ...] = ("published",)) -> list[Hit]:
        return self._read(lambda snapshot: self._more_like(snapshot, article_id, limit, statuses))

    def _more_like(self, snapshot: "Snapshot", article_id: int, limit: int, statuses: tuple[str, ...]) -> list[Hit]:
        searcher = snapshot.searcher
        docnum = searcher.document_number(id=str(article_id))
        if docnum is None:
            return []
        body = snapshot.body(docnum)
        if not body or not body.strip():
            # Whoosh's more_like reads an empty text as "use the stored vector", which the body has none of.
            return []
        allowed = snapshot.with_status(statuses)
        allowed.discard(docnum)
        results = searcher.more_like(docnum, "body", text=body, top=limit, filter=allowed)
        return [Hit(article_id=snapshot.article_id(hit.docnum), score=float(hit.score or 0.0)) for hit in results]

    def outdated(self) -> str:
        if not self.path.exists():
            return ""
        try:
            written = int((self.path / FORMAT_FILE).read_text())
        except FileNotFoundError:
            written = 1
        except (OSError, ValueError) as exc:
            return f"the format of the index at {self.path} cannot be read ({exc})"
        if written == INDEX_FORMAT:
            return ""
        return (
            f"the index at {self.path} was written in format {written}, "
            f"and this version of the archive writes format {INDEX_FORMAT}"
        )

    def verify(self, *, deep: bool = False) -> list[str]:
        return problems(self.path, self.schema, deep=deep)
