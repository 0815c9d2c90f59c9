"""Feedback on guide sections: stored, private, rate-limited, refused from other sites."""

from __future__ import annotations

from django.test import Client

from guide.models import Feedback

SECTION = "/guide/compassionate-ally/listening-with-empathy/"
FEEDBACK = SECTION + "feedback/"
EMAIL = "reader.private@example.org"
# What a browser sends when it posts the form from the section page.
FROM_THE_SITE = {"HTTP_ORIGIN": "http://testserver", "HTTP_REFERER": "http://testserver" + SECTION}


def browser() -> Client:
    """A client that enforces Django's CSRF checks, as a real browser meets them."""
    return Client(enforce_csrf_checks=True)


def test_feedback_is_stored_and_the_reader_is_thanked(guide_seeded):
    client = browser()

    response = client.post(
        FEEDBACK,
        {"helpful": "no", "comment": "More examples, please.", "email": EMAIL},
        **FROM_THE_SITE,
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


def test_neither_showing_nor_posting_the_form_sets_a_cookie(guide_seeded):
    client = browser()
    page = client.get(SECTION)
    posted = client.post(FEEDBACK, {"helpful": "yes"}, **FROM_THE_SITE)
    thanks = client.get(posted["Location"])

    assert 'action="/guide/compassionate-ally/listening-with-empathy/feedback/"' in page.text
    assert "csrfmiddlewaretoken" not in page.text
    assert posted.status_code == 303
    assert not page.cookies and not posted.cookies and not thanks.cookies
    assert not client.cookies


def test_a_post_from_another_site_is_refused_and_nothing_is_stored(guide_seeded):
    client = browser()
    refused = [
        client.post(FEEDBACK, {"helpful": "yes"}, HTTP_ORIGIN="https://attacker.example"),
        # Sent by a page that hides where it is (e.g. Referrer-Policy: no-referrer).
        client.post(FEEDBACK, {"helpful": "yes"}, HTTP_ORIGIN="null"),
        # Same host, other scheme: another origin.
        client.post(FEEDBACK, {"helpful": "yes"}, HTTP_ORIGIN="https://testserver"),
        # Older browsers send only a Referer.
        client.post(
            FEEDBACK, {"helpful": "yes"}, HTTP_REFERER="https://attacker.example/page.html"
        ),
    ]

    assert [response.status_code for response in refused] == [403] * 4
    html = refused[0].text
    assert "We could not accept this form" in html and "Nothing was saved" in html
    assert 'href="tel:988"' in html and "data-quick-exit" in html  # crisis help, as everywhere
    assert not any(response.cookies for response in refused)
    assert not Feedback.objects.exists()


def test_a_post_without_origin_or_referer_is_accepted_as_curl_sends_it(guide_seeded):
    response = browser().post(FEEDBACK, {"helpful": "yes"})

    assert response.status_code == 303
    assert Feedback.objects.get().helpful is True


def test_refused_posts_do_not_use_up_the_rate_limit(guide_seeded, settings):
    settings.GUIDE_FEEDBACK_RATE = "1/h"
    client = browser()
    for _ in range(3):
        client.post(FEEDBACK, {"helpful": "yes"}, HTTP_ORIGIN="https://attacker.example")

    assert client.post(FEEDBACK, {"helpful": "yes"}, **FROM_THE_SITE).status_code == 303


def test_an_invalid_post_shows_the_errors_and_never_echoes_the_email(guide_seeded):
    response = browser().post(FEEDBACK, {"comment": "Hi", "email": EMAIL}, **FROM_THE_SITE)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose yes or no." in html
    assert EMAIL not in html
    assert ">\nHi</textarea>" in html
    assert not Feedback.objects.exists()


def test_an_invalid_email_is_refused_with_a_message(guide_seeded):
    response = browser().post(
        FEEDBACK, {"helpful": "yes", "email": "not-an-email"}, **FROM_THE_SITE
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert "not-an-email" not in response.content.decode()


def test_an_overlong_comment_is_refused(guide_seeded):
    response = browser().post(FEEDBACK, {"helpful": "yes", "comment": "x" * 2001}, **FROM_THE_SITE)
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
