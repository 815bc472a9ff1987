"""The Whoosh engine behind the search contract; the only module that imports whoosh.

Layout on disk: ``PATH`` is a symlink to one generation directory under
``PATH.d/``. A rebuild writes a new generation beside the live one and swaps
the symlink in a single rename, so searches never see a half-built index.

Facet data (actor, place and tag ids, source, year, month) lives in one
pickled column per document, loaded once per index generation into a list
indexed by document number: counting facets is then a walk over the matched
document numbers, with no stored-field reads.
"""

import datetime as dt
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from html import escape
from pathlib import Path

from whoosh import columns, fields, highlight, index, qparser, query, sorting
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.codec import whoosh3
from whoosh.support.charset import accent_map
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
TEXT_FIELDS = ["title", "body", "actor_names", "place_names", "tag_names", "byline", "source", "dateline"]
FIELD_BOOSTS = {"title": 3.0, "actor_names": 1.5, "place_names": 1.5, "tag_names": 1.5}
PUBLISHED_FILTER = re.compile(
    r"\b(?:published|date):(?:\[(?P<lo>[\d-]*)\s+TO\s+(?P<hi>[\d-]*)\]|(?P<single>\d{4}(?:-\d{2}){0,2}))",
    re.IGNORECASE,
)
SNIPPET_CHARS = 240
FACET_KEYS = ("actor", "place", "tag", "source", "year", "month")


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
        dateline=fields.TEXT(analyzer=text),
        actor_names=fields.TEXT(analyzer=text, field_boost=FIELD_BOOSTS["actor_names"]),
        place_names=fields.TEXT(analyzer=text, field_boost=FIELD_BOOSTS["place_names"]),
        tag_names=fields.TEXT(analyzer=text, field_boost=FIELD_BOOSTS["tag_names"]),
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
        "dateline": document["dateline"],
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
        ),
        "meta": (document["id"], document["fingerprint"]),
    }
    if start is not None:
        fields_["start"] = start
        fields_["end"] = end
    return {key: value for key, value in fields_.items() if value not in ("", None)}


class WhooshBackend(BaseSearchBackend):
    """Options: ``PATH`` (the index symlink) and ``LOCK_TIMEOUT`` (seconds to wait for a writer)."""

    def __init__(self, options: dict):
        super().__init__(options)
        self.path = Path(options["PATH"])
        self.generations = self.path.with_name(self.path.name + ".d")
        self.lock_timeout = float(options.get("LOCK_TIMEOUT", 5.0))
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._searcher = None
        self._searcher_target = None
        self._facet_table: list | None = None

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
        documents, remove = list(documents), [str(pk) for pk in remove]
        if not documents and not remove:
            return
        writer = self._writer(self._open())
        try:
            for pk in remove:
                writer.delete_by_term("id", pk)
            for document in documents:
                writer.update_document(**to_whoosh(document))
        except Exception as exc:
            writer.cancel()
            raise SearchBackendError(f"writing {len(documents)} documents failed: {exc}") from exc
        writer.commit()

    def clear(self) -> None:
        with self._lock:
            fresh = self._new_generation()
            index.create_in(str(fresh), self.schema)
            self._swap_to(fresh)

    def rebuild(self, batches_after: Callable[[int], Iterable[list[dict]]], *, fresh: bool = False) -> Iterator[int]:
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
        for batch in batches_after(progress["last_id"]):
            if not batch:
                continue
            writer = ix.writer(limitmb=128)
            for document in batch:
                writer.add_document(**to_whoosh(document))
            writer.commit(merge=True)
            progress = {"last_id": batch[-1]["id"], "count": progress["count"] + len(batch)}
            progress_file.write_text(json.dumps(progress))
            yield progress["count"]
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
        if self._searcher is not None:
            self._searcher.close()
        self._searcher, self._searcher_target, self._facet_table = None, None, None

    def _current_searcher(self):
        """A searcher kept across requests and refreshed when the index changes."""
        with self._lock:
            target = self._live_dir()
            if self._searcher is None or target != self._searcher_target:
                self._close_searcher()
                self._searcher = self._open(target).searcher()
                self._searcher_target = target
            elif not self._searcher.up_to_date():
                # Not searcher.refresh(): a reused segment reader keeps its old deletions.
                self._close_searcher()
                self._searcher = self._open(target).searcher()
                self._searcher_target = target
            return self._searcher, self._facets_for(self._searcher)

    def _facets_for(self, searcher) -> list:
        if self._facet_table is None:
            reader = searcher.reader()
            self._facet_table = list(reader.column_reader("facets")) if reader.has_column("facets") else []
        return self._facet_table

    def search(self, search_query: SearchQuery) -> SearchResults:
        searcher, facet_table = self._current_searcher()
        text, date_filters, date_notice = self._extract_dates(search_query.text)
        text_query, notice = self._parse(text, searcher)
        notice = " ".join(part for part in (date_notice, notice) if part)
        filters = self._filters(search_query) + date_filters
        combined = combine(text_query, filters)

        matched = list(combined.docs(searcher))
        total = len(matched)

        page = max(1, search_query.page)
        limit = page * search_query.per_page
        hits: list[Hit] = []
        if total and (page - 1) * search_query.per_page < total:
            sortedby, reverse = None, False
            if search_query.sort in ("newest", "oldest"):
                sortedby, reverse = sorting.FieldFacet("start"), search_query.sort == "newest"
            results = searcher.search(
                combined,
                limit=limit,
                sortedby=sortedby,
                reverse=reverse,
                terms=search_query.highlight,
            )
            if search_query.highlight:
                results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
                results.formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
            for hit in results[(page - 1) * search_query.per_page : limit]:
                hits.append(
                    Hit(
                        article_id=int(hit["id"]),
                        score=float(hit.score or 0.0),
                        highlight=self._snippet(hit) if search_query.highlight else "",
                    )
                )

        facets = self._count_facets(matched, facet_table, search_query.facets) if search_query.facets else {}
        suggestion = ""
        if search_query.spellcheck and search_query.text.strip():
            suggestion = self._correction(search_query, searcher, text_query)
        return SearchResults(hits=hits, total=total, facets=facets, notice=notice, suggestion=suggestion)

    def _snippet(self, hit) -> str:
        body = hit.get("body", "")
        fragment = hit.highlights("body", text=body, top=2) if body else ""
        if fragment:
            return fragment
        opening = body[:SNIPPET_CHARS]
        return escape(opening + ("…" if len(body) > SNIPPET_CHARS else ""), quote=False)

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
            parsed = qparser.MultifieldParser(TEXT_FIELDS, self.schema, group=qparser.AndGroup).parse(" ".join(words))
            notice = notice or "The query could not be read as written, so it was searched as plain words."
        if parsed is query.NullQuery:
            notice = "The query has no searchable words (only common words such as 'the' or operators)."
        return parsed, notice

    def _parser(self, searcher):
        parser = qparser.MultifieldParser(TEXT_FIELDS, self.schema, fieldboosts=FIELD_BOOSTS)
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
        if search_query.statuses:
            filters.append(query.Or([query.Term("status", status) for status in search_query.statuses]))
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

    def _count_facets(self, matched: list[int], facet_table: list, wanted: Iterable[str]) -> dict:
        positions = {key: FACET_KEYS.index(key) for key in wanted if key in FACET_KEYS}
        counters = {key: Counter() for key in positions}
        multi = {key for key in positions if key in ("actor", "place", "tag")}
        for docnum in matched:
            row = facet_table[docnum] if docnum < len(facet_table) else None
            if row is None:
                continue
            for key, position in positions.items():
                value = row[position]
                if key in multi:
                    counters[key].update(value)
                elif value:
                    counters[key][value] += 1
        return {
            key: [FacetCount(value=value, count=count) for value, count in counter.most_common()]
            for key, counter in counters.items()
        }

    def _correction(self, search_query: SearchQuery, searcher, text_query) -> str:
        """A corrected query, offered only for words the index lacks and only if it finds something."""
        reader = searcher.reader()
        unknown = [
            (token.fieldname, token.text)
            for token in text_query.all_tokens()
            if token.fieldname in TEXT_FIELDS and not any((field, token.text) in reader for field in TEXT_FIELDS)
        ]
        if not unknown:
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
        candidate, _ = self._parse(corrected.string, searcher)
        combined = combine(candidate, self._filters(search_query))
        return corrected.string if next(iter(combined.docs(searcher)), None) is not None else ""

    # Introspection

    def fingerprints(self) -> dict[int, str]:
        searcher, _ = self._current_searcher()
        reader = searcher.reader()
        if not reader.has_column("meta"):
            return {}
        column = reader.column_reader("meta")
        found = {}
        for docnum in reader.all_doc_ids():
            article_id, fingerprint = column[docnum]
            found[article_id] = fingerprint
        return found

    def suggest_terms(self, prefix: str, limit: int = 10) -> list[str]:
        prefix = (prefix or "").strip().lower()
        if len(prefix) < 2:
            return []
        searcher, _ = self._current_searcher()
        reader = searcher.reader()
        terms = []
        for term in reader.expand_prefix("words", prefix):
            word = term.decode() if isinstance(term, bytes) else term
            terms.append((reader.doc_frequency("words", term), word))
            if len(terms) > 2000:
                break
        return [word for _, word in sorted(terms, key=lambda pair: (-pair[0], pair[1]))[:limit]]

    def more_like(self, article_id: int, limit: int = 5, statuses: tuple[str, ...] = ("published",)) -> list[Hit]:
        searcher, _ = self._current_searcher()
        docnum = searcher.document_number(id=str(article_id))
        if docnum is None:
            return []
        body = searcher.stored_fields(docnum).get("body", "")
        status_filter = query.Or([query.Term("status", status) for status in statuses])
        results = searcher.more_like(docnum, "body", text=body, top=limit, filter=status_filter)
        return [Hit(article_id=int(hit["id"]), score=float(hit.score or 0.0)) for hit in results]


def combine(text_query: query.Query, filters: list[query.Query]) -> query.Query:
    """AND the words with the filters; Whoosh's own normalisation would let ``Every`` swallow the filters."""
    if text_query is query.NullQuery:
        return query.NullQuery
    parts = [part for part in (text_query, *filters) if not isinstance(part, query.Every)]
    if not parts:
        return query.Every()
    return parts[0] if len(parts) == 1 else query.And(parts)


def date_filter(date_from: dt.date | None, date_to: dt.date | None, mode: str) -> query.Query | None:
    """Articles whose published range overlaps, or lies within, [date_from, date_to]."""
    if date_from is None and date_to is None:
        return None
    low, high = _day_number(date_from), _day_number(date_to)
    if mode == "within":
        parts = []
        if low is not None:
            parts.append(query.NumericRange("start", low, None))
        if high is not None:
            parts.append(query.NumericRange("end", None, high))
    else:
        parts = []
        if high is not None:
            parts.append(query.NumericRange("start", None, high))
        if low is not None:
            parts.append(query.NumericRange("end", low, None))
    return query.And(parts) if len(parts) > 1 else parts[0]
