"""Feedback on guide sections: stored, private, rate-limited, CSRF-protected."""

from __future__ import annotations

import re

from django.test import Client

from guide.models import Feedback

SECTION = "/guide/compassionate-ally/listening-with-empathy/"
FEEDBACK = SECTION + "feedback/"
EMAIL = "reader.private@example.org"


def csrf_client() -> tuple[Client, str]:
    """A client that enforces CSRF, with the token a visitor gets from the page."""
    client = Client(enforce_csrf_checks=True)
    html = client.get(SECTION).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return client, token


def test_feedback_is_stored_and_the_reader_is_thanked(guide_seeded):
    client, token = csrf_client()

    response = client.post(
        FEEDBACK,
        {
            "csrfmiddlewaretoken": token,
            "helpful": "no",
            "comment": "More examples, please.",
            "email": EMAIL,
        },
    )

    assert response.status_code == 303
    assert response["Location"] == SECTION + "?feedback=thanks#section-feedback"
    feedback = Feedback.objects.get()
    assert feedback.section.slug == "listening-with-empathy"
    assert feedback.helpful is False
    assert feedback.comment == "More examples, please."
    assert feedback.email == EMAIL
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you for your feedback" in thanks
    assert EMAIL not in thanks


def test_posting_sets_no_cookie(guide_seeded):
    client, token = csrf_client()
    response = client.post(FEEDBACK, {"csrfmiddlewaretoken": token, "helpful": "yes"})

    assert response.status_code == 303
    assert not response.cookies


def test_a_visitor_gets_no_cookie_but_the_csrf_one(guide_seeded):
    response = Client().get(SECTION)
    assert set(response.cookies) == {"csrftoken"}


def test_posting_without_the_csrf_token_is_refused(guide_seeded):
    response = Client(enforce_csrf_checks=True).post(FEEDBACK, {"helpful": "yes"})
    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_an_invalid_post_shows_the_errors_and_never_echoes_the_email(guide_seeded):
    client, token = csrf_client()

    response = client.post(
        FEEDBACK, {"csrfmiddlewaretoken": token, "comment": "Hi", "email": EMAIL}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose yes or no." in html
    assert EMAIL not in html
    assert ">\nHi</textarea>" in html
    assert not Feedback.objects.exists()


def test_an_invalid_email_is_refused_with_a_message(guide_seeded):
    client, token = csrf_client()
    response = client.post(
        FEEDBACK, {"csrfmiddlewaretoken": token, "helpful": "yes", "email": "not-an-email"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert "not-an-email" not in response.content.decode()


def test_an_overlong_comment_is_refused(guide_seeded):
    client, token = csrf_client()
    response = client.post(
        FEEDBACK, {"csrfmiddlewaretoken": token, "helpful": "yes", "comment": "x" * 2001}
    )
    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_feedback_is_rate_limited_per_client_address(guide_seeded, settings):
    settings.GUIDE_FEEDBACK_RATE = "2/h"
    client = Client()
    for _ in range(2):
        assert client.post(FEEDBACK, {"helpful": "yes"}).status_code == 303

    limited = client.post(FEEDBACK, {"helpful": "yes"})
    other_address = client.post(FEEDBACK, {"helpful": "yes"}, REMOTE_ADDR="198.51.100.7")

    assert limited.status_code == 429
    assert "Please try again later" in limited.content.decode()
    assert other_address.status_code == 303
    assert Feedback.objects.count() == 3


def test_the_rate_limit_counts_the_address_seen_by_the_trusted_proxy(guide_seeded, settings):
    settings.GUIDE_FEEDBACK_RATE = "1/h"
    settings.NUM_PROXIES = 1
    client = Client()

    first = client.post(FEEDBACK, {"helpful": "yes"}, HTTP_X_FORWARDED_FOR="203.0.113.5")
    spoofed = client.post(
        FEEDBACK, {"helpful": "yes"}, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5"
    )

    assert first.status_code == 303
    assert spoofed.status_code == 429


def test_feedback_is_only_posted(guide_seeded):
    assert Client().get(FEEDBACK).status_code == 405


def test_feedback_on_an_unknown_or_draft_section_is_not_found(guide_seeded):
    client = Client()
    guide_seeded.sections.filter(slug="educating-yourself").update(status="draft")

    unknown = client.post("/guide/compassionate-ally/no-such/feedback/", {"helpful": "yes"})
    draft = client.post(
        "/guide/compassionate-ally/educating-yourself/feedback/", {"helpful": "yes"}
    )

    assert unknown.status_code == draft.status_code == 404
    assert not Feedback.objects.exists()


def test_the_email_never_appears_on_any_page_or_in_the_api(guide_seeded):
    client = Client()
    client.post(FEEDBACK, {"helpful": "yes", "comment": "Kind words.", "email": EMAIL})
    assert Feedback.objects.filter(email=EMAIL).exists()

    urls = [
        SECTION,
        SECTION + "?feedback=thanks",
        "/guide/",
        "/guide/compassionate-ally/",
        "/guide/compassionate-ally/print/",
        "/guide/compassionate-ally/references/",
        "/api/v1/guides/",
        "/api/v1/guides/compassionate-ally/",
        "/resources/nimh-5-action-steps/",
    ]
    for url in urls:
        body = client.get(url).content.decode()
        assert EMAIL not in body, url
        assert "Kind words." not in body, url
