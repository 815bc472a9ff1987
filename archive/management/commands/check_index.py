from django.core.management.base import BaseCommand
from tqdm import tqdm

from archive.models import Article
from archive.search import get_backend
from archive.search.indexing import check_index

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Check that the search index can be read and was written in this version's format, then compare it "
        "with the database; exit 1 if a file is damaged, a rebuild is needed, or any article is missing, "
        "stale or extra."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--deep",
            action="store_true",
            help="Read every term's postings and every document's stored fields, not only each file's extent.",
        )

    def handle(self, *args, deep, **options):
        problems = get_backend().verify(deep=deep)
        if problems:
            self.stdout.write(self.style.ERROR(f"The index files cannot be read ({len(problems)} problems):"))
            for problem in problems:
                self.stdout.write(f"  {problem}")
            self.stdout.write("Run `manage.py rebuild_index` to repair the index.")
            raise SystemExit(1)
        outdated = get_backend().outdated()
        if outdated:
            self.stdout.write(
                self.style.ERROR(f"The index must be rebuilt for this version of the archive: {outdated}.")
            )
            self.stdout.write("Run `manage.py rebuild_index`; searches keep using the index as it is until then.")
            raise SystemExit(1)
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
