"""The "mentioned in the guide" back-links on directory resource pages."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from directory.models import PublicationStatus
from tests.factories import ResourceFactory
from tests.guide.factories import GuideFactory, ReferenceFactory, SectionFactory, TipFactory


def test_resource_pages_link_back_to_the_sections_and_tips_that_mention_them(client, guide_seeded):
    html = client.get("/resources/findtreatment-gov/").content.decode()

    assert "Mentioned in the guide" in html
    assert 'href="/guide/compassionate-ally/encouraging-professional-help/"' in html
    assert (
        'href="/guide/compassionate-ally/encouraging-professional-help/#offer-assistance"' in html
    )


def test_every_resource_a_section_names_links_back_to_it(client, guide_seeded):
    for section in guide_seeded.sections.prefetch_related("related_resources"):
        for resource in section.related_resources.all():
            html = client.get(resource.get_absolute_url()).content.decode()
            assert f'href="{section.get_absolute_url()}"' in html, resource.slug


def test_referenced_resources_link_to_the_reference_list(client, guide_seeded):
    reference = guide_seeded.references.get(
        resource__slug="mayo-clinic-depression-coping-and-support"
    )
    html = client.get("/resources/mayo-clinic-depression-coping-and-support/").content.decode()
    assert f'href="{reference.get_absolute_url()}"' in html
    assert "cited as a source" in html


def test_draft_guides_and_sections_are_not_linked(client, db):
    resource = ResourceFactory()
    SectionFactory(related_resources=[resource], status=PublicationStatus.DRAFT, title="Draft S")
    draft_guide = GuideFactory(status=PublicationStatus.DRAFT)
    TipFactory(
        section=SectionFactory(guide=draft_guide), related_resources=[resource], title="Hidden tip"
    )
    ReferenceFactory(guide=draft_guide, resource=resource)

    html = client.get(resource.get_absolute_url()).content.decode()

    assert "Mentioned in the guide" not in html
    assert "Draft S" not in html and "Hidden tip" not in html


def test_a_resource_with_no_mention_shows_no_section(client, db):
    html = client.get(ResourceFactory().get_absolute_url()).content.decode()
    assert "Mentioned in the guide" not in html


def test_back_links_take_a_constant_number_of_queries(django_assert_num_queries, db):
    # The resource page's own queries, plus three for the back-links: the
    # sections, the tips and the references that mention it.
    resource = ResourceFactory()
    SectionFactory(related_resources=[resource])
    client = Client()
    with CaptureQueriesContext(connection) as first:
        client.get(resource.get_absolute_url())

    for _ in range(5):
        section = SectionFactory(guide=GuideFactory(), related_resources=[resource])
        TipFactory(section=section, related_resources=[resource])
        ReferenceFactory(guide=section.guide, resource=resource)

    with django_assert_num_queries(len(first)):
        html = client.get(resource.get_absolute_url()).content.decode()
    assert html.count("cited as a source") == 5
    assert len([q for q in first.captured_queries if "guide_" in q["sql"]]) == 3
