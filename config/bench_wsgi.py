"""WSGI application for ``manage.py bench_api`` only: the project plus one bare view.

The bare view returns a fixed JSON body through the same middleware and
server as the API, so the benchmark's ratio to it shows what the framework,
the queries and the serialization cost. Every response also says how long
its database statements took (``Server-Timing: db;dur=<ms>``), so the
benchmark can show how much of a request the database alone takes. Never
deploy this module (the timing would tell every client about the database).
"""

import os
import time

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402

FIXED_BODY = {"status": "ok", "items": [{"id": n, "name": f"Item {n}"} for n in range(5)]}


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse(FIXED_BODY)


urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]
settings.ROOT_URLCONF = __name__


def application(environ, start_response):
    spent = [0.0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    def start(status, headers, exc_info=None):
        # Django starts the response once its body is made (sync workers,
        # no streaming on the benchmarked paths): every statement has run.
        headers.append(("Server-Timing", f"db;dur={spent[0] * 1000:.3f}"))
        return start_response(status, headers, exc_info)

    with connection.execute_wrapper(timed):
        return django_application(environ, start)
