"""``manage.py collectstatic``, one process at a time per folder, so that two servers of one host may start together.

Two collectstatic runs into one folder delete and write the same files: one
fails on a file the other has just removed, and the other leaves copies under
made-up names. With the lock the second waits, then finds the files in place
and copies nothing.
"""

from pathlib import Path

from django.contrib.staticfiles.management.commands import collectstatic

from archive.locks import file_lock


class Command(collectstatic.Command):
    def handle(self, **options):
        if not (self.is_local_storage() and self.storage.location):
            return super().handle(**options)
        folder = Path(self.storage.location)

        def waiting():
            if options["verbosity"]:
                self.stdout.write(f"Waiting for another collectstatic into {folder} to finish…")

        with file_lock(folder.with_name(f"{folder.name}.collectstatic.lock"), waiting=waiting):
            return super().handle(**options)
