"""How records look in the JSON API. Only published access points are ever nested."""

from rest_framework import serializers
from taggit.models import Tag

from archive.models import Actor, Article, Place


class ActorRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["id", "name", "type"]


class PlaceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["id", "name", "type", "country_code", "latitude", "longitude"]


class ActorSerializer(serializers.ModelSerializer):
    alternate_names = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    article_count = serializers.IntegerField(read_only=True, help_text="Published articles linked to this actor.")
    url = serializers.HyperlinkedIdentityField(view_name="api:actor-detail")

    class Meta:
        model = Actor
        fields = ["id", "url", "name", "type", "alternate_names", "description", "external_id", "article_count"]


class PlaceSerializer(serializers.ModelSerializer):
    alternate_names = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    article_count = serializers.IntegerField(read_only=True, help_text="Published articles linked to this place.")
    url = serializers.HyperlinkedIdentityField(view_name="api:place-detail")

    class Meta:
        model = Place
        fields = [
            "id",
            "url",
            "name",
            "type",
            "parent",
            "country_code",
            "latitude",
            "longitude",
            "alternate_names",
            "article_count",
        ]


class TagSerializer(serializers.ModelSerializer):
    article_count = serializers.IntegerField(read_only=True, help_text="Published articles with this tag.")

    class Meta:
        model = Tag
        fields = ["name", "slug", "article_count"]


class ArticleSummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:article-detail", lookup_field="slug")
    page = serializers.SerializerMethodField(help_text="The article's page on the public site.")
    published = serializers.DateField(source="published_start", help_text="First day of the published date range.")
    published_end = serializers.DateField(help_text="Last day of the published date range.")
    date_precision = serializers.CharField(source="published_precision")
    actors = ActorRefSerializer(many=True, read_only=True)
    places = PlaceRefSerializer(many=True, read_only=True)
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "url",
            "page",
            "title",
            "published",
            "published_end",
            "date_precision",
            "source",
            "byline",
            "actors",
            "places",
            "tags",
        ]

    def get_page(self, article) -> str:
        request = self.context.get("request")
        path = article.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def get_tags(self, article) -> list[str]:
        return sorted(tag.slug for tag in article.tags.all())


class ArticleSerializer(ArticleSummarySerializer):
    class Meta(ArticleSummarySerializer.Meta):
        fields = [
            *ArticleSummarySerializer.Meta.fields,
            "published_at",
            "dateline",
            "language",
            "source_url",
            "body",
        ]


class SearchHitSerializer(serializers.Serializer):
    score = serializers.FloatField()
    highlight = serializers.CharField(help_text="HTML: the article's text escaped, with <mark> around matches.")
    article = ArticleSummarySerializer()


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The value to pass back as a filter (an id, slug, source or period).")
    label = serializers.CharField()
    count = serializers.IntegerField()
    detail = serializers.CharField(help_text="The actor's type, or the place's parent.", allow_blank=True)


class FacetsSerializer(serializers.Serializer):
    actor = FacetValueSerializer(many=True)
    place = FacetValueSerializer(many=True)
    tag = FacetValueSerializer(many=True)
    source = FacetValueSerializer(many=True)
    year = FacetValueSerializer(many=True)
    month = FacetValueSerializer(many=True)


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Published articles the search finds.")
    page = serializers.IntegerField()
    per_page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    notices = serializers.ListField(child=serializers.CharField(), help_text="Parameters ignored or adjusted, and why.")
    suggestion = serializers.CharField(allow_blank=True, help_text="A corrected query that finds articles, if any.")
    facets = FacetsSerializer()
    results = SearchHitSerializer(many=True)
