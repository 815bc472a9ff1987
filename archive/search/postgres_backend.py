"""The PostgreSQL full-text engine behind the search contract: the index is a table in the archive's own database.

Every web server and worker that reaches the database shares it, and each
entry is written in the transaction of the change it reflects (the engine
says so with ``writes_in_transaction``; ``archive.search.indexing`` then
refreshes articles at its signal points instead of queueing them), so the
index commits or rolls back with the change and cannot drift.

Two writers of one article are ordered by its row: a refresh locks the
article rows (``FOR UPDATE``) before it reads their documents, so the
transaction that commits last read last. Under PostgreSQL's default READ
COMMITTED each statement sees what committed before it began, which is what
makes reading after the lock enough.

Storage (migration ``0008_postgres_search``): ``archive_search_entry`` keeps
per article a weighted ``tsvector`` (``document``: title A, names B, body and
dateline C, byline and source D), a ``tsvector`` of names for field filters
(``names``: actor A, place B, tag C, source D), the facet values as arrays and
the document's fingerprint; ``archive_search_word`` lists the unstemmed words
of titles and names, for suggestions and "did you mean" (``pg_trgm``).
Vectors are stored, never built at query time, so every match is answered
from a GIN index.
"""

import dataclasses
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction

from archive.search import postgres_query as pq
from archive.search.base import (
    BaseSearchBackend,
    FacetCount,
    Hit,
    SearchBackendError,
    SearchQuery,
    SearchResults,
)
from archive.search.query_language import NO_WORDS, UNBALANCED_QUOTE, UNREADABLE, extract_dates
from archive.search.snippets import opening, snippet

CONFIG = "archive_english"
# Weights of D, C, B, A for ts_rank_cd: a title word counts five times a body word.
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# Rank normalisation 1: divided by 1 + log(length), so long articles do not win by length alone.
RANK_NORMALISATION = 1
# Characters of a body that are indexed: a tsvector holds at most 1 MB of lexemes and positions.
INDEXED_BODY_CHARS = 400_000
# Characters of a body that ts_headline reads for a snippet; matches further in show the opening.
HEADLINE_CHARS = 20_000
# Private-use characters that mark matches in ts_headline's output, removed from the text first.
MARK_START, MARK_END = "\ue000", "\ue001"
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")
REBUILD_STATE = "rebuild_last_id"
# What this version writes into the entries. Raise it when entries written before would no longer answer
# rightly (a weight, a configuration, a column written another way): ``check_index`` then asks for a
# rebuild. The format is recorded under FORMAT_STATE whenever the index holds only entries of this
# version (cleared, rebuilt, or first written while empty); an index without it was written in format 1.
# Format 2: words in angle brackets and around slashes are indexed (see SEPARATORS).
INDEX_FORMAT = 2
FORMAT_STATE = "index_format"
# PostgreSQL's parser reads ``<New London Oil Ltd>``, the newswires' way of naming a company, as an XML
# tag and drops it whole, and ``oil/gas`` as a file path, one lexeme that ``oil`` does not find. These
# characters become spaces in what is indexed, searched and highlighted, and words split there as on Whoosh.
SEPARATORS = str.maketrans("<>/", "   ")
# The key of the advisory lock that keeps rebuilds apart: "archive" in ASCII.
REBUILD_LOCK = 0x61726368697665
# Old row versions of entries, beyond a tenth of the live ones, that make ``compact`` vacuum the table.
VACUUM_AFTER_DEAD_ENTRIES = 1000
# Terms more_like weighs from the article, and the documents it counts per term for their rarity.
MORE_LIKE_CANDIDATES, MORE_LIKE_TERMS, MORE_LIKE_COUNT_CAP = 25, 10, 5000
# From this many entries, more_like takes common words' shares from the planner's statistics, counts
# the others up to MORE_LIKE_RARE_CAP, and leaves out words in more than MORE_LIKE_MAX_SHARE of entries.
MORE_LIKE_LARGE, MORE_LIKE_RARE_CAP, MORE_LIKE_MAX_SHARE = 10_000, 200, 0.05
# The best terms of which a similar article shares two, before any one of the ten is enough.
MORE_LIKE_PAIRED_TERMS = 6
FACET_SOURCES = ("actor_ids", "place_ids", "tags", "source", "year", "month")
FACET_COLUMNS = {
    "actor": "unnest(actor_ids)::text",
    "place": "unnest(place_ids)::text",
    "tag": "unnest(tags)",
    "source": "nullif(source, '')",
    "year": "year::text",
    "month": "month",
}

_WRITE = f"""
WITH batch AS (
    SELECT * FROM jsonb_to_recordset(%(documents)s::jsonb) AS d(
        id bigint, title text, body text, byline text, source text, dateline text, status text,
        published_start date, published_end date, year integer, month text,
        actor_ids bigint[], place_ids bigint[], tags text[],
        actor_names text, place_names text, tag_names text, fingerprint text)
),
entries AS (
    INSERT INTO archive_search_entry AS entry (
        article_id, status, published_start, published_end, year, month, source,
        actor_ids, place_ids, tags, document, names, words, fingerprint)
    SELECT id, status, published_start, published_end, year, month, source, actor_ids, place_ids, tags,
        setweight(to_tsvector('{CONFIG}', title), 'A')
        || setweight(to_tsvector('{CONFIG}', concat_ws(E'\\n', actor_names, place_names, tag_names)), 'B')
        || setweight(to_tsvector('{CONFIG}', concat_ws(E'\\n', left(body, {INDEXED_BODY_CHARS}), dateline)), 'C')
        || setweight(to_tsvector('{CONFIG}', concat_ws(E'\\n', byline, source)), 'D'),
        setweight(to_tsvector('{CONFIG}', actor_names), 'A')
        || setweight(to_tsvector('{CONFIG}', place_names), 'B')
        || setweight(to_tsvector('{CONFIG}', tag_names), 'C')
        || setweight(to_tsvector('{CONFIG}', source), 'D'),
        tsvector_to_array(to_tsvector('archive_simple', concat_ws(E'\\n', title, actor_names, place_names, tag_names))),
        fingerprint
    FROM batch
    ON CONFLICT (article_id) DO UPDATE SET
        status = EXCLUDED.status, published_start = EXCLUDED.published_start,
        published_end = EXCLUDED.published_end, year = EXCLUDED.year, month = EXCLUDED.month,
        source = EXCLUDED.source, actor_ids = EXCLUDED.actor_ids, place_ids = EXCLUDED.place_ids,
        tags = EXCLUDED.tags, document = EXCLUDED.document, names = EXCLUDED.names,
        words = EXCLUDED.words, fingerprint = EXCLUDED.fingerprint
    RETURNING words
)
INSERT INTO archive_search_word (word, documents)
SELECT DISTINCT word, 1 FROM entries, unnest(entries.words) AS word ORDER BY word
ON CONFLICT (word) DO NOTHING
"""


def _record(document: dict) -> dict:
    return {
        "id": document["id"],
        "title": document["title"].translate(SEPARATORS),
        "body": document["body"].translate(SEPARATORS),
        "byline": document["byline"].translate(SEPARATORS),
        "source": document["source"],
        "dateline": document["dateline"].translate(SEPARATORS),
        "status": document["status"],
        "published_start": document["published_start"].isoformat() if document["published_start"] else None,
        "published_end": document["published_end"].isoformat() if document["published_end"] else None,
        "year": document["year"],
        "month": document["month"],
        "actor_ids": document["actor_ids"],
        "place_ids": document["place_ids"],
        "tags": document["tags"],
        "actor_names": "\n".join(document["actor_names"]).translate(SEPARATORS),
        "place_names": "\n".join(document["place_names"]).translate(SEPARATORS),
        "tag_names": "\n".join(document["tag_names"]).translate(SEPARATORS),
        "fingerprint": document["fingerprint"],
    }


@contextmanager
def _reading():
    """A savepoint inside a caller's transaction, so a failed read leaves that transaction usable; none outside."""
    if connection.in_atomic_block:
        with transaction.atomic():
            yield
    else:
        yield


def _failed(action: str, exc: DatabaseError) -> SearchBackendError:
    return SearchBackendError(f"{action} failed in PostgreSQL: {exc}".strip())


class PostgresBackend(BaseSearchBackend):
    """Options: none needed; the index lives in the ``default`` database, which must be PostgreSQL."""

    writes_in_transaction = True

    def __init__(self, options: dict):
        super().__init__(options)
        if connection.vendor != "postgresql":
            raise ImproperlyConfigured(
                "The postgres search engine keeps its index in the database, so DATABASE_URL must be a "
                f"PostgreSQL database (it is {connection.vendor})."
            )

    # Writing

    def index(self, documents: Iterable[dict], *, remove: Iterable[int] = ()) -> None:
        documents = list(documents)
        removed = {int(pk) for pk in remove} - {document["id"] for document in documents}
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                self._write(cursor, documents, removed)
        except DatabaseError as exc:
            raise _failed("writing the index", exc) from exc

    def refresh(self, article_ids: set[int], load: Callable[[set[int]], list[dict]]) -> tuple[int, int]:
        ids = sorted({int(pk) for pk in article_ids})
        if not ids:
            return 0, 0
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # The rows are locked before the documents are read: see the module's docstring.
                cursor.execute("SELECT id FROM archive_article WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ids])
                cursor.execute(
                    "SELECT article_id FROM archive_search_entry WHERE article_id = ANY(%s) "
                    "ORDER BY article_id FOR UPDATE",
                    [ids],
                )
                documents = list(load(set(ids)))
                self._write(cursor, documents, set(ids) - {document["id"] for document in documents})
        except DatabaseError as exc:
            raise _failed("refreshing the index", exc) from exc
        return len(documents), len(ids) - len(documents)

    def _write(self, cursor, documents: list[dict], removed: set[int]) -> None:
        if removed:
            cursor.execute("DELETE FROM archive_search_entry WHERE article_id = ANY(%s)", [sorted(removed)])
        if documents:
            # The first entries of an empty index are all of this version's format.
            cursor.execute(
                "INSERT INTO archive_search_state (key, value) SELECT %s, %s "
                "WHERE NOT EXISTS (SELECT 1 FROM archive_search_entry) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [FORMAT_STATE, INDEX_FORMAT],
            )
            ordered = sorted(documents, key=lambda document: document["id"])
            cursor.execute(_WRITE, {"documents": json.dumps([_record(document) for document in ordered])})

    def compact(self) -> None:
        """After bulk writes: move the GIN indexes' pending entries into the index proper, recount the
        word list, drop words no entry has any more, free the rewritten entries' old row versions and
        refresh the planner's statistics."""
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT gin_clean_pending_list(indexrelid) FROM pg_index "
                    "JOIN pg_class ON pg_class.oid = indexrelid JOIN pg_am ON pg_am.oid = pg_class.relam "
                    "WHERE indrelid = 'archive_search_entry'::regclass AND amname = 'gin'"
                )
                with transaction.atomic():
                    # The counts go through an analysed temporary table: with the estimates of a query
                    # over unnest(), the planner looked each of 16,450 words up through the trigram
                    # index (two minutes at 18,000 articles) and checked NOT IN row by row.
                    cursor.execute(
                        "CREATE TEMPORARY TABLE archive_word_counts AS SELECT word, count(*) AS n "
                        "FROM archive_search_entry, unnest(words) AS word GROUP BY word"
                    )
                    cursor.execute("ANALYZE archive_word_counts")
                    cursor.execute("ANALYZE archive_search_word")
                    cursor.execute(
                        "UPDATE archive_search_word SET documents = counts.n FROM archive_word_counts AS counts "
                        "WHERE counts.word = archive_search_word.word AND documents <> counts.n"
                    )
                    cursor.execute(
                        "DELETE FROM archive_search_word WHERE NOT EXISTS "
                        "(SELECT 1 FROM archive_word_counts AS counts WHERE counts.word = archive_search_word.word)"
                    )
                    cursor.execute("DROP TABLE archive_word_counts")
                # A rebuild or a large import rewrites entries, and their old row versions double the pages
                # a search reads until a vacuum frees them; a small import leaves them to autovacuum. VACUUM
                # cannot run inside a transaction (a test's).
                cursor.execute(
                    "SELECT n_dead_tup > %s + n_live_tup / 10 FROM pg_stat_user_tables "
                    "WHERE relid = 'archive_search_entry'::regclass",
                    [VACUUM_AFTER_DEAD_ENTRIES],
                )
                row = cursor.fetchone()
                vacuum = bool(row and row[0]) and not connection.in_atomic_block
                analyze = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
                cursor.execute(f"{analyze} archive_search_entry")
                cursor.execute("ANALYZE archive_search_word")
        except DatabaseError as exc:
            raise _failed("compacting the index", exc) from exc

    def clear(self) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("DELETE FROM archive_search_entry")
                cursor.execute("DELETE FROM archive_search_word")
                cursor.execute("DELETE FROM archive_search_state")
                self._save_format(cursor)
        except DatabaseError as exc:
            raise _failed("clearing the index", exc) from exc

    def rebuild(self, batches_after: Callable[[int], Iterable[list[dict]]], *, fresh: bool = False) -> Iterator[int]:
        """Rewrite every entry in place, a batch per transaction, then drop entries of articles that are gone.

        Searches keep reading the live table throughout: each entry is
        replaced whole, in a transaction of its own. Each batch is refreshed
        like any save, its rows locked before its documents are read again,
        so a save during the rebuild is never overwritten with an older
        copy. How far it got is committed with each batch, so an interrupted
        rebuild resumes there.
        """
        from archive.models import Article
        from archive.search.documents import article_documents

        def load(ids: set[int]) -> list[dict]:
            return article_documents(Article.objects.filter(pk__in=ids).order_by("pk"))

        with self._rebuild_lock():
            last_id, done = (0, 0) if fresh else self._rebuild_progress()
            yield done
            for batch in batches_after(last_id):
                if not batch:
                    continue
                ids = {document["id"] for document in batch}
                with transaction.atomic():
                    self.refresh(ids, load)
                    last_id, done = batch[-1]["id"], done + len(batch)
                    self._save_progress(last_id, done)
                yield done
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "DELETE FROM archive_search_entry AS entry WHERE NOT EXISTS "
                        "(SELECT 1 FROM archive_article WHERE id = entry.article_id)"
                    )
                    cursor.execute("DELETE FROM archive_search_state WHERE key LIKE 'rebuild_%%'")
                    self._save_format(cursor)
            except DatabaseError as exc:
                raise _failed("finishing the rebuild", exc) from exc
        self.compact()

    def _save_format(self, cursor) -> None:
        cursor.execute(
            "INSERT INTO archive_search_state (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [FORMAT_STATE, INDEX_FORMAT],
        )

    def _rebuild_progress(self) -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT key, value FROM archive_search_state WHERE key IN (%s, %s)",
                [REBUILD_STATE, REBUILD_STATE + "_count"],
            )
            state = dict(cursor.fetchall())
        return state.get(REBUILD_STATE, 0), state.get(REBUILD_STATE + "_count", 0)

    def _save_progress(self, last_id: int, done: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO archive_search_state (key, value) VALUES (%s, %s), (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [REBUILD_STATE, last_id, REBUILD_STATE + "_count", done],
            )

    @contextmanager
    def _rebuild_lock(self):
        """One rebuild at a time, held by the session: PostgreSQL frees it when the process dies."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [REBUILD_LOCK])
            if not cursor.fetchone()[0]:
                raise SearchBackendError("another rebuild of the PostgreSQL index is running; wait for it to finish")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [REBUILD_LOCK])

    # Reading

    def search(self, search_query: SearchQuery) -> SearchResults:
        try:
            with _reading():
                return self._search(search_query)
        except DatabaseError as exc:
            raise _failed("searching", exc) from exc

    def _search(self, search_query: SearchQuery) -> SearchResults:
        text, date_ranges, date_notice = extract_dates(search_query.text)
        tree, notice = self._parse(text)
        notice = " ".join(part for part in (date_notice, notice) if part)
        wanted_facets = [key for key in search_query.facets if key in FACET_COLUMNS]
        if tree is None and text.strip():
            return SearchResults(hits=[], total=0, facets={key: [] for key in wanted_facets}, notice=notice)

        where, params = self._where(search_query, tree, date_ranges)
        rank_queries = pq.ranking_queries(tree)
        first = (max(1, search_query.page) - 1) * search_query.per_page
        score, score_params = "0", []
        if search_query.sort == "relevance" and rank_queries:
            score = " + ".join(
                f"ts_rank_cd('{RANK_WEIGHTS}', {vector}, %s::tsquery, {RANK_NORMALISATION})" for vector in rank_queries
            )
            score_params, order = list(rank_queries.values()), "score DESC, article_id"
        elif search_query.sort == "oldest":
            order = "published_start ASC NULLS LAST, article_id ASC"
        else:
            order = "published_start DESC NULLS LAST, article_id DESC"
        with connection.cursor() as cursor:
            ranked, total, facets = self._matches(
                cursor,
                matched=(
                    f"SELECT article_id, {score} AS score, published_start, {', '.join(FACET_SOURCES)} "
                    f"FROM archive_search_entry WHERE {where}",
                    score_params + params,
                ),
                order=order,
                page=(search_query.per_page, first),
                wanted=wanted_facets,
            )
            highlights = self._highlights(cursor, [pk for pk, _ in ranked], tree) if search_query.highlight else {}
            suggestion = ""
            if search_query.spellcheck and text.strip() and tree is not None:
                suggestion = self._correction(cursor, search_query, tree)
        hits = [Hit(article_id=pk, score=float(score), highlight=highlights.get(pk, "")) for pk, score in ranked]
        return SearchResults(hits=hits, total=total, facets=facets, notice=notice, suggestion=suggestion)

    def _parse(self, text: str) -> tuple[pq.Tree | None, str]:
        """The parse tree with each leaf's lexemes; on anything malformed, the plain words and a notice."""
        text = text or ""
        if not text.strip():
            return None, ""
        notice = ""
        if text.count('"') % 2:
            text = text.replace('"', " ")
            notice = UNBALANCED_QUOTE
        try:
            tree = pq.parse(text)
        except pq.QuerySyntaxError:
            tree, notice = pq.plain_words(text), notice or UNREADABLE
        tree = self._normalised(tree)
        if tree is None:
            notice = NO_WORDS
        return tree, notice

    def _normalised(self, tree: pq.Tree | None) -> pq.Tree | None:
        """Each leaf's lexemes, made by PostgreSQL with the configuration the documents were indexed with."""
        found = [leaf for leaf, _ in pq.leaves(tree)]
        if not found:
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT phraseto_tsquery('{CONFIG}', t)::text, plainto_tsquery('archive_simple', t)::text "
                "FROM unnest(%s::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i",
                [[leaf.text.translate(SEPARATORS) for leaf in found]],
            )
            for leaf, (stemmed, simple) in zip(found, cursor.fetchall(), strict=True):
                if leaf.kind == "prefix":
                    # A prefix is not stemmed ('counter*' must not become 'counter:*' of a stem); only its last
                    # lexeme is a prefix.
                    lexemes = re.findall(r"'(?:[^']|'')*'", simple)
                    leaf.tsquery = " & ".join([*lexemes[:-1], lexemes[-1] + ":*"]) if lexemes else ""
                else:
                    leaf.tsquery = stemmed
        return pq.prune(tree)

    def _where(self, search_query: SearchQuery, tree: pq.Tree | None, date_ranges) -> tuple[str, list]:
        clauses, params = ["status = ANY(%s)"], [list(search_query.statuses)]
        if tree is not None:
            sql, tree_params = pq.to_sql(tree)
            clauses.append(sql)
            params += tree_params
        for column, cast, values in (
            ("actor_ids", "bigint[]", [int(value) for value in search_query.actors]),
            ("place_ids", "bigint[]", [int(value) for value in search_query.places]),
            ("tags", "text[]", list(search_query.tags)),
        ):
            if values:
                clauses.append(f"{column} && %s::{cast}")
                params.append(values)
        if search_query.sources:
            clauses.append("source = ANY(%s)")
            params.append(list(search_query.sources))
        ranges = [(start, end, "overlap") for start, end in date_ranges]
        if search_query.date_from or search_query.date_to:
            ranges.append((search_query.date_from, search_query.date_to, search_query.date_mode))
        for start, end, mode in ranges:
            # Overlap: the article's range touches [start, end]; within: it lies inside. Undated articles match neither.
            if mode == "within":
                bounds = [("published_start >= %s", start), ("published_end <= %s", end)]
            else:
                bounds = [("published_start <= %s", end), ("published_end >= %s", start)]
            for clause, value in bounds:
                if value is not None:
                    clauses.append(clause)
                    params.append(value)
        return " AND ".join(clauses), params

    def _matches(self, cursor, *, matched: tuple[str, list], order: str, page: tuple[int, int], wanted: list[str]):
        """The page's ranked hits, the total and every wanted facet's counts, from one pass over the matches.

        Ranking reads every matching entry anyway (each one's score); the
        total and the facets are counted from the same rows, kept in memory,
        instead of a second scan of the table.
        """
        sql, params = matched
        parts = [
            "SELECT 'hits' AS facet, (SELECT json_agg(json_build_array(article_id, score) ORDER BY "
            f"{order}) FROM (SELECT * FROM matched ORDER BY {order} LIMIT %s OFFSET %s) AS page)::text AS value, "
            "count(*) AS n FROM matched"
        ]
        for key in wanted:
            parts.append(
                f"SELECT %s, value, count(*) FROM (SELECT {FACET_COLUMNS[key]} AS value FROM matched) AS v "
                "WHERE value IS NOT NULL GROUP BY value"
            )
        cursor.execute(
            f"WITH matched AS MATERIALIZED ({sql}) " + " UNION ALL ".join(parts), params + list(page) + wanted
        )
        ranked, total, counts = [], 0, {key: [] for key in wanted}
        for facet, value, count in cursor.fetchall():
            if facet == "hits":
                ranked, total = [tuple(hit) for hit in json.loads(value or "[]")], count
            else:
                counts[facet].append((value, count))
        facets = {
            key: [FacetCount(value=value, count=count) for value, count in sorted(found, key=_most_first)]
            for key, found in counts.items()
        }
        return ranked, total, facets

    def _highlights(self, cursor, article_ids: list[int], tree: pq.Tree | None) -> dict[int, str]:
        """Snippets of the page's articles: ts_headline marks the words, our own code cuts and escapes."""
        if not article_ids:
            return {}
        marks = pq.highlight_query(tree)
        if not marks:
            cursor.execute("SELECT id, body FROM archive_article WHERE id = ANY(%s)", [article_ids])
            return {pk: opening(body) for pk, body in cursor.fetchall()}
        cursor.execute(
            "SELECT id, clean, ts_headline(%s, translate(clean, '<>/', '   '), %s::tsquery, %s) FROM ("
            "SELECT id, left(translate(body, %s, ''), %s) AS clean FROM archive_article WHERE id = ANY(%s)) AS page",
            [
                CONFIG,
                marks,
                f"HighlightAll=true, StartSel={MARK_START}, StopSel={MARK_END}",
                MARK_START + MARK_END,
                HEADLINE_CHARS,
                article_ids,
            ],
        )
        return {
            pk: snippet(clean, _marked_spans(clean.translate(SEPARATORS), marked))
            for pk, clean, marked in cursor.fetchall()
        }

    def _correction(self, cursor, search_query: SearchQuery, tree: pq.Tree) -> str:
        """A corrected query, offered only for words no entry holds and only if it finds something."""
        words = [leaf for leaf, _ in pq.leaves(tree) if leaf.kind == "word" and re.fullmatch(r"\w+", leaf.text)]
        unknown = []
        for leaf in words:
            vector = leaf.vector
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM archive_search_entry WHERE {vector} @@ %s::tsquery)",
                [pq.restrict(leaf.tsquery, leaf.weight)],
            )
            if not cursor.fetchone()[0]:
                unknown.append(leaf)
        if not unknown:
            return ""
        # Date filters were blanked out of the text with spaces of the same length, so the words' spans
        # are spans of the query as typed.
        text = search_query.text
        corrected, offset = text, 0
        for leaf in sorted(unknown, key=lambda leaf: leaf.start):
            replacement = self._closest_word(cursor, leaf.text)
            if replacement is None:
                continue
            start, end = leaf.start + offset, leaf.end + offset
            corrected = corrected[:start] + replacement + corrected[end:]
            offset += len(replacement) - (leaf.end - leaf.start)
        if corrected == text:
            return ""
        candidate = dataclasses.replace(
            search_query, text=corrected, page=1, per_page=1, facets=(), highlight=False, spellcheck=False
        )
        if not self._search(candidate).total:
            return ""
        return corrected

    def _closest_word(self, cursor, word: str) -> str | None:
        """The listed word nearest ``word`` (at most two edits, same first letter), the most frequent of equals."""
        cursor.execute("SELECT unaccent(lower(%s))", [word])
        folded = cursor.fetchone()[0]
        cursor.execute(
            "SELECT word, documents FROM archive_search_word WHERE word %% %s AND left(word, 1) = left(%s, 1) "
            "ORDER BY similarity(word, %s) DESC, documents DESC LIMIT 20",
            [folded, folded, folded],
        )
        candidates = [(edit_distance(folded, found), -documents, found) for found, documents in cursor.fetchall()]
        candidates = [candidate for candidate in candidates if 0 < candidate[0] <= 2]
        return min(candidates)[2] if candidates else None

    def fingerprints(self) -> dict[int, str]:
        try:
            with _reading(), connection.cursor() as cursor:
                cursor.execute("SELECT article_id, fingerprint FROM archive_search_entry")
                return dict(cursor.fetchall())
        except DatabaseError as exc:
            raise _failed("reading the index", exc) from exc

    def suggest_terms(self, prefix: str, limit: int = 10) -> list[str]:
        prefix = (prefix or "").strip()
        if len(prefix) < 2:
            return []
        try:
            with _reading(), connection.cursor() as cursor:
                cursor.execute("SELECT unaccent(lower(%s))", [prefix])
                folded = cursor.fetchone()[0]
                pattern = re.sub(r"([\\%_])", r"\\\1", folded) + "%"
                cursor.execute(
                    "SELECT word FROM archive_search_word WHERE word LIKE %s AND documents > 0 "
                    "ORDER BY documents DESC, word LIMIT %s",
                    [pattern, limit],
                )
                return [word for (word,) in cursor.fetchall()]
        except DatabaseError as exc:
            raise _failed("suggesting words", exc) from exc

    def more_like(self, article_id: int, limit: int = 5, statuses: tuple[str, ...] = ("published",)) -> list[Hit]:
        """Articles sharing the words that are frequent in this one and rare in the archive (tf-idf)."""
        try:
            with _reading(), connection.cursor() as cursor:
                return self._more_like(cursor, article_id, limit, statuses)
        except DatabaseError as exc:
            raise _failed("finding similar articles", exc) from exc

    def _more_like(self, cursor, article_id: int, limit: int, statuses: tuple[str, ...]) -> list[Hit]:
        cursor.execute(
            "SELECT lexeme, cardinality(positions) FROM archive_search_entry, unnest(document) "
            "WHERE article_id = %s AND length(lexeme) > 2 AND lexeme !~ '^[0-9.,]+$' "
            "ORDER BY cardinality(positions) DESC, lexeme LIMIT %s",
            [article_id, MORE_LIKE_CANDIDATES],
        )
        frequent = cursor.fetchall()
        if not frequent:
            return []
        size, frequencies = self._document_frequencies(cursor, [lexeme for lexeme, _ in frequent])
        most = size * MORE_LIKE_MAX_SHARE if size >= MORE_LIKE_LARGE else size
        weighted = [
            (frequency * math.log(1 + size / frequencies[lexeme]), lexeme)
            for lexeme, frequency in frequent
            if 1 < frequencies[lexeme] <= most
        ]
        terms = [lexeme for _, lexeme in sorted(weighted, reverse=True)[:MORE_LIKE_TERMS]]
        if not terms:
            return []
        any_term = " | ".join(_quoted(lexeme) for lexeme in terms)
        # Ranked first among the articles sharing two of the best terms: on a large index, those sharing
        # any one of ten are thousands, each vector read to be ranked.
        two_terms = " | ".join(
            f"({_quoted(first)} & {_quoted(second)})"
            for first, second in itertools.combinations(terms[:MORE_LIKE_PAIRED_TERMS], 2)
        )
        hits = []
        for candidates in dict.fromkeys(filter(None, (two_terms, any_term))):
            cursor.execute(
                f"SELECT article_id, ts_rank_cd('{RANK_WEIGHTS}', document, %s::tsquery, {RANK_NORMALISATION}) "
                "AS score FROM archive_search_entry WHERE document @@ %s::tsquery AND status = ANY(%s) "
                "AND article_id <> %s ORDER BY score DESC, article_id LIMIT %s",
                [any_term, candidates, list(statuses), article_id, limit],
            )
            hits = [Hit(article_id=pk, score=float(score)) for pk, score in cursor.fetchall()]
            if len(hits) == limit:
                break
        return hits

    def _document_frequencies(self, cursor, lexemes: list[str]) -> tuple[int, dict[str, float]]:
        """The number of entries, and how many hold each lexeme.

        Counting is exact on a small index. On a large one, counting a common
        word's entries reads thousands of rows, so the planner's statistics
        give the common words' shares (ANALYZE keeps those of about a thousand
        lexemes) and the rest are counted up to a small cap.
        """
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'archive_search_entry'::regclass")
        size, common, cap = cursor.fetchone()[0], {}, MORE_LIKE_COUNT_CAP
        if size >= MORE_LIKE_LARGE:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = 'archive_search_entry' AND attname = 'document'"
            )
            row = cursor.fetchone()
            if row and row[0]:
                common = {lexeme: share * size for lexeme, share in zip(row[0], row[1], strict=False)}
            cap = MORE_LIKE_RARE_CAP
        else:
            cursor.execute("SELECT count(*) FROM archive_search_entry")
            size = cursor.fetchone()[0]
        frequencies = {}
        for lexeme in lexemes:
            if lexeme in common:
                frequencies[lexeme] = common[lexeme]
                continue
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM archive_search_entry WHERE document @@ %s::tsquery LIMIT %s) AS c",
                [_quoted(lexeme), cap],
            )
            frequencies[lexeme] = cursor.fetchone()[0]
        return size, frequencies

    def outdated(self) -> str:
        try:
            with _reading(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT (SELECT value FROM archive_search_state WHERE key = %s), "
                    "EXISTS (SELECT 1 FROM archive_search_entry)",
                    [FORMAT_STATE],
                )
                recorded, has_entries = cursor.fetchone()
        except DatabaseError as exc:
            raise _failed("reading the index's format", exc) from exc
        written = recorded or 1
        # An empty index holds nothing written in an older format, whatever its state says.
        if written == INDEX_FORMAT or not has_entries:
            return ""
        return (
            f"the PostgreSQL index was written in format {written}, "
            f"and this version of the archive writes format {INDEX_FORMAT}"
        )

    def verify(self, *, deep: bool = False) -> list[str]:
        """The extensions, configurations, tables and indexes the engine needs; ``deep`` also reads every vector."""
        found = []
        try:
            with _reading(), connection.cursor() as cursor:
                cursor.execute("SELECT extname FROM pg_extension WHERE extname IN ('unaccent', 'pg_trgm')")
                present = {name for (name,) in cursor.fetchall()}
                found += [
                    f"the PostgreSQL extension {name} is missing; run `manage.py migrate`"
                    for name in ("unaccent", "pg_trgm")
                    if name not in present
                ]
                cursor.execute(
                    "SELECT cfgname FROM pg_ts_config WHERE cfgname IN ('archive_english', 'archive_simple')"
                )
                configs = {name for (name,) in cursor.fetchall()}
                found += [
                    f"the text search configuration {name} is missing; run `manage.py migrate`"
                    for name in ("archive_english", "archive_simple")
                    if name not in configs
                ]
                for table in ("archive_search_entry", "archive_search_word", "archive_search_state"):
                    cursor.execute("SELECT to_regclass(%s)", [table])
                    if cursor.fetchone()[0] is None:
                        found.append(f"the table {table} is missing; run `manage.py migrate`")
                if found:
                    return found
                cursor.execute(
                    "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'archive_search_entry'::regclass "
                    "AND NOT (indisvalid AND indisready)"
                )
                found += [
                    f"the index {name} is not valid; run `REINDEX INDEX {name}` in PostgreSQL"
                    for (name,) in cursor.fetchall()
                ]
                if deep:
                    cursor.execute(
                        "SELECT count(*) FROM archive_search_entry WHERE length(document) = 0 AND fingerprint = ''"
                    )
                    if cursor.fetchone()[0]:
                        found.append("some entries have neither words nor a fingerprint; run `manage.py rebuild_index`")
        except DatabaseError as exc:
            found.append(f"the PostgreSQL index cannot be read: {exc}".strip())
        return found


def _most_first(value_count: tuple[str, int]) -> tuple[int, str]:
    """Most frequent first; equal counts in value order, as the Whoosh engine orders them."""
    return -value_count[1], value_count[0]


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("'", "''") + "'"


def _marked_spans(clean: str, marked: str) -> list[tuple[int, int]]:
    """Where ts_headline put its marks, as spans of the unmarked text; none if its text differs from ours."""
    spans, pieces, position, last = [], [], 0, 0
    for match in _MARKED.finditer(marked):
        before, word = marked[last : match.start()], match.group(1)
        position += len(before)
        spans.append((position, position + len(word)))
        position += len(word)
        pieces += [before, word]
        last = match.end()
    pieces.append(marked[last:])
    return spans if "".join(pieces) == clean else []


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: the number of single-letter edits between two words."""
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i]
        for j, b in enumerate(second, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]
