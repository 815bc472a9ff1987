"""Make sure a local archive has an admin login, and say how to use it.

``make run`` calls this on every start. The first time it creates the
superuser with a random password (or ``ADMIN_PASSWORD`` when set) and keeps it
in ``ARCHIVE_DATA_DIR/admin-password.txt``, readable only by its owner, so the
next runs can print it again. An existing account is never changed.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the admin superuser on first run and print the archive's URL and the admin login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="Where the archive is served.")

    def handle(self, *args, username: str, url: str, **options):
        password_file = settings.ARCHIVE_DATA_DIR / "admin-password.txt"
        users = get_user_model()._default_manager
        url = url.rstrip("/") + "/"

        if not users.filter(username=username).exists():
            password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            users.create_superuser(username=username, email="", password=password)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
            self.stdout.write(f"Created the admin user {username!r}.")

        if password_file.exists():
            login = f"user {username}, password {password_file.read_text().strip()} (kept in {password_file})"
        else:
            login = f"user {username}, with the password you set for it"
        self.stdout.write(f"The archive:    {url}")
        self.stdout.write(f"Admin login:    {url}admin/  {login}")
