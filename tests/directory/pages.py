"""Helpers that read rendered pages the way a browser would (stdlib HTML parser)."""

from __future__ import annotations

from html.parser import HTMLParser


class PageParser(HTMLParser):
    """Collects the tags tests care about, each as a dict of its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []
        self.script_bodies: list[str] = []
        self.html_attrs: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a":
            self.links.append(attributes)
        elif tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
            self.script_bodies.append("")
        elif tag == "html":
            self.html_attrs = attributes
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._in_script:
            self.script_bodies[-1] += data


def parse(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser
