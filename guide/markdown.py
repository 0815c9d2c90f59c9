"""Markdown to sanitized HTML for the guide's bodies.

markdown-it-py parses CommonMark; nh3 (the ammonia sanitizer) then keeps
only the tags, attributes and URL schemes a guide body needs. Raw HTML in
the source is passed to nh3 rather than escaped, so a stray ``<script>`` is
removed with its content instead of appearing as text on the page.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "em",
        "strong",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "hr",
        # Page titles and tips use h1 and h2; bodies start at h3.
        "h3",
        "h4",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "sms"})

_parser = MarkdownIt("commonmark", {"html": True, "typographer": True}).enable(
    ["replacements", "smartquotes"]
)


def sanitize_html(html: str) -> str:
    """Keep only the allowed tags and attributes; external links get rel=noopener."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer",
    )


# Bodies change only when a curator saves, and pages render the same texts
# over and over; caching by source text keeps rendering off the hot path.
@lru_cache(maxsize=1024)
def render_markdown(text: str) -> str:
    """Sanitized HTML for Markdown ``text`` (safe to mark safe in a template)."""
    if not text:
        return ""
    return sanitize_html(_parser.render(text))
