"""Static files: served by the web process through WhiteNoise, under cache-busting names in production."""

import gzip

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def collected(settings, tmp_path):
    """Production static files: DEBUG off, ``collectstatic`` run into a fresh STATIC_ROOT."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = PRODUCTION_STORAGES
    call_command("collectstatic", "--noinput", verbosity=0)
    return settings.STATIC_ROOT


def test_production_names_carry_a_content_hash(collected):
    """In production a static file's URL carries a hash of its content, so a new version gets a new URL."""
    url = staticfiles_storage.url("archive/site.css")
    assert url.startswith("/static/archive/site.")
    assert url.endswith(".css")
    assert url != "/static/archive/site.css"


def test_hashed_file_is_served_with_far_future_cache_headers(collected):
    """The web process serves a hashed static file itself, cacheable for ten years."""
    response = Client().get(staticfiles_storage.url("archive/site.css"), secure=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body == (collected / "archive" / "site.css").read_bytes()


def test_gzip_variant_is_written_and_served_to_clients_that_accept_it(collected):
    """collectstatic writes a gzip copy beside each text file, and a client that accepts gzip receives it."""
    name = staticfiles_storage.stored_name("archive/site.css")
    assert (collected / f"{name}.gz").exists()
    response = Client().get(staticfiles_storage.url("archive/site.css"), secure=True, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    body = gzip.decompress(b"".join(response.streaming_content))
    assert body == (collected / name).read_bytes()


def test_debug_mode_serves_sources_without_collectstatic(settings):
    """In debug mode (and in tests) static files are read from the source folders: no collectstatic first."""
    settings.DEBUG = True
    assert not any(settings.STATIC_ROOT.iterdir())
    response = Client().get("/static/archive/site.css")
    assert response.status_code == 200
    assert staticfiles_storage.url("archive/site.css") == "/static/archive/site.css"
