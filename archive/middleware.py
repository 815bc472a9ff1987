"""What the public site answers when the search engine fails: a 503 that says so, never a traceback."""

import logging

from django.http import JsonResponse
from django.shortcuts import render

from archive.search.base import SearchBackendError

logger = logging.getLogger(__name__)

UNAVAILABLE = "The search index cannot be read right now; the archive's administrators have been told."
# Routes whose callers read JSON: the API and the search form's typing suggestions.
JSON_NAMESPACES = {"api"}
JSON_VIEWS = {"archive:suggest"}


class SearchUnavailableMiddleware:
    """Answer a search the engine could not serve with 503 and a plain message, and log the reason.

    Pages that need the engine only for an extra (the article page's similar
    articles, the places' counts) catch the error themselves and leave it out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SearchBackendError):
            return None
        logger.error("Search failed for %s: %s", request.get_full_path(), exception)
        match = request.resolver_match
        if match is not None and (match.namespace in JSON_NAMESPACES or match.view_name in JSON_VIEWS):
            return JsonResponse({"error": UNAVAILABLE}, status=503)
        return render(request, "archive/search_unavailable.html", {"message": UNAVAILABLE}, status=503)
