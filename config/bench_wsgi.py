"""WSGI application for ``manage.py bench_api`` only: the project plus one bare view.

The bare view returns a fixed JSON body through the same middleware and
server as the API, so the benchmark's ratio to it shows what the framework,
the queries and the serialization cost. Never deploy this module.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402

FIXED_BODY = {"status": "ok", "items": [{"id": n, "name": f"Item {n}"} for n in range(5)]}


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse(FIXED_BODY)


urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]
settings.ROOT_URLCONF = __name__
