from django.contrib import admin
from django.urls import include, path

from archive import health
from archive.oai.views import endpoint as oai_endpoint

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("archive.api.urls")),
    path("oai/", oai_endpoint, name="oai"),
    path("", include("archive.public_urls")),
]
