from __future__ import annotations

import pytest
from django.test import Client

from directory.models import PublicationStatus, Resource
from guide.models import Section
from tests.factories import ResourceFactory
from tests.guide.factories import (
    FeedbackFactory,
    GuideFactory,
    ReferenceFactory,
    SectionFactory,
    TipFactory,
)

LIST = "/api/v1/guides/"
DETAIL = "/api/v1/guides/compassionate-ally/"


def test_the_guide_comes_with_nested_sections_tips_and_references(client, guide_seeded):
    data = client.get(DETAIL).json()

    assert data["api_url"] == "http://testserver" + DETAIL
    assert data["html_url"] == "http://testserver/guide/compassionate-ally/"
    assert [s["slug"] for s in data["sections"]] == list(
        guide_seeded.sections.values_list("slug", flat=True)
    )
    assert sum(len(s["tips"]) for s in data["sections"]) == 21
    assert len(data["references"]) == 5
    assert "<p>" in data["introduction_html"]

    section = next(s for s in data["sections"] if s["slug"] == "encouraging-professional-help")
    helpline = Resource.objects.get(slug="samhsa-national-helpline")
    assert {
        "id": str(helpline.pk),
        "name": helpline.name,
        "slug": helpline.slug,
        "html_url": "http://testserver/resources/samhsa-national-helpline/",
    } in section["related_resources"]
    tip = next(t for t in section["tips"] if t["slug"] == "offer-assistance")
    assert tip["html_url"].endswith("/encouraging-professional-help/#offer-assistance")
    assert {r["slug"] for r in tip["related_resources"]} >= {"findtreatment-gov"}
    assert section["phrase_pairs"][0].keys() == {"could_say", "avoid_saying", "why"}
    assert section["share_card"]["text"].startswith("Hi, hope your week is going okay.")
    assert section["share_card"]["resource"]["slug"] == "samhsa-national-helpline"
    assert section["share_card"]["sms_href"].startswith("sms:?&body=Hi%2C")

    reference = data["references"][0]
    assert reference["url"].startswith("https://www.nami.org/")
    assert reference["resource"]["slug"] == "nami-supporting-a-friend"
    assert reference["organization"]["slug"] == "nami"


def test_the_list_holds_only_published_guides_and_sections(client, db):
    published = GuideFactory(title="Published")
    SectionFactory(guide=published, status=PublicationStatus.DRAFT, title="Draft section")
    GuideFactory(title="Draft", status=PublicationStatus.DRAFT)

    data = client.get(LIST).json()

    assert [g["title"] for g in data] == ["Published"]
    assert data[0]["sections"] == []
    assert client.get("/api/v1/guides/" + published.slug + "/").status_code == 200


def test_a_draft_guide_is_not_found(client, db):
    draft = GuideFactory(status=PublicationStatus.DRAFT)
    assert client.get(f"/api/v1/guides/{draft.slug}/").status_code == 404


def test_unpublished_resources_are_left_out_everywhere(client, db):
    hidden = ResourceFactory(status=PublicationStatus.DRAFT)
    section = SectionFactory(
        related_resources=[hidden], share_message="Hi.", share_resource=hidden
    )
    TipFactory(section=section, related_resources=[hidden])
    ReferenceFactory(guide=section.guide, resource=hidden)

    data = client.get(f"/api/v1/guides/{section.guide.slug}/").json()

    assert str(hidden.pk) not in str(data)
    assert data["references"][0]["resource"] is None
    assert data["sections"][0]["share_card"]["resource"] is None


def test_a_section_without_a_share_message_has_no_share_card(client, db):
    section = SectionFactory(share_message="", share_resource=ResourceFactory())

    data = client.get(f"/api/v1/guides/{section.guide.slug}/").json()

    assert data["sections"][0]["share_card"] is None


def test_feedback_never_appears_in_the_api(client, db):
    section = SectionFactory()
    FeedbackFactory(section=section, comment="Private comment", email="someone@example.org")

    body = client.get(LIST).content.decode()

    assert "someone@example.org" not in body
    assert "Private comment" not in body
    assert "feedback" not in body


def test_the_api_is_read_only(client, guide_seeded):
    assert client.post(LIST, {"title": "x"}).status_code == 405
    assert client.delete(DETAIL).status_code == 405


@pytest.mark.parametrize("url", [LIST, DETAIL])
def test_query_count_does_not_grow_with_the_guide(django_assert_num_queries, guide_seeded, url):
    # 1 guides, 2 their published sections (joined with the share card's
    # resource), 3 the sections' published resources, 4 those resources'
    # channels, 5 phrase pairs, 6 the share card resources' channels, 7 tips,
    # 8 the tips' published resources, 9 references (joined with their
    # organization and resource).
    client = Client()
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200

    guide = guide_seeded
    resources = list(Resource.objects.all()[:4])
    for position in range(6, 12):
        section = SectionFactory(guide=guide, position=position, related_resources=resources)
        TipFactory.create_batch(5, section=section, related_resources=resources)
    ReferenceFactory.create_batch(5, guide=guide, resource=resources[0])
    GuideFactory.create_batch(3)

    with django_assert_num_queries(9):
        response = client.get(url)
    if url == DETAIL:
        assert len(response.json()["sections"]) == Section.objects.filter(guide=guide).count()
