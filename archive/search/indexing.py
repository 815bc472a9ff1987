"""When and how database changes reach the index.

Changes are recorded as ``PendingIndexUpdate`` rows inside the transaction
that makes them (an outbox), then applied after the commit. An update that
cannot be applied now (the index is locked by another process, the engine
failed) stays queued and is retried: it is never dropped. A rebuild in
progress keeps applied rows until its new index has absorbed them.

An engine whose index is in the database (``writes_in_transaction``) needs
none of this: ``queue_articles`` refreshes its entries at once, inside the
transaction that made the change, so they commit or roll back together.
"""

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from archive.models import Article, PendingIndexUpdate
from archive.oai.records import records_touch
from archive.processes import interrupts_held, run_as_helper
from archive.search import get_backend
from archive.search.base import IndexLocked, SearchBackendError
from archive.search.documents import article_documents

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Seconds a background indexer's session waits for more of the import before it commits what it has.
BACKGROUND_MAX_WAIT = 5.0
# Articles a background indexer's first session writes before it commits; each later session
# may write as many as all the sessions before it, up to the last figure.
SESSION_FIRST = 10_000
SESSION_MAX = 100_000

_local = threading.local()
# Set while something else owns this process's queue: a background indexer, or a deferred bulk load.
_background = threading.Event()
_retry_lock = threading.Lock()
_retry_timer: threading.Timer | None = None


def rebuild_marker():
    return settings.ARCHIVE_DATA_DIR / "rebuild-in-progress"


def queue_articles(article_ids: Iterable[int]) -> None:
    """Record that these articles' index entries must be refreshed once the current transaction commits,
    and bring their OAI-PMH records up to date now."""
    ids = {int(pk) for pk in article_ids if pk is not None}
    if not ids:
        return
    collecting = getattr(_local, "collecting", None)
    if collecting is not None:
        collecting.update(ids)
        return
    # What changes an article's index entry changes its OAI-PMH record: both follow here, in the change's
    # transaction, whichever engine is configured and even when indexing is deferred.
    records_touch(ids)
    backend = get_backend()
    if backend.writes_in_transaction:
        # The entries commit or roll back with the change: nothing to queue, nothing to drift.
        backend.refresh(ids, _current_documents)
        return
    PendingIndexUpdate.objects.bulk_create([PendingIndexUpdate(article_id=pk) for pk in sorted(ids)])
    _schedule_after_commit()


@contextmanager
def collected():
    """Coalesce the queue rows of many changes (a bulk action, an import batch) into one insert."""
    outer = getattr(_local, "collecting", None)
    if outer is not None:
        yield
        return
    _local.collecting = set()
    try:
        yield
        ids = _local.collecting
    finally:
        _local.collecting = None
    queue_articles(ids)


def _schedule_after_commit() -> None:
    if _background.is_set():
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _process_committed()
        return
    # One run per transaction drains everything it queued. A callback that
    # was rolled back (Django drops it) or has already run does not count.
    scheduled = getattr(connection, "_archive_index_callback", None)
    if scheduled is not None and not scheduled.ran and any(cb is scheduled for _, cb, _ in connection.run_on_commit):
        return
    callback = _ProcessQueueOnCommit()
    connection._archive_index_callback = callback
    transaction.on_commit(callback, robust=True)


class _ProcessQueueOnCommit:
    def __init__(self):
        self.ran = False

    def __call__(self):
        self.ran = True
        _process_committed()


def _process_committed() -> None:
    """Apply the queue after a change has committed: the change stands whatever happens here.

    A failure must not reach the code that saved (it would report a committed
    save as failed); the rows are still queued, so they are retried.
    """
    try:
        process_queue()
    except Exception:
        logger.exception("Applying the index queue after a commit failed; its updates stay queued for a retry")
        _schedule_retry()


@dataclass
class QueueReport:
    indexed: int = 0
    removed: int = 0
    left: int = 0


def process_queue(
    *, max_batches: int | None = None, include_applied: bool = False, batch_size: int = BATCH_SIZE
) -> QueueReport:
    """Apply queued updates in batches until the queue is empty or the index is locked.

    ``include_applied`` also takes the rows a rebuild kept back, once its new index is live.
    """
    report = QueueReport()
    rebuilding = rebuild_marker().exists()
    pending = (
        PendingIndexUpdate.objects.all()
        if include_applied
        else PendingIndexUpdate.objects.filter(applied_to_live=False)
    )
    batches = 0
    while max_batches is None or batches < max_batches:
        rows = list(pending.order_by("pk")[:batch_size])
        if not rows:
            break
        batches += 1
        try:
            indexed, removed = apply_updates({row.article_id for row in rows})
        except IndexLocked:
            _record_failure([row.pk for row in rows], "index locked by another writer")
            _schedule_retry()
            break
        except SearchBackendError as exc:
            logger.error("Index update failed for articles %s: %s", sorted({r.article_id for r in rows}), exc)
            _record_failure([row.pk for row in rows], str(exc))
            _schedule_retry()
            break
        report.indexed += indexed
        report.removed += removed
        _applied([row.pk for row in rows], rebuilding=rebuilding)
    report.left = PendingIndexUpdate.objects.filter(applied_to_live=False).count()
    return report


def flush() -> None:
    """Apply whatever is queued now, unless a background indexer owns the queue."""
    if not _background.is_set():
        process_queue()


def apply_updates(article_ids: set[int], *, writer=None) -> tuple[int, int]:
    """Write the current state of these articles to the index (or to a backend's ``bulk()`` writer)
    in one batch; return (indexed, removed).

    The documents are read by the backend once it holds its writer, never
    before: a writer that waited for the lock would otherwise commit what
    it read before another writer's newer copy, and the queue rows of both
    would be gone.
    """
    return (writer or get_backend()).refresh(article_ids, _current_documents)


def _current_documents(article_ids: set[int]) -> list[dict]:
    return article_documents(Article.objects.filter(pk__in=article_ids))


def _queue_rows(row_ids: list[int]):
    """The queue rows with these ids, a chunk at a time: a session's ids would overflow one ``IN`` list."""
    for start in range(0, len(row_ids), BATCH_SIZE):
        yield PendingIndexUpdate.objects.filter(pk__in=row_ids[start : start + BATCH_SIZE])


def _applied(row_ids: list[int], *, rebuilding: bool) -> None:
    """Forget queue rows whose updates the index has committed; a rebuild in progress still needs them."""
    for done in _queue_rows(row_ids):
        if rebuilding:
            done.update(applied_to_live=True)
        else:
            done.delete()


def _record_failure(row_ids: list[int], error: str) -> None:
    for failed in _queue_rows(row_ids):
        failed.update(attempts=F("attempts") + 1, last_error=error[:1000])


def _schedule_retry() -> None:
    """Try the queue again shortly, in this process, so a lock held by an import does not strand a save."""
    global _retry_timer
    delay = getattr(settings, "ARCHIVE_INDEX_RETRY_SECONDS", None)
    if delay is None:
        return
    with _retry_lock:
        if _retry_timer is not None and _retry_timer.is_alive():
            return
        _retry_timer = threading.Timer(delay, _retry)
        _retry_timer.daemon = True
        _retry_timer.start()


def _retry() -> None:
    from django.db import close_old_connections, connections

    close_old_connections()
    try:
        process_queue()
    finally:
        # This thread ends here: with persistent connections (CONN_MAX_AGE) its
        # session would otherwise stay open on the server until garbage collection.
        connections.close_all()


def pending_count() -> int:
    return PendingIndexUpdate.objects.filter(applied_to_live=False).count()


@contextmanager
def background_indexing(*, batch_size: int = 1000):
    """Index queued updates in a second process while this one keeps writing the database.

    A bulk import spends its time in two places, the database and the index
    writer; a worker process puts them on two cores. The queue is the only
    channel between them, so an interruption of either loses nothing: what
    was not indexed stays queued for the next run. The worker reads
    ``batch_size`` queue rows at a time; when the block ends, what is left
    is indexed here and the index is compacted.
    """
    from django.db import connection

    if (
        get_backend().writes_in_transaction
        or connection.in_atomic_block
        or (connection.vendor == "sqlite" and connection.is_in_memory_db())
    ):
        # The import writes the index in its own transactions (no queue for a worker to follow),
        # or a second process could not see this transaction's rows or this in-memory database.
        yield
    else:
        with _worker(batch_size):
            yield
    process_queue(batch_size=batch_size)
    try:
        get_backend().compact()
    except SearchBackendError as exc:
        # Nothing is lost: the index is whole, only in more pieces than it might be.
        logger.warning("The index was not compacted after the import: %s", exc)


@contextmanager
def _worker(batch_size: int):
    from django.db import connections

    connections.close_all()  # the worker must not share this process's database sockets
    stop = multiprocessing.get_context("fork").Event()
    # A helper ignores Ctrl-C (so do the Whoosh writer processes it forks): this process stops it by ``stop``.
    worker = multiprocessing.get_context("fork").Process(
        target=run_as_helper, args=(_index_worker, stop, batch_size, os.getpid()), name="archive-indexer"
    )
    with interrupts_held():
        worker.start()
    _background.set()
    try:
        yield
    finally:
        _background.clear()
        stop.set()
        worker.join()
    if worker.exitcode != 0:
        logger.error("The background indexer stopped with status %s; indexing what is left here", worker.exitcode)


@contextmanager
def deferred():
    """Leave the updates of this block queued for ``process_index_queue``: a bulk load indexed later, in one go."""
    _background.set()
    try:
        yield
    finally:
        _background.clear()


def _index_worker(stop, batch_size: int, parent_pid: int) -> None:
    """Index the import's updates as it queues them, a session at a time.

    Each session writes through one bulk writer until it has written as many
    articles as the sessions before it (``SESSION_FIRST`` at first,
    ``SESSION_MAX`` at most), so the index about doubles per commit and is
    left in a few large pieces that need no merging, like a rebuild's.
    """
    written = 0
    try:
        while os.getppid() == parent_pid:
            finishing = stop.is_set()
            if pending_count():
                limit = min(max(written, SESSION_FIRST), SESSION_MAX)
                written += _session(stop, limit=limit, batch_size=batch_size, parent_pid=parent_pid)
            elif finishing:
                return
            else:
                time.sleep(0.2)
    except KeyboardInterrupt:
        return


def _session(stop, *, limit: int, batch_size: int, parent_pid: int) -> int:
    """Queued updates through one bulk writer, taken as they come; their rows go once it has committed.

    It ends at ``limit`` articles, or when nothing more was queued for
    ``BACKGROUND_MAX_WAIT`` seconds or the import has finished. Returns the
    number of articles it wrote (none if the index would not take them).
    """
    rebuilding = rebuild_marker().exists()
    pending = PendingIndexUpdate.objects.filter(applied_to_live=False).order_by("pk")
    row_ids: list[int] = []
    written, last_row, idle_since = 0, 0, time.monotonic()
    try:
        with get_backend().bulk() as writer:
            while written < limit:
                rows = list(pending.filter(pk__gt=last_row).values_list("pk", "article_id")[:batch_size])
                if not rows:
                    ended = stop.is_set() or os.getppid() != parent_pid
                    if ended or time.monotonic() - idle_since >= BACKGROUND_MAX_WAIT:
                        break
                    time.sleep(0.2)
                    continue
                idle_since, last_row = time.monotonic(), rows[-1][0]
                row_ids += [pk for pk, _ in rows]
                indexed, removed = apply_updates({article_id for _, article_id in rows}, writer=writer)
                written += indexed + removed
    except SearchBackendError as exc:
        # The rows stay queued, with the reason, for the next session or the import's last drain.
        locked = isinstance(exc, IndexLocked)
        if not locked:
            logger.error("Index update failed for %s queued updates: %s", len(row_ids), exc)
        _record_failure(row_ids, "index locked by another writer" if locked else str(exc))
        time.sleep(BACKGROUND_MAX_WAIT)
        return 0
    _applied(row_ids, rebuilding=rebuilding)
    return written


def document_batches(batch_size: int, queryset=None):
    """``batches_after(last_id)`` for a rebuild: documents in primary-key order, one chunk in memory at a time."""
    articles = (queryset if queryset is not None else Article.objects.all()).order_by("pk")

    def batches_after(last_id: int):
        while True:
            documents = article_documents(articles.filter(pk__gt=last_id)[:batch_size])
            if not documents:
                return
            yield documents
            last_id = documents[-1]["id"]

    return batches_after


def rebuild_index(*, fresh: bool = False, batch_size: int = 2000):
    """Build a new index from the database and swap it in; yields documents done so far.

    Changes made while it runs are applied to the live index and kept in the
    queue, then applied again to the new index once it is live.
    """
    marker = rebuild_marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    yield from get_backend().rebuild(document_batches(batch_size), fresh=fresh)
    marker.unlink(missing_ok=True)
    process_queue(include_applied=True)


@dataclass
class IndexCheck:
    missing: list[int]
    stale: list[int]
    extra: list[int]
    queued: int

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check_index(*, batch_size: int = 2000, progress=None) -> IndexCheck:
    """Compare every article's document with what the index holds for it."""
    indexed = get_backend().fingerprints()
    missing, stale = [], []
    for batch in document_batches(batch_size)(0):
        for document in batch:
            found = indexed.pop(document["id"], None)
            if found is None:
                missing.append(document["id"])
            elif found != document["fingerprint"]:
                stale.append(document["id"])
        if progress:
            progress(len(batch))
    return IndexCheck(missing=missing, stale=stale, extra=sorted(indexed), queued=PendingIndexUpdate.objects.count())
