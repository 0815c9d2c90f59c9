"""Public pages of the directory.

Each view reads through ``ResourceQuerySet`` so that every page runs a fixed
number of queries whatever the number of resources (pinned in
tests/directory/test_views.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from directory.jsonld import resource_jsonld
from directory.models import Organization, PublicationStatus, Resource, Taxonomy, TaxonomyTerm

RELATED_RESOURCES = 4


def _terms_in_use(taxonomy_code: str, relation: str):
    """Terms of a taxonomy that at least one published resource carries."""
    return (
        TaxonomyTerm.objects.filter(
            taxonomy__code=taxonomy_code, **{f"{relation}__status": PublicationStatus.PUBLISHED}
        )
        .distinct()
        .order_by("position", "name")
    )


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/home.html",
        {
            "audiences": _terms_in_use(Taxonomy.AUDIENCE, "resources_for_audience"),
        },
    )


def browse(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/browse.html",
        {
            "nav": "browse",
            "topics": _terms_in_use(Taxonomy.TOPIC, "resources_on_topic"),
            "audiences": _terms_in_use(Taxonomy.AUDIENCE, "resources_for_audience"),
        },
    )


def _term_page(request: HttpRequest, *, taxonomy_code: str, relation: str, slug: str):
    term = get_object_or_404(
        TaxonomyTerm.objects.select_related("taxonomy"), taxonomy__code=taxonomy_code, code=slug
    )
    resources = getattr(term, relation).published().for_listing().most_urgent_first()
    return render(
        request,
        "directory/term_detail.html",
        {"nav": "browse", "term": term, "resources": resources, "taxonomy": taxonomy_code},
    )


def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _term_page(
        request, taxonomy_code=Taxonomy.TOPIC, relation="resources_on_topic", slug=slug
    )


def audience_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _term_page(
        request, taxonomy_code=Taxonomy.AUDIENCE, relation="resources_for_audience", slug=slug
    )


def resource_detail(request: HttpRequest, slug: str) -> HttpResponse:
    resource = get_object_or_404(
        Resource.objects.published().for_listing().prefetch_related("locations"), slug=slug
    )
    related = Resource.objects.published().related_to(resource).select_related("kind")
    page_url = request.build_absolute_uri(resource.get_absolute_url())
    return render(
        request,
        "directory/resource_detail.html",
        {
            "resource": resource,
            "related": related[:RELATED_RESOURCES],
            "page_url": page_url,
            "jsonld": resource_jsonld(resource, page_url=page_url),
        },
    )


def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    resources = organization.resources.published().for_listing().most_urgent_first()
    return render(
        request,
        "directory/organization_detail.html",
        {"organization": organization, "resources": resources},
    )
