"""``python manage.py import_articles PATH [PATH ...]``: files and folders, in any supported format."""

from django.core.management.base import BaseCommand, CommandError

from archive.importers.files import FORMATS
from archive.search import get_backend
from archive.search.indexing import background_indexing, deferred
from archive.services.imports import BATCH_SIZE, ImportReport, articles_import


class Command(BaseCommand):
    help = (
        "Import articles from files and folders (searched recursively): the plain-text news format, "
        "Reuters-21578 SGML, JSON Lines or CSV. Safe to interrupt and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files or folders to import.")
        parser.add_argument(
            "--format", choices=FORMATS, help="Read every file in this format instead of telling it from the file."
        )
        parser.add_argument(
            "--publish", action="store_true", help="Publish the new articles at once (a trusted collection)."
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Articles per transaction.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")
        parser.add_argument(
            "--no-index",
            action="store_true",
            help=(
                "Leave the index updates queued, for process_index_queue to apply later (a bulk load in one go). "
                "The Whoosh engine only: the PostgreSQL engine indexes each batch in its transaction."
            ),
        )
        parser.add_argument(
            "--no-suggest",
            action="store_true",
            help="Suggest no access points now; suggest_access_points does it later.",
        )

    def handle(self, *args, paths, format, publish, batch_size, no_progress, no_index, no_suggest, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        report = ImportReport()
        try:
            with deferred() if no_index else background_indexing():
                articles_import(
                    paths=paths,
                    format=format,
                    publish=publish,
                    batch_size=batch_size,
                    progress=not no_progress and options["verbosity"] > 0,
                    suggest=not no_suggest,
                    report=report,
                )
        except KeyboardInterrupt:
            raise CommandError(
                f"Interrupted after {report.processed} records ({report.summary()}). "
                "Every batch stored so far is complete; run the same command again to finish.",
                returncode=130,
            ) from None
        for line in [*report.failures, *report.warnings]:
            self.stderr.write(line)
        self.stdout.write(f"Imported: {report.summary()}.")
        if no_index and get_backend().writes_in_transaction:
            self.stdout.write("The articles are searchable: the PostgreSQL engine indexed each batch as it was stored.")
        elif no_index:
            self.stdout.write("Index updates are queued: run process_index_queue to make the articles searchable.")
        if report.failures:
            noun = "problem" if report.failed == 1 else "problems"
            raise CommandError(f"{report.failed} {noun}: the lines above name each file and what is wrong with it.")
