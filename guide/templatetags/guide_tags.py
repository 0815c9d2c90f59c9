from __future__ import annotations

import json
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from directory.models import PublicationStatus, Resource
from guide import sharecard
from guide.markdown import render_markdown

register = template.Library()

# The escapes Django's json_script uses: the JSON cannot close the element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown rendered to sanitized HTML (``guide.markdown``)."""
    return mark_safe(render_markdown(text or ""))  # noqa: S308 - sanitized by nh3


@register.filter
def json_ld(data: dict[str, Any]) -> SafeString:
    """A JSON-LD data block. Browsers never execute it, so a strict CSP allows it."""
    payload = json.dumps(data, cls=DjangoJSONEncoder).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


@register.filter
def sms_href(text: str) -> str:
    return sharecard.sms_href(text)


@register.filter
def mailto_href(text: str) -> str:
    return sharecard.mailto_href(text)


@register.simple_tag
def guide_mentions(resource: Resource) -> list[dict[str, str]]:
    """Where published guides mention ``resource``: sections, tips and references.

    Reads what ``ResourceQuerySet.with_guide_mentions()`` prefetched; without
    the prefetch it still works, with a few more queries.
    """
    published = PublicationStatus.PUBLISHED
    mentions: list[dict[str, str]] = []
    for section in resource.guide_sections.all():
        if section.status == published and section.guide.status == published:
            mentions.append(
                {"title": section.title, "url": section.get_absolute_url(), "context": ""}
            )
    for tip in resource.guide_tips.all():
        section = tip.section
        if section.status == published and section.guide.status == published:
            mentions.append(
                {"title": tip.title, "url": tip.get_absolute_url(), "context": section.title}
            )
    for reference in resource.guide_references.all():
        if reference.guide.status == published:
            mentions.append(
                {
                    "title": reference.guide.title,
                    "url": reference.get_absolute_url(),
                    "context": gettext("cited as a source"),
                }
            )
    return mentions
