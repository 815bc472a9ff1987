"""Create the actor authority seeds: every country as a state, international organisations, armed groups."""

from django.core.management.base import BaseCommand

from archive.extraction.seeds import load_actor_seeds


class Command(BaseCommand):
    help = "Create every country as a state actor and the curated organisations and armed groups (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument("--countries", default="", help="Only these ISO codes, comma-separated.")

    def handle(self, *args, countries, **options):
        codes = {code.strip().upper() for code in countries.split(",") if code.strip()} or None
        report = load_actor_seeds(countries=codes)
        self.stdout.write(f"Actor seeds: {report.created} actors created, {report.names_added} alternate names added.")
