import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.db import Error as DatabaseError
from django.db.migrations.executor import MigrationExecutor

from archive.search.base import SearchBackendError
from archive.search.indexing import process_queue
from archive.services.suggestions import suggestions_refresh_stale

logger = logging.getLogger("archive.worker")

# The longest a stop request waits while the worker sleeps between polls.
STOP_LATENCY = 0.25


class Command(BaseCommand):
    help = (
        "Apply index updates that are still queued (for example after the index was locked or a crash). "
        "With --watch, keep applying them as they are queued until SIGTERM or SIGINT, and while none are "
        "queued, make again the suggested access points that changes of the authority records left stale."
    )

    def add_arguments(self, parser):
        parser.add_argument("--watch", action="store_true", help="Run as a worker until stopped by SIGTERM or SIGINT.")
        parser.add_argument(
            "--interval",
            type=float,
            default=2.0,
            help="With --watch, seconds between looks at an empty queue, and before a retry after an error.",
        )

    def handle(self, *args, watch, interval, **options):
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds")
        if watch:
            self.watch(interval)
            return
        report = process_queue()
        self.stdout.write(f"Indexed {report.indexed}, removed {report.removed}, still queued {report.left}.")
        if report.left:
            raise SystemExit(1)

    def watch(self, interval: float) -> None:
        """Apply the queue a batch at a time until a signal asks to stop, then finish the batch under way.

        The queue lives in the database, so a worker that is stopped or
        killed loses nothing: the next one starts where it left off. A
        database or engine failure is logged and retried after ``interval``.
        """
        # The name of the signal that asked to stop: the loop logs it, not the handler, which may interrupt a log call.
        self.stopping = ""
        self.said_waiting = False
        previous = {signum: signal.signal(signum, self.stop) for signum in (signal.SIGTERM, signal.SIGINT)}
        logger.info("Index worker started, looking at the queue every %s s", interval)
        migrated = False
        try:
            while not self.stopping:
                # A worker started beside servers on a new database waits for their migrate.
                migrated = migrated or self.database_migrated()
                if not migrated or not self.apply_one_batch():
                    self.sleep(interval)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            close_old_connections()
        logger.info("Index worker stopped by %s", self.stopping)

    def database_migrated(self) -> bool:
        """Whether every migration is applied; says once that the worker waits for them."""
        connection = connections[DEFAULT_DB_ALIAS]
        try:
            executor = MigrationExecutor(connection)
            unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
        except DatabaseError:
            logger.exception("The index worker could not read the database's migrations; it retries shortly")
            connection.close()
            return False
        if unapplied and not self.said_waiting:
            logger.info("Waiting for migrate: %d migrations are not applied to the database yet", unapplied)
            self.said_waiting = True
        return not unapplied

    def apply_one_batch(self) -> bool:
        """Apply the oldest batch of the queue, or with the queue empty refresh a batch of stale suggestions;
        True when more is waiting that can be done at once."""
        close_old_connections()
        try:
            report = process_queue(max_batches=1)
        except (DatabaseError, SearchBackendError):
            logger.exception("The index worker could not apply the queue; it retries shortly")
            return False
        applied = report.indexed + report.removed
        if applied:
            logger.info("Indexed %d, removed %d, still queued %d", report.indexed, report.removed, report.left)
        if not applied and not report.left:
            return self.refresh_suggestions()
        # Nothing applied with updates left means the index is locked or a batch failed: wait before retrying.
        return bool(applied and report.left)

    def refresh_suggestions(self) -> bool:
        """Index updates come first: suggestions are refreshed only while none are queued."""
        try:
            done = suggestions_refresh_stale()
        except DatabaseError:
            logger.exception("The worker could not refresh stale suggestions; it retries shortly")
            return False
        if done.articles:
            logger.info("Suggestions made again for %d articles whose authority records changed", done.articles)
        return bool(done.articles)

    def stop(self, signum, frame):
        self.stopping = signal.Signals(signum).name

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, STOP_LATENCY))
