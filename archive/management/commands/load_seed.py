"""``python manage.py load_seed``: the seed article, published and described; running it again changes nothing."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.services.seed import SeedError, seed_load


class Command(BaseCommand):
    help = "Import the seed article(s) from seeds/ and link them to the access points in fixtures/."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", type=Path, default=Path(settings.BASE_DIR) / "seeds", help="Seed folder.")
        parser.add_argument(
            "--fixture",
            type=Path,
            default=Path(settings.BASE_DIR) / "fixtures" / "seed_access_points.json",
            help="Access points of the seed articles.",
        )

    def handle(self, *args, seeds, fixture, **options):
        try:
            report = seed_load(seed_dir=seeds, fixture=fixture)
        except SeedError as exc:
            raise CommandError(f"Seed not loaded: {exc}") from exc
        for article in report.articles:
            self.stdout.write(
                f"Seed article {article.slug!r}: {article.get_status_display().lower()}, "
                f"{article.actors.count()} actors, {article.places.count()} places, {article.tags.count()} tags."
            )
