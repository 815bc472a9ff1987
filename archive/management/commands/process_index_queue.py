from django.core.management.base import BaseCommand

from archive.search.indexing import process_queue


class Command(BaseCommand):
    help = "Apply index updates that are still queued (for example after the index was locked or a crash)."

    def handle(self, *args, **options):
        report = process_queue()
        self.stdout.write(f"Indexed {report.indexed}, removed {report.removed}, still queued {report.left}.")
        if report.left:
            raise SystemExit(1)
