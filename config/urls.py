from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config.api import router
from config.api_errors import api_not_found

# Swagger UI and ReDoc (served from local files) write their styles inline and
# ReDoc runs a worker from a blob: URL; only these two pages relax the CSP.
api_docs_csp = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/hsds/", include("directory.hsds_api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        api_docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        api_docs_csp(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
    # Anything else under /api/ is a 404 in the API's JSON error shape.
    re_path(r"^api/(?P<path>.*)$", api_not_found),
    path("guide/", include("guide.urls")),
    path("", include("directory.urls")),
]
