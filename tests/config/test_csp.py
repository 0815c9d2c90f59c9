"""The Content-Security-Policy: strict everywhere, relaxed for styles only on the API docs."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_may_use_inline_styles_but_never_inline_script(client, db, path):
    policy = client.get(path).headers["Content-Security-Policy"]

    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy + ";"
    assert "worker-src 'self' blob:" in policy


def test_public_pages_allow_no_inline_style_or_script(client, db):
    policy = client.get("/about/").headers["Content-Security-Policy"]

    assert "unsafe-inline" not in policy and "blob:" not in policy
