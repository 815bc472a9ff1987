"""A small gazetteer and the actor seeds, loaded once per test module through the real loaders.

Loading the whole world for every test would be slow; the same loaders
with a country filter give the same records for the countries the tests use.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from archive.extraction.authorities import forget_authority_index
from archive.extraction.gazetteer import load_gazetteer
from archive.extraction.seeds import load_actor_seeds
from archive.importers.plaintext import parse_file

COUNTRIES = {"IT", "US", "LY", "TN", "GB", "FR", "GE", "JO", "BR", "DE", "HR"}
SEED_ARTICLE = Path(settings.BASE_DIR) / "seeds" / "2016-02-24-italy-us-drones-sigonella.txt"


@pytest.fixture(scope="module")
def authorities(django_db_setup, django_db_blocker):
    """Gazetteer (cities of 50,000 people or more) and actor seeds, rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_gazetteer(min_population=50_000, countries=COUNTRIES)
        load_actor_seeds(countries=COUNTRIES)
        forget_authority_index()
        yield
        transaction.set_rollback(True)
    forget_authority_index()


def seed_record():
    return next(iter(parse_file(SEED_ARTICLE)))
