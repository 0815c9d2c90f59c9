from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from directory.models import (
    ContactChannel,
    PublicationStatus,
    Resource,
    Schedule,
    ServiceArea,
)
from tests.factories import (
    ContactChannelFactory,
    LocationFactory,
    OrganizationFactory,
    ResourceFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def test_published_excludes_drafts_and_archived_resources():
    live = ResourceFactory(status=PublicationStatus.PUBLISHED)
    ResourceFactory(status=PublicationStatus.DRAFT)
    ResourceFactory(status=PublicationStatus.ARCHIVED)
    assert list(Resource.objects.published()) == [live]


def test_needing_verification_covers_flagged_never_verified_and_stale(settings):
    settings.VERIFICATION_STALE_DAYS = 180
    today = timezone.localdate()
    flagged = ResourceFactory(needs_verification=True, last_verified_on=today)
    never = ResourceFactory(last_verified_on=None)
    stale = ResourceFactory(last_verified_on=today - datetime.timedelta(days=181))
    ResourceFactory(last_verified_on=today - datetime.timedelta(days=10))
    assert set(Resource.objects.needing_verification()) == {flagged, never, stale}
    assert stale.is_stale and never.is_stale


def test_slugs_are_unique():
    ResourceFactory(slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceFactory(slug="same")
    OrganizationFactory(slug="org")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(slug="org")


@pytest.mark.parametrize(
    ("field", "value"), [("status", "deleted"), ("urgency", "whenever"), ("cost", "cheap")]
)
def test_the_database_refuses_values_outside_the_choices(field, value):
    resource = ResourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.filter(pk=resource.pk).update(**{field: value})


def test_age_range_must_not_be_inverted():
    resource = ResourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.filter(pk=resource.pk).update(minimum_age=30, maximum_age=18)
    resource.minimum_age, resource.maximum_age = 30, 18
    with pytest.raises(ValidationError, match="maximum age"):
        resource.full_clean()


@pytest.mark.parametrize(("latitude", "longitude"), [(91, 0), (0, -181), (10, None)])
def test_coordinates_must_be_in_range_and_paired(latitude, longitude):
    with pytest.raises(IntegrityError), transaction.atomic():
        LocationFactory(latitude=latitude, longitude=longitude)


def test_a_kind_must_come_from_the_kind_taxonomy():
    resource = ResourceFactory()
    resource.kind = TopicFactory(code="grief")
    with pytest.raises(ValidationError, match="kind"):
        resource.full_clean()


def test_channel_numbers_are_stored_normalized_and_shown_formatted():
    channel = ContactChannelFactory(kind=ContactChannel.Kind.PHONE, value="(202) 555-0143")
    channel.refresh_from_db()
    assert channel.value == "12025550143"
    assert channel.display_value == "1-202-555-0143"
    assert channel.href == "tel:+12025550143"


def test_text_channel_link_prefills_the_keyword():
    channel = ContactChannelFactory(kind=ContactChannel.Kind.TEXT, value="741741", keyword="HOME")
    assert channel.href == "sms:741741?&body=HOME"


def test_a_short_code_cannot_be_a_phone_channel():
    with pytest.raises(ValidationError):
        ContactChannelFactory(kind=ContactChannel.Kind.PHONE, value="741741")


def test_chat_channels_need_a_web_address():
    channel = ContactChannel(resource=ResourceFactory(), kind="chat", value="not a url")
    with pytest.raises(ValidationError, match="URL"):
        channel.full_clean()


def test_state_and_zip_areas_need_their_details():
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceAreaFactory(scope=ServiceArea.Scope.STATE, state="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceAreaFactory(scope=ServiceArea.Scope.ZIP, state="CA", postal_code="9021")
    area = ServiceArea(resource=ResourceFactory(), scope="county", state="ca")
    with pytest.raises(ValidationError, match="county or city"):
        area.full_clean()


def test_time_zone_must_be_an_iana_name():
    resource = ResourceFactory()
    resource.time_zone = "Mars/Olympus"
    with pytest.raises(ValidationError, match="IANA"):
        resource.full_clean()


def test_for_listing_loads_what_a_card_shows_in_constant_queries(django_assert_num_queries):
    for _ in range(5):
        resource = ResourceFactory()
        ContactChannelFactory(resource=resource)
        ScheduleFactory(resource=resource)
    # 1 resources (+organization, kind) + languages, channels, schedules.
    with django_assert_num_queries(4):
        for resource in Resource.objects.for_listing():
            list(resource.channels.all())
            list(resource.schedules.all())
            list(resource.languages.all())
            assert resource.organization.name and resource.kind.name


def test_for_detail_loads_a_resource_page_in_constant_queries(django_assert_num_queries):
    for _ in range(3):
        resource = ResourceFactory(topics=[TopicFactory()])
        ServiceAreaFactory(resource=resource)
        LocationFactory(resource=resource)
    # The card's four, then topics, audiences, service areas and locations.
    with django_assert_num_queries(8):
        for resource in Resource.objects.for_detail():
            list(resource.channels.all())
            list(resource.topics.all())
            list(resource.audiences.all())
            list(resource.service_areas.all())
            list(resource.locations.all())


def test_day_names_follow_the_active_language():
    assert Schedule.day_name(0) == "Monday"
    with translation.override("es"):
        assert Schedule.day_name(0) == "lunes"
    assert Schedule.day_name(6) == "Sunday"
