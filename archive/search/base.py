"""The contract every search engine implements, and the types it speaks.

The rest of the archive builds a ``SearchQuery``, hands it to the backend and
reads a ``SearchResults``; it never sees the engine. Documents come from
``archive.search.documents.article_document`` as plain dicts.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

Sort = Literal["relevance", "newest", "oldest"]
DateMode = Literal["overlap", "within"]

FACETS = ("actor", "place", "tag", "source", "year", "month")


@dataclass(frozen=True)
class SearchQuery:
    """What a person asked for: words in the query language plus structured filters.

    Ids in ``actors`` and ``places`` are primary keys; tags are slugs. Several
    values in one filter combine with OR, different filters with AND. A place
    filter matches the place and everything inside it.
    """

    text: str = ""
    actors: tuple[int, ...] = ()
    places: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    date_mode: DateMode = "overlap"
    statuses: tuple[str, ...] = ("published",)
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = 20
    facets: tuple[str, ...] = ()
    highlight: bool = True
    spellcheck: bool = False


@dataclass(frozen=True)
class Hit:
    article_id: int
    score: float
    # Safe HTML: the article's text escaped, with only the backend's <mark> tags unescaped.
    highlight: str = ""


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass
class SearchResults:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    # Set when the query could not be read as written and was searched as plain words.
    notice: str = ""
    # A corrected query that finds results, when a word looked misspelled.
    suggestion: str = ""


class SearchBackendError(Exception):
    """The engine failed; the message says why in words fit for a log."""


class IndexLocked(SearchBackendError):
    """Another writer holds the index; the caller should queue the update and retry."""


class IndexUnreadable(SearchBackendError):
    """The index files cannot be read (damaged or removed); ``manage.py rebuild_index`` repairs them."""


ProgressCallback = Callable[[int], None]


class BaseSearchBackend:
    """Implement these methods to add a search engine.

    ``index`` and ``remove`` must be idempotent: the same document twice
    leaves one entry. Bulk callers pass many documents at once so an engine
    can write them in one batch.
    """

    # True for an engine that writes its entries in the transaction of the change they reflect (the
    # index is in the database): changes then refresh the index where they happen, with no queue.
    writes_in_transaction = False

    def __init__(self, options: dict):
        self.options = options

    def index(self, documents: Iterable[dict], *, remove: Iterable[int] = ()) -> None:
        """Add or replace ``documents`` (keyed on ``id``) and drop the ids in ``remove``, in one write.

        Raises ``IndexLocked`` when another writer holds the index past the
        configured timeout.
        """
        raise NotImplementedError("search backends must implement index()")

    def remove(self, article_ids: Iterable[int]) -> None:
        self.index((), remove=article_ids)

    def refresh(self, article_ids: set[int], load: Callable[[set[int]], list[dict]]) -> tuple[int, int]:
        """Make these articles' entries match ``load(article_ids)``, their documents as the database holds them now.

        Two writers may refresh the same article at once, each having read
        its queue row; whichever commits last must also have read the
        database last, or an older copy would replace a newer one. So an
        engine calls ``load`` only once it holds its write lock (Whoosh), or
        writes in the reader's own transaction. Returns (indexed, removed).
        """
        raise NotImplementedError("search backends must implement refresh()")

    @contextmanager
    def bulk(self) -> Iterator["BaseSearchBackend"]:
        """A writer for many batches in a row (an import): it offers ``index`` with the same meaning.

        An engine may hold the batches until the block ends, to write them as
        one; what it holds is lost if the block raises, so callers forget a
        batch only after the block has ended. This one writes each batch at once.
        The writer offers ``refresh`` too, with the same ordering guarantee.
        """
        yield self

    def compact(self) -> None:
        """Tidy up after bulk writes (an engine may have left its storage fragmented); by default nothing."""

    def search(self, query: SearchQuery) -> SearchResults:
        raise NotImplementedError("search backends must implement search()")

    def clear(self) -> None:
        raise NotImplementedError("search backends must implement clear()")

    def rebuild(self, batches_after: Callable[[int], Iterable[list[dict]]], *, fresh: bool = False) -> Iterator[int]:
        """Build a new index beside the live one, then swap it in.

        ``batches_after(last_id)`` streams documents with ids above
        ``last_id`` in id order. The backend commits each batch and remembers
        how far it got, so a rebuild that was interrupted resumes there unless
        ``fresh`` is set. Yields the number of documents committed so far.
        """
        raise NotImplementedError("search backends must implement rebuild()")

    def fingerprints(self) -> dict[int, str]:
        """Every indexed article id with the fingerprint of the document it was indexed from."""
        raise NotImplementedError("search backends must implement fingerprints()")

    def suggest_terms(self, prefix: str, limit: int = 10) -> list[str]:
        """Indexed title words starting with ``prefix``, most frequent first."""
        raise NotImplementedError("search backends must implement suggest_terms()")

    def more_like(self, article_id: int, limit: int = 5, statuses: tuple[str, ...] = ("published",)) -> list[Hit]:
        """The articles most similar to this one."""
        raise NotImplementedError("search backends must implement more_like()")

    def outdated(self) -> str:
        """Why the index must be rebuilt to match this version of the archive, or ``""`` when it need not be.

        An engine records with its index the format it wrote it in, and a
        version of the archive that changes what the engine stores (a field,
        an analyser, a weight) raises the engine's format number, so that
        ``check_index`` tells the operator to rebuild after an upgrade.
        Changes to the documents themselves need no format: their
        fingerprints change, and ``check_index`` lists the entries as stale.
        """
        raise NotImplementedError("search backends must implement outdated()")

    def verify(self, *, deep: bool = False) -> list[str]:
        """What is wrong with the index's storage, one problem a line naming the damaged file; none when readable.

        The default check must be cheap enough to run on every ``check_index``;
        ``deep`` may read everything the engine stored.
        """
        raise NotImplementedError("search backends must implement verify()")
