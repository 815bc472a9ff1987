from django.core.management.base import BaseCommand
from tqdm import tqdm

from archive.models import Article
from archive.search.indexing import check_index

SHOWN = 20


class Command(BaseCommand):
    help = "Compare the search index with the database; exit 1 if any article is missing, stale or extra."

    def handle(self, *args, **options):
        bar = tqdm(total=Article.objects.count(), unit="article", desc="Checking", disable=options["verbosity"] == 0)
        report = check_index(progress=bar.update)
        bar.close()
        for label, ids in (
            ("missing from the index", report.missing),
            ("stale in the index", report.stale),
            ("in the index but not in the database", report.extra),
        ):
            if ids:
                listed = ", ".join(map(str, ids[:SHOWN])) + (" …" if len(ids) > SHOWN else "")
                self.stdout.write(f"{len(ids)} articles {label}: {listed}")
        if report.queued:
            self.stdout.write(f"{report.queued} index updates are queued (run process_index_queue).")
        if not report.clean:
            self.stdout.write(self.style.ERROR("The index does not match the database; run rebuild_index."))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("The index matches the database."))
