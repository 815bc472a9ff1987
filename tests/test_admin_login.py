"""The admin login is throttled by django-axes: wrong passwords lock one username at one address for a while."""

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.urls import reverse

from tests.admin_support import staff_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "correct horse battery"
LOCKED = (
    "Too many failed logins: this account is locked for 15 minutes. "
    "Try again later, or ask an administrator to unlock it."
)
WRONG = "Please enter the correct username and password for a staff account."


@pytest.fixture
def alma():
    return staff_user("alma", "Archivist", password=PASSWORD)


def log_in(client, password: str, *, address: str = "203.0.113.7", username: str = "alma"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address)


def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_refused(client, alma, caplog):
    """After five wrong passwords through the login form the right one is refused with the lockout message."""
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(4):
        response = log_in(client, "Tr0ub4dor&3")
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    assert log_in(client, "Tr0ub4dor&4").status_code == 429
    response = log_in(client, PASSWORD)
    assert (response.status_code, response.content.decode()) == (429, LOCKED)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_failed_logins_and_the_lockout_are_logged(client, alma, caplog):
    """Each failure is logged as a warning naming the username and address, and the lockout too."""
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(5):
        log_in(client, "wrong")
    failures = [record for record in caplog.records if record.name.startswith("axes")]
    assert all(record.levelno == logging.WARNING for record in failures)
    assert sum("login failure by" in record.getMessage() for record in failures) == 5
    assert any("Locking out" in record.getMessage() for record in failures)
    assert all('username: "alma", ip_address: "203.0.113.7"' in record.getMessage() for record in failures)
    assert not any("wrong" in record.getMessage() for record in failures)
    assert AccessFailureLog.objects.filter(username="alma", ip_address="203.0.113.7").count() == 5


def test_the_lock_is_per_username_and_address(client, alma):
    """A locked username can still log in from another address, and other users from the same address."""
    for _ in range(5):
        log_in(client, "wrong")
    staff_user("eddie", "Editor", password=PASSWORD)
    assert log_in(client, PASSWORD, username="eddie").status_code == 302
    client.logout()
    assert log_in(client, PASSWORD, address="198.51.100.20").status_code == 302


def test_a_successful_login_resets_the_count(client, alma):
    """Four wrong passwords, the right one, then four more wrong ones: the account is not locked."""
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(client, alma):
    """Fifteen minutes after the last failure the right password works again."""
    for _ in range(5):
        log_in(client, "wrong")
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert log_in(client, PASSWORD).status_code == 302
