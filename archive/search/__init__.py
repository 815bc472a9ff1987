"""Full-text search: a backend contract, one engine module per engine, and the glue that keeps it in step."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from archive.search.base import BaseSearchBackend


@cache
def get_backend() -> BaseSearchBackend:
    """The configured engine, built on first use so settings are never read at import time."""
    config = getattr(settings, "ARCHIVE_SEARCH", None) or {}
    path = config.get("BACKEND")
    if not path:
        raise ImproperlyConfigured("ARCHIVE_SEARCH['BACKEND'] must name a search backend class")
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"ARCHIVE_SEARCH['BACKEND'] = {path!r} cannot be imported: {exc}") from exc
    if not issubclass(backend_class, BaseSearchBackend):
        raise ImproperlyConfigured(f"ARCHIVE_SEARCH['BACKEND'] = {path!r} is not a BaseSearchBackend")
    return backend_class(dict(config.get("OPTIONS", {})))
