"""``manage.py migrate``, one process at a time per database, so that several hosts may start together.

Every ``make serve`` runs ``migrate`` first. Without the lock, two hosts
started at once both apply the same migrations and the second fails on a
table the first has just created. With it the second waits, then finds
nothing left to apply.
"""

from django.core.management.commands import migrate
from django.db import connections

from archive.locks import database_lock


class Command(migrate.Command):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        verbosity = options["verbosity"]

        def waiting():
            if verbosity:
                self.stdout.write("Waiting for another migrate of this database to finish…")

        with database_lock(connection, name="migrate", waiting=waiting) as serialised:
            if not serialised:
                self.stderr.write(
                    f"migrate cannot take turns with other processes on a {connection.vendor} database: "
                    "start one server at a time."
                )
            super().handle(*args, **options)
