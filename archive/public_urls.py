import re

from django.urls import path, register_converter

from archive import citations, views
from archive.feeds import SearchFeed


class CitationExtension:
    regex = "|".join(re.escape(extension) for extension in citations.FORMATS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CitationExtension, "citation")

app_name = "archive"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/suggest", views.suggest, name="suggest"),
    path("search/export.csv", views.export_csv, name="export_csv"),
    path("search/export.json", views.export_json, name="export_json"),
    path("search/export.<citation:extension>", views.export_citations, name="export_citations"),
    path("search/feed/", SearchFeed(), name="feed"),
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("articles/<slug:slug>/cite.<citation:extension>", views.article_citation, name="article_citation"),
    path("actors/", views.actor_index, name="actors"),
    path("actors/<int:pk>/", views.actor_detail, name="actor"),
    path("places/", views.place_index, name="places"),
    path("places/<int:pk>/", views.place_detail, name="place"),
    path("tags/", views.tag_index, name="tags"),
    path("time/", views.time_index, name="time"),
]
