from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from archive.api import views

app_name = "api"

router = DefaultRouter()
router.include_root_view = False
router.register("articles", views.ArticleViewSet, basename="article")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("places", views.PlaceViewSet, basename="place")
router.register("tags", views.TagViewSet, basename="tag")

urlpatterns = [
    path("", views.APIRoot.as_view(), name="root"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    *router.urls,
]
