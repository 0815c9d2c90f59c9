"""Print the weight of the public pages: HTML plus the CSS and JavaScript each loads.

The goal (issue 6) is a search results page whose HTML and CSS together stay
under 60 KB uncompressed, for people on slow phone connections. Run it
against a database with the seed loaded (``make run`` loads it):

    DJANGO_DEBUG=1 python manage.py page_weight
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.management.base import BaseCommand
from django.test import Client
from django.test.utils import override_settings

from directory.models import Organization, Resource

BUDGET = 60 * 1024
ASSET = re.compile(r'(?:href|src)="/static/([^"]+\.(?:css|js))"')


def kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


class Command(BaseCommand):
    help = "Print the size of each public page's HTML, CSS and JavaScript (raw and gzipped)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Pages to weigh (default: the main ones).")

    def default_paths(self) -> list[str]:
        paths = ["/"]
        if search := self._search_path():
            paths += [search, search + "?q=crisis", search + "?q=help&page=1"]
        resource = Resource.objects.published().order_by("name").first()
        organization = Organization.objects.filter(resources__isnull=False).first()
        if resource:
            paths.append(resource.get_absolute_url())
        if organization:
            paths.append(organization.get_absolute_url())
        return paths + ["/browse/", "/about/"]

    @staticmethod
    def _search_path() -> str | None:
        from django.urls import NoReverseMatch, reverse

        try:
            return reverse("directory:search")
        except NoReverseMatch:
            return None

    def handle(self, *args, paths: list[str], **options) -> None:
        # A measuring client, not a visitor: any host, source static names.
        with override_settings(
            ALLOWED_HOSTS=["*"],
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {
                    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                },
            },
        ):
            client = Client()
            rows = [self.weigh(client, path) for path in paths or self.default_paths()]
        header = f"{'page':<48} {'HTML':>9} {'+CSS':>9} {'+JS':>9} {'gzipped':>9}  budget"
        self.stdout.write(header)
        for path, html, css, js, zipped in rows:
            verdict = "ok" if html + css < BUDGET else "OVER"
            self.stdout.write(
                f"{path[:48]:<48} {kb(html):>9} {kb(html + css):>9} {kb(html + css + js):>9}"
                f" {kb(zipped):>9}  {verdict} (HTML+CSS < {kb(BUDGET)})"
            )

    def weigh(self, client: Client, path: str) -> tuple[str, int, int, int, int]:
        response = client.get(path)
        if response.status_code != 200:
            self.stderr.write(f"{path}: HTTP {response.status_code}")
        html = response.content
        css = js = b""
        for name in ASSET.findall(html.decode()):
            found = finders.find(name)
            content = Path(found).read_bytes() if found else b""
            if name.endswith(".css"):
                css += content
            else:
                js += content
        zipped = sum(len(gzip.compress(part)) for part in (html, css, js) if part)
        return path, len(html), len(css), len(js), zipped
