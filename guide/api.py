"""The guide's read-only API, registered on the project router (``config/api.py``)."""

from __future__ import annotations

from rest_framework import viewsets

from guide.models import Guide
from guide.serializers import GuideSerializer


class GuideViewSet(viewsets.ReadOnlyModelViewSet):
    """Published guides, each with its sections, tips, helper tools and references.

    Related directory resources are given by id with a link to their page;
    only published sections and resources appear. The query count does not
    grow with the guide: see ``GuideQuerySet.with_contents``.
    """

    queryset = Guide.objects.published().with_contents().order_by("title", "id")
    serializer_class = GuideSerializer
    lookup_field = "slug"
