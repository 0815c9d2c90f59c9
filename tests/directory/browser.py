"""Playwright helpers for the browser tests: Debian's chromium, headless, offline.

The browser may only talk to the live test server. Every other request is
answered here (the quick-exit page) or refused and recorded, so a test fails
if a page ever loads a third-party asset, and no test sends traffic anywhere
but loopback. axe-core comes from node_modules (``npm ci``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.access(CHROMIUM, os.X_OK)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-output"
# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PHONE = {"width": 375, "height": 812}

browser_tests = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not HAVE_CHROMIUM,
        reason=f"Debian's chromium is not installed at {CHROMIUM}; run .ci/install-browser",
    ),
]


class OfflineContext:
    """A browser context that reaches only the live server; see the module docstring."""

    NEUTRAL_PAGE = "<!doctype html><title>Weather</title><h1>Weather forecast</h1>"

    def __init__(self, browser, base_url: str, **options) -> None:
        self.base_url = base_url
        self.refused: list[str] = []
        self.console_errors: list[str] = []
        self.context = browser.new_context(base_url=base_url, **options)
        self.context.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base_url):
            route.continue_()
        elif url.startswith(settings.QUICK_EXIT_URL):
            route.fulfill(status=200, content_type="text/html", body=self.NEUTRAL_PAGE)
        else:
            self.refused.append(url)
            route.abort()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("response", self._response)
        return page

    def _console(self, message) -> None:
        # A page's own 404 status is reported as a failed load; subresources
        # that fail are caught by _response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.console_errors.append(f"{response.status} {response.url}")

    def close(self) -> None:
        self.context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG 2.2 A/AA rules on the current page."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing at {AXE_JS}: run `npm ci` (or .ci/install-browser)")
    # evaluate() runs as the test harness, outside the page's CSP.
    page.evaluate(AXE_JS.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA_TAGS
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=2)
