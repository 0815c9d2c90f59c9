from django.contrib import admin
from django.urls import include, path

from config.api import router

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("guide/", include("guide.urls")),
    path("", include("directory.urls")),
]
