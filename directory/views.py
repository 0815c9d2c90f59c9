"""Public pages of the directory."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from directory.models import Organization, Resource, Urgency


def home(request: HttpRequest) -> HttpResponse:
    resources = Resource.objects.published().for_listing().order_by("name", "id")
    groups = [
        (urgency, [r for r in resources if r.urgency == urgency.value]) for urgency in Urgency
    ]
    return render(request, "directory/home.html", {"groups": groups})


def resource_detail(request: HttpRequest, slug: str) -> HttpResponse:
    resource = get_object_or_404(
        Resource.objects.published()
        .for_listing()
        .with_guide_mentions()
        .prefetch_related("locations"),
        slug=slug,
    )
    return render(request, "directory/resource_detail.html", {"resource": resource})


def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    resources = organization.resources.published().for_listing()
    return render(
        request,
        "directory/organization_detail.html",
        {"organization": organization, "resources": resources},
    )
