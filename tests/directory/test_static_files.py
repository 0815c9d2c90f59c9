"""Static files as production serves them: hashed names, compressed, cached for a year."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture
def collected_static(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # Only our own files: the admin's and DRF's add time, not coverage.
    call_command(
        "collectstatic", "--noinput", "--ignore=admin", "--ignore=rest_framework", verbosity=0
    )
    return tmp_path


def test_pages_link_hashed_static_files_served_compressed_and_immutable(collected_static, db):
    client = Client()  # WhiteNoise scans STATIC_ROOT when its middleware starts
    html = client.get("/about/").content.decode()

    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html)
    script = re.search(r'src="(/static/js/quick-exit\.[0-9a-f]{12}\.js)"', html)
    assert stylesheet and script, "pages must link the hashed names"

    for url in (stylesheet.group(1), script.group(1)):
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=315360000" in response.headers["Cache-Control"]
