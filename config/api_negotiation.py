"""DRF's content negotiation, remembered per Accept header.

Choosing a renderer parses the Accept header and the query string on every
request; on a warm cached request that is a good part of the work left. The
choice depends only on the view's renderer classes, the Accept header and
the URL's format suffix, so it is remembered for those (a bounded number of
distinct combinations; an unusual header is simply negotiated each time).
"""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

_MAX_REMEMBERED = 512
_chosen: dict[tuple, tuple[int, str]] = {}


class RememberingContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        if self.settings.URL_FORMAT_OVERRIDE:  # the choice would depend on the query too
            return super().select_renderer(request, renderers, format_suffix)
        key = (
            tuple(type(renderer) for renderer in renderers),
            request.META.get("HTTP_ACCEPT", "*/*"),
            format_suffix,
        )
        chosen = _chosen.get(key)
        if chosen is None:
            renderer, media_type = super().select_renderer(request, renderers, format_suffix)
            chosen = (renderers.index(renderer), media_type)
            if len(_chosen) < _MAX_REMEMBERED:
                _chosen[key] = chosen
        index, media_type = chosen
        return renderers[index], media_type
