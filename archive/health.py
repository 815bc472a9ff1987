"""``/healthz``: whether this web process can reach the database and the search engine.

A load balancer or process manager probes it; it answers 503 when either is
down, naming which. The response gives only the kind of failure: the full
error, which may name hosts and paths, goes to the log.
"""

import logging

from django.db import Error as DatabaseError
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from archive.search import get_backend
from archive.search.base import SearchBackendError, SearchQuery
from archive.search.indexing import pending_count

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_search() -> None:
    get_backend().search(SearchQuery(per_page=1, facets=(), highlight=False))


def _failure(component: str, exc: Exception) -> str:
    logger.error("Health check: the %s is unavailable: %s", component, exc, exc_info=exc)
    return f"unavailable: {type(exc).__name__}"


@never_cache
@require_safe
def healthz(request):
    report = {"status": "ok", "database": "ok", "search": "ok", "queued_index_updates": None}
    try:
        check_database()
        report["queued_index_updates"] = pending_count()
    except DatabaseError as exc:
        report["database"] = _failure("database", exc)
    try:
        check_search()
    except SearchBackendError as exc:
        report["search"] = _failure("search engine", exc)
    if report["database"] != "ok" or report["search"] != "ok":
        report["status"] = "unavailable"
        return JsonResponse(report, status=503)
    return JsonResponse(report)
