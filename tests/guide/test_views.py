from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from directory.models import PublicationStatus, Resource
from guide.models import Section
from tests.factories import ResourceFactory
from tests.guide.factories import GuideFactory, SectionFactory, TipFactory

GUIDE = "/guide/compassionate-ally/"
PAGES = [
    "/guide/",
    GUIDE,
    GUIDE + "why-it-matters/",
    GUIDE + "listening-with-empathy/",
    GUIDE + "providing-emotional-support/",
    GUIDE + "encouraging-professional-help/",
    GUIDE + "educating-yourself/",
    GUIDE + "taking-care-of-yourself/",
    GUIDE + "print/",
    GUIDE + "references/",
]
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


@pytest.mark.parametrize("url", PAGES)
def test_every_guide_page_shows_crisis_help_and_runs_no_inline_script(client, guide_seeded, url):
    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="tel:988"' in html and 'href="sms:988"' in html
    assert 'href="tel:911"' in html
    # The only scripts: JSON-LD data blocks (never executed) and external files.
    for tag in SCRIPT_TAG.findall(html):
        assert 'type="application/ld+json"' in tag or " src=" in tag, tag
    assert " onclick=" not in html and "javascript:" not in html


def test_the_contents_page_lists_sections_tips_and_introduction(client, guide_seeded):
    html = client.get(GUIDE).content.decode()

    assert "Introduction" in html and "Conclusion" in html
    for section in guide_seeded.sections.all():
        assert f'href="{section.get_absolute_url()}"' in html
        for tip in section.tips.all():
            assert f'href="{tip.get_absolute_url()}"' in html


def test_a_section_page_shows_its_tips_resources_and_helper_tools(client, guide_seeded):
    html = client.get(GUIDE + "encouraging-professional-help/").content.decode()

    for tip in ("Normalize seeking help", "Offer assistance", "Be patient"):
        assert tip in html
    assert 'href="/resources/samhsa-national-helpline/"' in html
    assert 'href="tel:+18006624357"' in html
    assert "What you could say" in html and "Would it help if we looked up" in html
    assert "data-share-text>Hi, hope your week is going okay." in html
    assert 'href="sms:?&amp;body=Hi%2C%20hope' in html
    assert 'href="mailto:?subject=Hi%2C%20hope' in html


def test_section_pages_link_to_the_previous_and_next_sections(client, guide_seeded):
    html = client.get(GUIDE + "listening-with-empathy/").content.decode()
    assert f'rel="prev" href="{GUIDE}why-it-matters/"' in html
    assert f'rel="next" href="{GUIDE}providing-emotional-support/"' in html

    first = client.get(GUIDE + "why-it-matters/").content.decode()
    assert 'rel="prev"' not in first


def test_every_section_page_links_to_a_directory_resource(client, guide_seeded):
    for section in guide_seeded.sections.all():
        html = client.get(section.get_absolute_url()).content.decode()
        assert re.search(r'href="/resources/[\w-]+/"', html), section.slug


def test_a_script_in_any_body_never_reaches_the_page(client, guide_seeded):
    payload = "Hello <script>alert('owned')</script> *there*"
    guide_seeded.introduction = payload
    guide_seeded.conclusion = payload
    guide_seeded.save()
    section = guide_seeded.sections.get(slug="educating-yourself")
    section.body = payload
    section.save()
    section.tips.update(body=payload)

    for url in (GUIDE, section.get_absolute_url(), GUIDE + "print/"):
        html = client.get(url).content.decode()
        assert "alert(" not in html, url
        assert "<em>there</em>" in html


def test_the_printable_version_holds_the_whole_guide_on_one_page(client, guide_seeded):
    html = client.get(GUIDE + "print/").content.decode()

    for section in guide_seeded.sections.prefetch_related("tips"):
        assert section.title in html
        for tip in section.tips.all():
            assert tip.title.replace('"', "&quot;") in html
    for reference in guide_seeded.references.all():
        assert reference.url in html
    assert "call or text 988" in html


def test_the_references_page_links_sources_and_directory_entries(client, guide_seeded):
    html = client.get(GUIDE + "references/").content.decode()

    for reference in guide_seeded.references.select_related("resource", "organization"):
        assert f'href="{reference.url}"' in html
        assert f'href="{reference.resource.get_absolute_url()}"' in html
        assert f'href="{reference.organization.get_absolute_url()}"' in html


def test_json_ld_describes_an_article_with_its_citations(client, guide_seeded):
    guide_ld = json_ld(client.get(GUIDE).content.decode())
    section_ld = json_ld(client.get(GUIDE + "educating-yourself/").content.decode())

    assert guide_ld["@type"] == "Article"
    assert guide_ld["headline"] == guide_seeded.title
    assert len(guide_ld["hasPart"]) == 6
    assert section_ld["@type"] == "Article"
    assert section_ld["headline"] == "Educating yourself"
    assert section_ld["isPartOf"]["@id"] == "http://testserver" + GUIDE
    for ld in (guide_ld, section_ld):
        assert [c["url"] for c in ld["citation"]] == list(
            guide_seeded.references.values_list("url", flat=True)
        )


def test_draft_guides_and_sections_are_not_found(client, db):
    draft = GuideFactory(status=PublicationStatus.DRAFT)
    guide = GuideFactory()
    hidden = SectionFactory(guide=guide, status=PublicationStatus.DRAFT)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(f"/guide/{guide.slug}/no-such-section/").status_code == 404


def test_unpublished_resources_are_not_shown_on_section_pages(client, db):
    hidden = ResourceFactory(name="Hidden resource", status=PublicationStatus.DRAFT)
    shown = ResourceFactory(name="Shown resource")
    section = SectionFactory(related_resources=[hidden, shown])

    html = client.get(section.get_absolute_url()).content.decode()

    assert "Shown resource" in html
    assert "Hidden resource" not in html


def section_page_queries(django_assert_num_queries, client, url, count):
    with django_assert_num_queries(count):
        assert client.get(url).status_code == 200


def test_section_page_queries_do_not_grow_with_the_guide(django_assert_num_queries, guide_seeded):
    # 1 guide, 2 its published sections (joined with their share card's
    # resource), 3 the sections' published resources, 4 those resources'
    # channels, 5 phrase pairs, 6 the share card resources' channels, 7 tips,
    # 8 the tips' published resources, 9 references (joined with their
    # organization and resource).
    client = Client()
    url = GUIDE + "encouraging-professional-help/"
    section_page_queries(django_assert_num_queries, client, url, 9)

    resources = list(Resource.objects.all()[:3])
    for section in Section.objects.all():
        TipFactory.create_batch(5, section=section, related_resources=resources)
    section_page_queries(django_assert_num_queries, client, url, 9)


@pytest.mark.parametrize("url", [GUIDE, GUIDE + "print/", GUIDE + "references/"])
def test_whole_guide_pages_use_a_constant_number_of_queries(
    django_assert_num_queries, guide_seeded, url
):
    client = Client()
    with django_assert_num_queries(9) as captured:
        client.get(url)
    TipFactory.create_batch(10, section=Section.objects.first())
    with django_assert_num_queries(len(captured)):
        client.get(url)
