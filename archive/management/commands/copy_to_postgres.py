from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.services.postgres_copy import CopyError, archive_copy_to_postgres, display_url


class Command(BaseCommand):
    help = (
        "Copy this archive's database (DATABASE_URL, often SQLite) into an empty PostgreSQL database, every row "
        "with its own id; the source is only read. Then run rebuild_index with DATABASE_URL set to the copy."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "target", metavar="POSTGRES_URL", help="The empty database, e.g. postgres://archive@127.0.0.1:5432/archive"
        )
        parser.add_argument("--chunk-size", type=int, default=500, help="Rows read from the source at a time.")

    def handle(self, *args, target, chunk_size, **options):
        bar = tqdm(unit="row", desc="Copying", disable=options["verbosity"] == 0)

        def progress(table: str, done: int, rows_in_all: int) -> None:
            bar.total = rows_in_all
            bar.set_postfix_str(table, refresh=False)
            bar.update(done - bar.n)

        try:
            report = archive_copy_to_postgres(target_url=target, chunk_size=chunk_size, progress=progress)
        except CopyError as exc:
            bar.close()
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            bar.close()
            self.stderr.write(
                f"Interrupted: nothing was copied into {display_url(target)}. Run the same command again to copy."
            )
            raise SystemExit(130) from None
        bar.close()
        self.stdout.write(
            self.style.SUCCESS(f"Copied {report.total:,} rows of {len(report.rows)} tables into {report.target}.")
        )
        self.stdout.write(
            "It has no search index yet. With DATABASE_URL set to it (and ARCHIVE_SEARCH_BACKEND=postgres for the "
            "PostgreSQL engine), run `manage.py rebuild_index`, then `manage.py check_index`."
        )
