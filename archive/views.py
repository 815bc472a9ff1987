"""The public research site: thin views over the search form, selectors and page builder."""

from collections.abc import Iterable

from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from archive import citations, exports, search_page, selectors
from archive.forms import DATE_MODES, PAGE_SIZES, SORTS, SearchForm, SearchParams
from archive.models import Actor, Place

ACCESS_POINT_ARTICLES = 20
COOCCURRING = 10


@require_safe
def home(request):
    return redirect("archive:search")


@require_safe
def search(request):
    form = SearchForm(request.GET)
    params = form.search_params()
    page = search_page.build(params, facets=search_page.shown_facets(params))
    context = {
        "page": page,
        "params": page.params,
        "page_sizes": PAGE_SIZES,
        "sorts": SORTS,
        "date_modes": DATE_MODES,
        "citation_formats": citations.FORMATS.values(),
    }
    return render(request, "archive/search.html", context)


def _site(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_safe
def export_csv(request):
    """Every article the search finds, as CSV, streamed so a large result set never sits in memory."""
    params = SearchForm(request.GET).search_params()
    response = StreamingHttpResponse(
        exports.csv_lines(params, base_url=_site(request)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="archive-search.csv"'
    return response


@require_safe
def export_json(request):
    params = SearchForm(request.GET).search_params()
    response = StreamingHttpResponse(
        exports.json_chunks(params, base_url=_site(request)), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="archive-search.json"'
    return response


def _citation_response(request, rows: Iterable[selectors.ExportRow], *, extension: str, name: str):
    format_ = citations.FORMATS[extension]
    chunks = citations.citation_chunks(
        format_, rows, article_url=exports.article_url_template(_site(request)), accessed=timezone.localdate()
    )
    response = StreamingHttpResponse(chunks, content_type=format_.content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{format_.extension}"'
    return response


@require_safe
def export_citations(request, extension):
    """Every article the search finds as RIS, BibTeX or CSL-JSON, streamed like the CSV export."""
    params = SearchForm(request.GET).search_params()
    return _citation_response(request, selectors.iter_export_rows(params), extension=extension, name="archive-search")


@require_safe
def article_citation(request, slug, extension):
    """One article's citation file; a draft is not found, as on its page."""
    row = selectors.article_export_row(slug)
    if row is None:
        raise Http404("No published article has this address.")
    return _citation_response(request, [row], extension=extension, name=slug)


@require_safe
def suggest(request):
    """Typing suggestions: published access points and title words starting with what was typed."""
    return JsonResponse({"suggestions": selectors.suggestions(request.GET.get("q", ""))})


@require_safe
def article_detail(request, slug):
    article = selectors.article_for_page(slug)
    if article is None:
        raise Http404("No published article has this address.")
    return render(
        request,
        "archive/article.html",
        {
            "article": article,
            "similar": selectors.more_like(article),
            "url": request.build_absolute_uri(article.get_absolute_url()),
            "citation_formats": citations.FORMATS.values(),
        },
    )


def _access_point_search(params: SearchParams):
    """One search for an actor's or place's page: its newest articles, timeline and companions."""
    results = selectors.search(params, facets=("actor", "place", "year"))
    return results, {
        "rows": selectors.rows_for_hits(results.hits),
        "total": results.total,
        "timeline": search_page.timeline(params, results)[1],
        "search_url": search_page.search_url(params.with_changes(sort="relevance")),
    }


@require_safe
def actor_detail(request, pk):
    actor = get_object_or_404(Actor.objects.public().prefetch_related("alternate_names"), pk=pk)
    params = SearchParams(actors=(actor.pk,), sort="newest", per_page=ACCESS_POINT_ARTICLES)
    results, context = _access_point_search(params)
    others = [item for item in selectors.label_actor_counts(results.facets["actor"]) if item.value != str(actor.pk)]
    context |= {
        "actor": actor,
        "co_actors": others[:COOCCURRING],
        "co_places": selectors.label_place_counts(results.facets["place"])[:COOCCURRING],
    }
    return render(request, "archive/actor.html", context)


@require_safe
def place_detail(request, pk):
    place = get_object_or_404(
        Place.objects.public().select_related("parent").prefetch_related("alternate_names"), pk=pk
    )
    params = SearchParams(places=(place.pk,), sort="newest", per_page=ACCESS_POINT_ARTICLES)
    results, context = _access_point_search(params)
    counts = {item.value: item.count for item in results.facets["place"]}
    children = [(child, counts.get(str(child.pk), 0)) for child in place.children.public().order_by("name")]
    lineage = {str(node.pk) for node in [place, *place.ancestors()]} | {str(child.pk) for child, _ in children}
    others = [item for item in selectors.label_place_counts(results.facets["place"]) if item.value not in lineage]
    context |= {
        "place": place,
        "ancestors": [node for node in reversed(place.ancestors()) if node.status == "published"],
        "children": children,
        "co_actors": selectors.label_actor_counts(results.facets["actor"])[:COOCCURRING],
        "co_places": others[:COOCCURRING],
    }
    return render(request, "archive/place.html", context)


@require_safe
def actor_index(request):
    return render(request, "archive/actor_index.html", {"groups": selectors.actors_by_type()})


@require_safe
def place_index(request):
    return render(request, "archive/place_index.html", {"roots": selectors.place_tree()})


@require_safe
def tag_index(request):
    return render(request, "archive/tag_index.html", {"tags": selectors.tags_with_counts()})


@require_safe
def time_index(request):
    return render(request, "archive/time_index.html", {"years": selectors.published_years()})
