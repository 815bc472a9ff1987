from django.contrib import admin
from django.urls import include, path

from archive import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("archive.api.urls")),
    path("", include("archive.public_urls")),
]
