"""Template helpers for the public pages."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from directory import hours
from directory.models import Resource

register = template.Library()

# The characters that could end a <script> block or start markup inside one,
# escaped as JSON allows (the same set as Django's json_script filter).
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def quick_exit_url() -> str:
    """A tag rather than a context variable, so the 500 page (rendered without
    context processors) has it too."""
    return settings.QUICK_EXIT_URL


@register.filter
def jsonld(data: dict[str, Any]) -> SafeString:
    """``data`` as a JSON-LD block that no stored text can break out of."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


@register.simple_tag
def open_status(resource: Resource) -> hours.OpenStatus | None:
    return hours.open_status(resource, timezone.now())


@register.simple_tag
def weekly_hours(resource: Resource) -> list[hours.DayRange]:
    return hours.weekly_ranges(resource)


@register.simple_tag
def zone_name(resource: Resource) -> str:
    return hours.zone_name(resource)


@register.simple_tag(takes_context=True)
def query_with(context, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None removes a key);
    the page number always resets, since a new filter starts a new list."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
