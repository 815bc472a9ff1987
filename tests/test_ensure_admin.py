"""`manage.py ensure_admin`: the admin login that `make run` creates once and prints on every start."""

import io
import stat

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def log_in(username: str, password: str):
    """The user the admin login form would log in; django-axes needs the request to check for a lockout."""
    return authenticate(RequestFactory().post("/admin/login/"), username=username, password=password)


def ensure_admin(*args: str) -> str:
    out = io.StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


def test_first_run_creates_a_superuser_with_the_stored_password(settings):
    """The first run creates `admin` as a superuser whose password is the one written to admin-password.txt."""
    ensure_admin()
    password = (settings.ARCHIVE_DATA_DIR / "admin-password.txt").read_text().strip()
    user = log_in("admin", password)
    assert user is not None
    assert user.is_superuser and user.is_staff


def test_password_file_is_private(settings):
    """Only the owner can read the stored password."""
    ensure_admin()
    mode = (settings.ARCHIVE_DATA_DIR / "admin-password.txt").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_output_gives_the_url_and_the_login(settings):
    """The output names the archive's URL, the admin URL, the user and the password."""
    output = ensure_admin("--url", "http://127.0.0.1:8123")
    password_file = settings.ARCHIVE_DATA_DIR / "admin-password.txt"
    password = password_file.read_text().strip()
    assert "The archive:    http://127.0.0.1:8123/\n" in output
    assert (
        f"Admin login:    http://127.0.0.1:8123/admin/  user admin, password {password} (kept in {password_file})\n"
        in output
    )


def test_second_run_keeps_the_account_and_prints_the_same_password(settings):
    """Running again creates nothing new and prints the password chosen the first time."""
    ensure_admin()
    password = (settings.ARCHIVE_DATA_DIR / "admin-password.txt").read_text().strip()
    output = ensure_admin()
    assert "Created the admin user" not in output
    assert f"password {password} " in output
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert log_in("admin", password) is not None


def test_admin_password_from_the_environment(monkeypatch):
    """ADMIN_PASSWORD chooses the password of the account created on the first run."""
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse battery staple")
    ensure_admin()
    assert log_in("admin", "correct horse battery staple") is not None


def test_existing_account_is_not_changed(settings):
    """An admin created by hand keeps its password, and the output does not invent one."""
    get_user_model().objects.create_superuser(username="admin", email="", password="chosen-by-the-archivist")
    output = ensure_admin()
    assert "user admin, with the password you set for it" in output
    assert not (settings.ARCHIVE_DATA_DIR / "admin-password.txt").exists()
    assert log_in("admin", "chosen-by-the-archivist") is not None
