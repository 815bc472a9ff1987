"""Load or refresh the gazetteer: countries, US states and cities above a population threshold."""

from django.core.management.base import BaseCommand, CommandError

from archive.extraction.gazetteer import DEFAULT_MIN_POPULATION, load_gazetteer


class Command(BaseCommand):
    help = "Load every country, the US states and the cities above a population as place records (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-population",
            type=int,
            default=DEFAULT_MIN_POPULATION,
            help=f"Smallest city population to load (default {DEFAULT_MIN_POPULATION}; at least 1000).",
        )
        parser.add_argument("--countries", default="", help="Only these ISO codes, comma-separated (e.g. IT,LY,TN).")

    def handle(self, *args, min_population, countries, **options):
        if min_population < 1000:
            raise CommandError(f"--min-population must be at least 1000, not {min_population}.")
        codes = {code.strip().upper() for code in countries.split(",") if code.strip()} or None
        report = load_gazetteer(min_population=min_population, countries=codes, progress=True)
        self.stdout.write(
            f"Gazetteer: {report.created} places created, {report.updated} updated, "
            f"{report.names_added} alternate names added."
        )
