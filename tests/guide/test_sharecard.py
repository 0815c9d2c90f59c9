from __future__ import annotations

from urllib.parse import unquote

import pytest

from directory.models import ContactChannel
from guide import sharecard
from tests.factories import ContactChannelFactory, ResourceFactory


@pytest.mark.parametrize(
    "line",
    [
        "Thinking about your mental health",
        "Call the 988 lifeline",
        "Are you feeling suicidal?",
        "How is therapy going?",
        "Your depression seems worse",
        "I found a crisis line",
        "NAMI has a program",
    ],
)
def test_sensitive_words_are_found_in_any_case(line):
    assert sharecard.sensitive_words(line)


@pytest.mark.parametrize(
    "line",
    [
        "Hey, are you free for a coffee this week?",
        "Just thinking of you today.",
        "Hi! Hope your week is okay.",
    ],
)
def test_everyday_greetings_pass(line):
    assert sharecard.sensitive_words(line) == []


def test_first_line_skips_leading_blank_lines():
    assert sharecard.first_line("\n\n  Hello there.  \nSecond") == "Hello there."


def test_every_seeded_share_card_opens_without_mental_health_words(guide_seeded):
    sections = list(guide_seeded.sections.all())
    assert len(sections) == 6
    for section in sections:
        text = section.share_text
        assert text, f"{section.slug} has no share card"
        assert sharecard.sensitive_words(sharecard.first_line(text)) == [], section.slug
        # The resource's contact line comes after the neutral opening.
        assert section.share_resource.name in text.split("\n", 1)[1]


def test_contact_line_uses_the_stored_channels(db):
    resource = ResourceFactory(name="Example line", url="https://example.org")
    ContactChannelFactory(resource=resource, value="1-202-555-0101", position=0)
    ContactChannelFactory(
        resource=resource,
        kind=ContactChannel.Kind.TEXT,
        value="741741",
        keyword="HOME",
        position=1,
    )

    assert sharecard.contact_line(resource) == (
        "Example line: call 1-202-555-0101 or text “HOME” to 741741 — https://example.org"
    )


def test_without_a_message_there_is_no_card(db):
    assert sharecard.compose("  ", ResourceFactory()) == ""


def test_sms_and_email_links_carry_the_whole_message_and_a_neutral_subject():
    text = "Hi, coffee soon?\n\nExample line: call 988"
    sms = sharecard.sms_href(text)
    mailto = sharecard.mailto_href(text)

    assert sms.startswith("sms:?&body=")
    assert unquote(sms.removeprefix("sms:?&body=")) == text
    subject, body = mailto.removeprefix("mailto:?subject=").split("&body=")
    assert unquote(subject) == "Hi, coffee soon?"
    assert unquote(body) == text
