"""The OAI-PMH provider's settings come from the environment; a bad value stops start-up with a clear message."""

import json
import os
import subprocess
import sys

from tests.test_settings import BASE_DIR, error_from

DUMP = """
import json
from archive import settings
oai = settings.ARCHIVE_OAI
print(json.dumps({**oai, "TOKEN_LIFETIME": oai["TOKEN_LIFETIME"].total_seconds()}))
"""


def oai_settings(**environment: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ARCHIVE_OAI_")}
    env.update(environment)
    result = subprocess.run(
        [sys.executable, "-c", DUMP], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_and_values_from_the_environment():
    """Pages of 100 and tokens of 24 hours by default; every setting can be given in the environment."""
    defaults = oai_settings()
    assert (defaults["PAGE_SIZE"], defaults["TOKEN_LIFETIME"], defaults["NAMESPACE"]) == (
        100,
        24 * 3600,
        "archive.example.org",
    )
    chosen = oai_settings(
        ARCHIVE_OAI_NAMESPACE="news.example.net",
        ARCHIVE_OAI_ADMIN_EMAIL="a@news.example.net, b@news.example.net",
        ARCHIVE_OAI_REPOSITORY_NAME="Wire archive",
        ARCHIVE_OAI_PAGE_SIZE="250",
        ARCHIVE_OAI_TOKEN_HOURS="2",
    )
    assert chosen == {
        "NAMESPACE": "news.example.net",
        "ADMIN_EMAILS": ["a@news.example.net", "b@news.example.net"],
        "REPOSITORY_NAME": "Wire archive",
        "PAGE_SIZE": 250,
        "TOKEN_LIFETIME": 7200,
    }


def test_bad_values_are_refused_with_a_clear_message():
    """A namespace that is no domain name, an address that is no e-mail, a page size of 0 each stop start-up."""
    assert error_from(ARCHIVE_OAI_NAMESPACE="my archive") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_OAI_NAMESPACE must be a domain name such as "
        "archive.example.org, not 'my archive'"
    )
    assert error_from(ARCHIVE_OAI_ADMIN_EMAIL="archivist") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_OAI_ADMIN_EMAIL must be e-mail addresses separated by "
        "commas, not 'archivist'"
    )
    assert error_from(ARCHIVE_OAI_PAGE_SIZE="0") == (
        "django.core.exceptions.ImproperlyConfigured: ARCHIVE_OAI_PAGE_SIZE must be 1 or more, not 0"
    )
