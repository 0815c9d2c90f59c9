from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from directory.models import PublicationStatus
from guide.models import Guide, Section, review_cutoff
from tests.factories import ContactChannelFactory, ResourceFactory
from tests.guide.factories import GuideFactory, SectionFactory


@pytest.mark.parametrize(
    ("today", "cutoff"),
    [
        (datetime.date(2026, 11, 26), datetime.date(2025, 11, 26)),
        (datetime.date(2028, 2, 29), datetime.date(2027, 2, 28)),
    ],
)
def test_review_cutoff_is_twelve_months_back(today, cutoff):
    assert review_cutoff(today) == cutoff


def test_guides_never_reviewed_or_reviewed_over_a_year_ago_are_due(db):
    today = datetime.date(2026, 11, 26)
    never = GuideFactory(last_reviewed_on=None)
    old = GuideFactory(last_reviewed_on=datetime.date(2025, 11, 25))
    GuideFactory(last_reviewed_on=datetime.date(2025, 11, 26))
    GuideFactory(last_reviewed_on=datetime.date(2026, 6, 1))

    assert set(Guide.objects.due_for_review(today)) == {never, old}


def test_published_sections_need_a_published_guide_and_come_in_order(db):
    guide = GuideFactory()
    second = SectionFactory(guide=guide, position=2)
    first = SectionFactory(guide=guide, position=1)
    SectionFactory(guide=guide, position=3, status=PublicationStatus.DRAFT)
    SectionFactory(guide=GuideFactory(status=PublicationStatus.DRAFT))

    assert list(Section.objects.published()) == [first, second]


@pytest.mark.parametrize("slug", ["print", "references", "feedback"])
def test_a_section_cannot_take_the_slug_of_a_guide_page(db, slug):
    section = SectionFactory.build(guide=GuideFactory(), slug=slug)
    with pytest.raises(ValidationError) as error:
        section.full_clean()
    assert "slug" in error.value.message_dict


def test_a_share_message_must_open_with_a_neutral_line(db):
    section = SectionFactory.build(
        guide=GuideFactory(), share_message="Worried about your depression lately.\nCall me."
    )
    with pytest.raises(ValidationError) as error:
        section.full_clean()
    assert "depression" in error.value.message_dict["share_message"][0]


def test_a_neutral_first_line_may_be_followed_by_anything(db):
    section = SectionFactory.build(
        guide=GuideFactory(), share_message="Hi, thinking of you.\nThis crisis line is free."
    )
    section.full_clean()


def test_share_text_adds_the_contact_line_of_a_published_resource_only(db):
    resource = ResourceFactory(name="Example line", url="https://example.org")
    ContactChannelFactory(resource=resource, value="1-202-555-0101")
    section = SectionFactory(share_message="Hi there.", share_resource=resource)

    assert section.share_text == (
        "Hi there.\n\nExample line: call 1-202-555-0101 — https://example.org"
    )

    resource.status = PublicationStatus.DRAFT
    resource.save()
    section = Section.objects.get(pk=section.pk)
    assert section.share_text == "Hi there."


def test_tip_and_reference_urls_point_into_the_guide_pages(guide_seeded):
    section = guide_seeded.sections.get(slug="listening-with-empathy")
    tip = section.tips.get(slug="ask-open-ended-questions")
    reference = guide_seeded.references.first()

    assert tip.get_absolute_url() == (
        "/guide/compassionate-ally/listening-with-empathy/#ask-open-ended-questions"
    )
    assert reference.get_absolute_url() == (
        f"/guide/compassionate-ally/references/#ref-{reference.pk}"
    )


def test_publishing_a_guide_without_a_date_dates_it_today(db):
    guide = GuideFactory.build(status=PublicationStatus.PUBLISHED, published_on=None)
    with time_machine.travel(datetime.datetime(2026, 11, 26, 15, tzinfo=datetime.UTC)):
        guide.full_clean()
    assert guide.published_on == datetime.date(2026, 11, 26)
