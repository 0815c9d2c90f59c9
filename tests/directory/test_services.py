"""Review and publish, verification, history and revert, feedback moderation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from directory import services
from directory.models import (
    AuditEvent,
    ContactChannel,
    Feedback,
    LinkCheck,
    Organization,
    PublicationStatus,
    Resource,
    ReviewState,
    Urgency,
)
from tests.factories import (
    ContactChannelFactory,
    LinkCheckFactory,
    ProblemReportFactory,
    ResourceFactory,
    ScheduleFactory,
    SuggestionFactory,
    TopicFactory,
)


@pytest.fixture
def live(db):
    resource = ResourceFactory(
        name="Warmline", summary="Talk to a peer.", topics=[TopicFactory(code="anxiety")]
    )
    ContactChannelFactory(resource=resource, value="1-202-555-0100")
    ScheduleFactory(resource=resource)
    return resource


# --- Review and publish -------------------------------------------------------


def test_a_draft_change_copies_the_listing_and_leaves_it_live(live, curator_member):
    draft = services.resource_change_start(resource=live, user=curator_member)

    assert draft.pk != live.pk and draft.draft_of == live
    assert draft.status == PublicationStatus.DRAFT
    assert draft.channels.get().value == "12025550100"
    assert list(draft.topics.all()) == list(live.topics.all())
    assert draft.schedules.count() == 1
    assert services.resource_diff(draft=draft) == []
    # Asking again returns the same open draft rather than a second one.
    assert services.resource_change_start(resource=live, user=curator_member) == draft
    assert list(Resource.objects.published()) == [live]
    assert list(Resource.objects.live()) == [live]


def test_editing_a_draft_change_does_not_alter_the_live_listing(live, curator_member, client):
    draft = services.resource_change_start(resource=live, user=curator_member)
    draft.summary = "A changed summary."
    draft.save()
    draft.channels.update(value="12025550199")

    live.refresh_from_db()
    assert live.summary == "Talk to a peer."
    assert live.channels.get().value == "12025550100"
    page = client.get(live.get_absolute_url()).content.decode()
    assert "Talk to a peer." in page and "A changed summary." not in page
    assert client.get(f"/resources/{draft.slug}/").status_code == 404


def test_the_diff_shows_each_changed_field_old_and_new(live, curator_member):
    draft = services.resource_change_start(resource=live, user=curator_member)
    draft.summary = "A changed summary."
    draft.urgency = Urgency.CRISIS
    draft.save()
    draft.topics.clear()
    draft.channels.update(value="12025550199")

    changes = {c.label: (c.old, c.new) for c in services.resource_diff(draft=draft)}
    assert changes["summary"] == ("Talk to a peer.", "A changed summary.")
    assert changes["urgency"] == ("Support soon", "Crisis now")
    assert changes["topics"][1] == "—"
    assert "1-202-555-0199" in changes["contact channels"][1]
    assert set(changes) == {"summary", "urgency", "topics", "contact channels"}


def test_publishing_a_change_applies_it_and_records_who_and_what(
    live, curator_member, editor_member
):
    draft = services.resource_change_start(resource=live, user=curator_member)
    draft.summary = "A changed summary."
    draft.save()
    draft.topics.set([TopicFactory(code="grief")])
    draft.channels.update(value="12025550199")
    services.resource_submit(draft=draft, user=curator_member)

    result = services.resource_publish(draft=draft, user=editor_member)

    live.refresh_from_db()
    assert result == live
    assert live.summary == "A changed summary."
    assert [t.code for t in live.topics.all()] == ["grief"]
    assert live.channels.get().value == "12025550199"
    assert live.status == PublicationStatus.PUBLISHED
    assert not Resource.objects.filter(pk=draft.pk).exists()
    entry = live.history.first()
    assert entry.history_user == editor_member
    assert entry.history_change_reason == "Published a reviewed change"
    event = AuditEvent.objects.get(action=AuditEvent.Action.PUBLISHED)
    assert event.actor == editor_member and event.resource == live
    assert ["summary", "Talk to a peer.", "A changed summary."] in event.detail["changes"]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SUBMITTED, actor=curator_member
    ).exists()


def test_publishing_a_new_draft_makes_it_public(db, editor_member):
    draft = ResourceFactory(status=PublicationStatus.DRAFT, review_state=ReviewState.SUBMITTED)
    services.resource_publish(draft=draft, user=editor_member)
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.PUBLISHED
    assert draft.review_state == ReviewState.EDITING
    with pytest.raises(services.CurationError):
        services.resource_publish(draft=draft, user=editor_member)


def test_returning_a_draft_needs_a_comment_and_keeps_it(live, curator_member, editor_member):
    draft = services.resource_change_start(resource=live, user=curator_member)
    with pytest.raises(services.CurationError, match="Say what needs to change"):
        services.resource_return(draft=draft, user=editor_member, comment="  ")
    services.resource_return(draft=draft, user=editor_member, comment="Check the hours first.")
    draft.refresh_from_db()
    assert draft.review_state == ReviewState.RETURNED
    assert draft.review_comment == "Check the hours first."
    assert AuditEvent.objects.get(action=AuditEvent.Action.RETURNED).resource == live


def test_archiving_is_recorded(live, editor_member):
    services.resource_archive(resource=live, user=editor_member)
    assert not Resource.objects.published().exists()
    assert AuditEvent.objects.get(action=AuditEvent.Action.ARCHIVED).actor == editor_member


# --- Verification -------------------------------------------------------------


def test_verified_today_records_who_and_how(live, curator_member):
    live.needs_verification = True
    live.save()
    services.resource_verify(
        resource=live, user=curator_member, method="called", note="Spoke to the line's staff."
    )
    live.refresh_from_db()
    assert live.last_verified_on == timezone.localdate()
    assert live.last_verified_by == curator_member
    assert live.last_verified_how == "called"
    assert live.verification_source == "Spoke to the line's staff."
    assert live.needs_verification is False
    assert live.history.first().history_change_reason == "Verified: called the service"
    with pytest.raises(services.CurationError):
        services.resource_verify(resource=live, user=curator_member, method="guessed")


def test_the_verification_queue_holds_what_is_due_most_urgent_first(db, settings):
    settings.VERIFICATION_STALE_DAYS = 180
    settings.VERIFICATION_CRISIS_DAYS = 90
    today = timezone.localdate()
    ago = lambda days: today - timedelta(days=days)  # noqa: E731
    crisis_due = ResourceFactory(
        name="Crisis due", urgency=Urgency.CRISIS, last_verified_on=ago(100)
    )
    ResourceFactory(name="Crisis fresh", urgency=Urgency.CRISIS, last_verified_on=ago(80))
    support_due = ResourceFactory(name="Support due", last_verified_on=ago(200), view_count=5)
    support_popular = ResourceFactory(
        name="Support popular", last_verified_on=ago(200), view_count=50
    )
    ResourceFactory(name="Support fresh", last_verified_on=ago(100))
    never = ResourceFactory(name="Never verified", urgency=Urgency.LEARN)
    flagged = ResourceFactory(name="Flagged", last_verified_on=ago(1), needs_verification=True)
    reported = ResourceFactory(name="Reported", last_verified_on=ago(1))
    ProblemReportFactory(resource=reported)
    broken = ResourceFactory(
        name="Broken link", last_verified_on=ago(1), url="https://example.org/gone"
    )
    LinkCheckFactory(
        url="https://example.org/gone", result=LinkCheck.Result.BROKEN, status_code=404
    )
    ResourceFactory(name="Draft due", status=PublicationStatus.DRAFT)
    ResourceFactory(name="Archived due", status=PublicationStatus.ARCHIVED)

    queue = list(Resource.objects.verification_queue())

    # Flagged, then reported, then by urgency; within one urgency the most
    # overdue first and, among equals, the most viewed.
    assert [r.name for r in queue] == [
        r.name
        for r in (flagged, reported, crisis_due, support_popular, support_due, broken, never)
    ]


def test_resources_with_broken_or_moved_links_are_found(db):
    own = ResourceFactory(url="https://example.org/own")
    via_org = ResourceFactory(organization__website="https://example.org/org")
    via_chat = ResourceFactory()
    ContactChannelFactory(resource=via_chat, kind="chat", value="https://example.org/chat")
    fine = ResourceFactory(url="https://example.org/fine")
    LinkCheckFactory(url="https://example.org/own", result=LinkCheck.Result.BROKEN)
    LinkCheckFactory(url="https://example.org/org", result=LinkCheck.Result.MOVED)
    LinkCheckFactory(url="https://example.org/chat", result=LinkCheck.Result.BROKEN)
    LinkCheckFactory(url="https://example.org/fine", result=LinkCheck.Result.REDIRECTED)

    assert set(Resource.objects.with_link_problems()) == {own, via_org, via_chat}
    assert fine.link_checks()[0].result == LinkCheck.Result.REDIRECTED


# --- History and revert -------------------------------------------------------


def test_every_change_to_listings_organizations_channels_and_hours_is_recorded(
    live, editor_member
):
    for obj in (live, live.organization, live.channels.get(), live.schedules.get()):
        before = obj.history.count()
        obj._history_user = editor_member
        obj.save()
        assert obj.history.count() == before + 1
        assert obj.history.first().history_user == editor_member


def test_a_revert_restores_fields_and_topics_and_is_itself_recorded(live, editor_member):
    original = live.history.first()
    live.summary = "Edited."
    live.save()
    live.topics.clear()

    services.history_revert(record=original, user=editor_member)

    live.refresh_from_db()
    assert live.summary == "Talk to a peer."
    assert [t.code for t in live.topics.all()] == ["anxiety"]
    latest = live.history.first()
    assert latest.history_user == editor_member
    assert latest.history_change_reason.startswith("Reverted to the version of")
    assert AuditEvent.objects.get(action=AuditEvent.Action.REVERTED).resource == live


def test_a_channel_can_be_reverted(live, editor_member):
    channel = live.channels.get()
    first = channel.history.first()
    channel.value = "1-202-555-0142"
    channel.save()
    services.history_revert(record=first, user=editor_member)
    channel.refresh_from_db()
    assert channel.value == "12025550100"


# --- Feedback -----------------------------------------------------------------


def test_accepting_a_problem_report_opens_a_draft_change_with_the_report(live, curator_member):
    report = ProblemReportFactory(resource=live, message="The number rings out.")
    draft = services.feedback_accept(feedback=report, user=curator_member)

    assert draft.draft_of == live
    assert "The number rings out." in draft.internal_notes
    report.refresh_from_db()
    assert report.status == Feedback.Status.ACCEPTED
    assert report.draft == draft and report.handled_by == curator_member
    with pytest.raises(services.CurationError, match="already handled"):
        services.feedback_accept(feedback=report, user=curator_member)


def test_accepting_a_suggestion_creates_a_flagged_draft_with_its_number(db, curator_member):
    suggestion = SuggestionFactory(
        suggested_name="Friendly Line", suggested_phone="1-202-555-0123"
    )
    draft = services.feedback_accept(feedback=suggestion, user=curator_member)

    assert draft.status == PublicationStatus.DRAFT and draft.draft_of is None
    assert draft.name == "Friendly Line" and draft.needs_verification
    assert draft.organization.name == "Example Community Services"
    assert draft.channels.get().value == "12025550123"
    assert draft.url == "https://example.org/help"
    assert not Resource.objects.published().exists()
    # A second suggestion from the same organization reuses it.
    other = SuggestionFactory(suggested_name="Other Line")
    services.feedback_accept(feedback=other, user=curator_member)
    assert Organization.objects.count() == 1


def test_a_suggested_number_that_does_not_parse_stays_in_the_notes(db, curator_member):
    suggestion = SuggestionFactory(suggested_phone="1-000-000-0000")
    draft = services.feedback_accept(feedback=suggestion, user=curator_member)
    assert not ContactChannel.objects.filter(resource=draft).exists()
    assert "1-000-000-0000" in draft.internal_notes


def test_rejecting_needs_a_reason_and_spam_is_recorded(db, curator_member):
    report = ProblemReportFactory()
    with pytest.raises(services.CurationError):
        services.feedback_reject(feedback=report, user=curator_member, reason="")
    services.feedback_reject(feedback=report, user=curator_member, reason="The hours are right.")
    report.refresh_from_db()
    assert report.status == Feedback.Status.REJECTED
    assert report.status_reason == "The hours are right."

    spam = ProblemReportFactory()
    services.feedback_mark_spam(feedback=spam, user=curator_member)
    spam.refresh_from_db()
    assert spam.status == Feedback.Status.SPAM
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FEEDBACK_SPAM).count() == 1


def test_each_public_page_view_counts_towards_the_queue_order(live, client):
    client.get(live.get_absolute_url())
    client.get(live.get_absolute_url())
    live.refresh_from_db()
    assert live.view_count == 2
