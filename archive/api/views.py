"""Read-only API views: thin wrappers over the same form, selectors and search as the site."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from taggit.models import Tag

from archive import search_page, selectors
from archive.api import serializers
from archive.forms import PAGE_SIZES, SearchForm
from archive.models import Actor, Place


class Pages(PageNumberPagination):
    page_size = 20
    page_size_query_param = "per_page"
    max_page_size = PAGE_SIZES[-1]


SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="Words in the query language (phrases, AND/OR/NOT, prefix*, actor:, ...)."),
    OpenApiParameter("actor", int, many=True, description="Actor ids; several combine with OR."),
    OpenApiParameter("place", int, many=True, description="Place ids, each matching the places inside it; OR."),
    OpenApiParameter("tag", str, many=True, description="Tag slugs; OR."),
    OpenApiParameter("source", str, many=True, description="Source names; OR."),
    OpenApiParameter("from", str, description="YYYY, YYYY-MM or YYYY-MM-DD: the start of that period."),
    OpenApiParameter("to", str, description="YYYY, YYYY-MM or YYYY-MM-DD: the end of that period."),
    OpenApiParameter("date_mode", str, enum=["overlap", "within"], description="How dates relate to the period."),
    OpenApiParameter("sort", str, enum=["relevance", "newest", "oldest"]),
    OpenApiParameter("page", int),
    OpenApiParameter("per_page", int, enum=list(PAGE_SIZES)),
]


# Values returned per facet, most frequent first (chosen values are always included).
FACET_VALUES = 100


def _facet_values(labelled) -> list[dict]:
    return [{"value": i.value, "label": i.label, "count": i.count, "detail": i.detail} for i in labelled]


class APIRoot(APIView):
    """The news archive's read-only API: search, then articles, actors, places and tags."""

    @extend_schema(exclude=True)
    def get(self, request):
        routes = {
            "search": "search",
            "articles": "article-list",
            "actors": "actor-list",
            "places": "place-list",
            "tags": "tag-list",
            "schema": "schema",
        }
        return Response({key: request.build_absolute_uri(reverse(f"api:{name}")) for key, name in routes.items()})


class SearchView(APIView):
    """Search published articles with the public site's filters, facets and sorting."""

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=serializers.SearchResponseSerializer)
    def get(self, request):
        searched = search_page.run_search(SearchForm(request.query_params).search_params())
        params, results = searched.params, searched.results
        facets = results.facets

        def top(key: str, chosen=()) -> list:
            return selectors.top_counts(facets.get(key, []), {str(value) for value in chosen}, FACET_VALUES)

        def link(number: int) -> str | None:
            if not 1 <= number <= searched.num_pages or number == params.page:
                return None
            return request.build_absolute_uri(reverse("api:search") + params.with_changes(page=number).querystring())

        context = {"request": request}
        hits = {hit.article_id: hit for hit in results.hits}
        return Response(
            {
                "count": results.total,
                "page": params.page,
                "per_page": params.per_page,
                "num_pages": searched.num_pages,
                "next": link(params.page + 1),
                "previous": link(params.page - 1),
                "notices": searched.notices,
                "suggestion": results.suggestion,
                "facets": {
                    "actor": _facet_values(selectors.label_actor_counts(top("actor", params.actors))),
                    "place": _facet_values(selectors.label_place_counts(top("place", params.places))),
                    "tag": _facet_values(selectors.label_tag_counts(top("tag", params.tags))),
                    "source": _facet_values(selectors.label_plain_counts(top("source", params.sources))),
                    "year": _facet_values(selectors.label_plain_counts(facets.get("year", []))),
                    "month": _facet_values(selectors.label_month_counts(facets.get("month", []))),
                },
                "results": [
                    {
                        "score": hits[article.pk].score,
                        "highlight": hits[article.pk].highlight,
                        "article": serializers.ArticleSummarySerializer(article, context=context).data,
                    }
                    for article in selectors.articles_for_hits(results.hits)
                ],
            }
        )


class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    """Published articles, newest first."""

    lookup_field = "slug"
    pagination_class = Pages

    def get_queryset(self):
        return selectors.public_articles().order_by("-published_start", "-pk")

    def get_serializer_class(self):
        return serializers.ArticleSummarySerializer if self.action == "list" else serializers.ArticleSerializer


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("type", OpenApiTypes.STR, description="Only actors of this type.")])
)
class ActorViewSet(viewsets.ReadOnlyModelViewSet):
    """Public actors (with a published article) and their number of published articles."""

    serializer_class = serializers.ActorSerializer
    pagination_class = Pages

    def get_queryset(self):
        actors = (
            Actor.objects.public()
            .prefetch_related("alternate_names")
            .with_published_article_counts()
            .order_by("name", "pk")
        )
        wanted = self.request.query_params.get("type")
        return actors.filter(type=wanted) if wanted else actors


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("parent", OpenApiTypes.INT, description="Only the places directly inside this one."),
            OpenApiParameter("country_code", OpenApiTypes.STR, description="Only places with this ISO 3166 code."),
        ]
    )
)
class PlaceViewSet(viewsets.ReadOnlyModelViewSet):
    """Public places (with a published article, or one inside them); ``article_count`` counts
    published articles linked to the place itself."""

    serializer_class = serializers.PlaceSerializer
    pagination_class = Pages

    def get_queryset(self):
        places = (
            Place.objects.public()
            .prefetch_related("alternate_names")
            .with_published_article_counts()
            .order_by("name", "pk")
        )
        parent = self.request.query_params.get("parent", "")
        if parent.isdigit():
            places = places.filter(parent_id=int(parent))
        code = self.request.query_params.get("country_code", "")
        return places.filter(country_code__iexact=code) if code else places


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    """Tags on published articles, with how many carry each."""

    serializer_class = serializers.TagSerializer
    pagination_class = Pages
    lookup_field = "slug"
    queryset = Tag.objects.none()  # for the schema; the real one is below

    def get_queryset(self):
        return selectors.tags_with_counts()
