from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.models import Article
from archive.search.base import SearchBackendError
from archive.search.indexing import rebuild_index


class Command(BaseCommand):
    help = (
        "Build a fresh search index from the database and swap it in; searches keep working meanwhile. "
        "An interrupted rebuild resumes where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fresh", action="store_true", help="Discard an interrupted rebuild and start over.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Articles per committed batch.")

    def handle(self, *args, fresh, batch_size, **options):
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1")
            raise SystemExit(2)
        total = Article.objects.count()
        bar = tqdm(total=total, unit="article", desc="Rebuilding index", disable=options["verbosity"] == 0)
        done = 0
        try:
            for done in rebuild_index(fresh=fresh, batch_size=batch_size):
                bar.update(done - bar.n)
        except SearchBackendError as exc:
            bar.close()
            raise CommandError(f"The index was not rebuilt: {exc}.") from exc
        except KeyboardInterrupt:
            bar.close()
            self.stderr.write(f"Interrupted after {done} articles; run rebuild_index again to resume.")
            raise SystemExit(130) from None
        bar.close()
        self.stdout.write(self.style.SUCCESS(f"Index rebuilt: {done} articles."))
