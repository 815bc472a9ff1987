from django.urls import path

from archive import views

app_name = "archive"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("actors/<int:pk>/", views.actor_detail, name="actor"),
    path("places/<int:pk>/", views.place_detail, name="place"),
]
