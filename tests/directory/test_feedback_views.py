"""The public "Suggest a resource" and "Report a problem" forms."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from directory.models import Feedback, PublicationStatus
from tests.factories import KindFactory, ResourceFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The rate limit counts in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def kind(db):
    return KindFactory()


def suggestion(kind, **overrides) -> dict:
    return {
        "suggested_name": "Riverside Family Support Group",
        "suggested_organization": "Riverside Community Center",
        "suggested_kind": str(kind.pk),
        "suggested_url": "https://example.org/family-group",
        "suggested_phone": "1-202-555-0147",
        "message": "A weekly group for families of people with mental illness.",
        "contact_email": "reporter@example.com",
        **overrides,
    }


def test_the_suggest_page_has_labelled_fields_a_hidden_honeypot_and_no_inline_script(db):
    page = Client().get("/suggest/").content.decode()
    assert '<label for="id_suggested_name">' in page
    assert "csrfmiddlewaretoken" not in page  # no CSRF cookie: see config/public_forms.py
    assert '<div hidden aria-hidden="true">' in page and 'name="homepage"' in page
    # Scripts only from files (the site's CSP forbids inline ones), no inline styles.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "style=" not in page
    assert "988" in page  # crisis help is on every page, forms included


def test_a_suggestion_is_stored_privately_and_thanks_the_sender(kind):
    response = Client().post("/suggest/", suggestion(kind))
    assert response.status_code == 302 and response.url == "/feedback/thanks/"
    stored = Feedback.objects.get()
    assert stored.kind == Feedback.Kind.SUGGESTION
    assert stored.status == Feedback.Status.OPEN
    assert stored.contact_email == "reporter@example.com"
    assert stored.suggested_kind == kind


def test_invalid_answers_are_explained_next_to_each_field_and_nothing_is_stored(kind):
    response = Client().post(
        "/suggest/", suggestion(kind, suggested_name="", suggested_phone="12", contact_email="x")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and "There are problems with 3 answers" in page
    assert 'href="#id_suggested_name"' in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_suggested_phone_helptext id_suggested_phone_error"' in page
    assert not Feedback.objects.exists()


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(kind):
    response = Client().post("/suggest/", suggestion(kind, homepage="http://spam.example"))
    assert response.status_code == 302
    assert not Feedback.objects.exists()


def test_the_forms_set_no_cookie_when_shown_or_posted(kind):
    resource = ResourceFactory()
    report = f"/resources/{resource.slug}/report/"
    # Enforcing Django's CSRF checks, as a browser meets them, with the
    # headers a browser sends when posting from the form's own page.
    client = Client(enforce_csrf_checks=True)
    responses = [
        client.get("/suggest/"),
        client.post("/suggest/", suggestion(kind), HTTP_ORIGIN="http://testserver"),
        client.get(report),
        client.post(report, {"problem": "closed"}, HTTP_ORIGIN="http://testserver"),
        client.get("/feedback/thanks/"),
    ]

    assert [r.status_code for r in responses] == [200, 302, 200, 302, 200]
    assert not any(response.cookies for response in responses)
    assert Feedback.objects.count() == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://attacker.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_REFERER": "https://attacker.example/form.html"},
    ],
)
def test_a_post_from_another_site_is_refused_and_nothing_is_stored(kind, headers):
    resource = ResourceFactory()
    client = Client(enforce_csrf_checks=True)
    responses = [
        client.post("/suggest/", suggestion(kind), **headers),
        client.post(f"/resources/{resource.slug}/report/", {"problem": "closed"}, **headers),
    ]

    for response in responses:
        assert response.status_code == 403
        assert "We could not accept this form" in response.text
        assert 'href="tel:988"' in response.text  # crisis help, as on every page
        assert not response.cookies
    assert not Feedback.objects.exists()


def test_a_post_without_origin_or_referer_is_accepted_as_curl_sends_it(kind):
    response = Client(enforce_csrf_checks=True).post("/suggest/", suggestion(kind))
    assert response.status_code == 302
    assert Feedback.objects.count() == 1


def test_submissions_are_rate_limited_per_client_ip(kind, settings):
    settings.FEEDBACK_RATE_LIMIT = "2/h"
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert client.post("/suggest/", suggestion(kind)).status_code == 302
    assert client.post("/suggest/", suggestion(kind)).status_code == 302
    limited = client.post("/suggest/", suggestion(kind, message="Third message."))
    assert limited.status_code == 429
    # The person's text is kept in the form so it is not lost.
    assert "Third message." in limited.content.decode()
    assert Feedback.objects.count() == 2
    other = Client(REMOTE_ADDR="203.0.113.6")
    assert other.post("/suggest/", suggestion(kind)).status_code == 302
    assert Feedback.objects.count() == 3


def test_the_rate_limit_uses_the_trusted_proxy_address(kind, settings):
    settings.FEEDBACK_RATE_LIMIT = "1/h"
    settings.NUM_PROXIES = 1
    client = Client(REMOTE_ADDR="10.0.0.1")
    first = client.post("/suggest/", suggestion(kind), HTTP_X_FORWARDED_FOR="203.0.113.7")
    second = client.post("/suggest/", suggestion(kind), HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert (first.status_code, second.status_code) == (302, 302)


def test_a_problem_report_is_stored_against_its_listing(db):
    resource = ResourceFactory()
    url = f"/resources/{resource.slug}/report/"
    page = Client().get(url).content.decode()
    assert 'type="radio" name="problem"' in page and "<fieldset" in page
    response = Client().post(url, {"problem": "wrong_number", "message": "It rings out."})
    assert response.status_code == 302
    report = Feedback.objects.get()
    assert (report.kind, report.resource, report.problem) == ("problem", resource, "wrong_number")


def test_other_problems_need_a_description(db):
    resource = ResourceFactory()
    response = Client().post(f"/resources/{resource.slug}/report/", {"problem": "other"})
    assert response.status_code == 400
    assert "Tell us what is wrong." in response.content.decode()
    assert not Feedback.objects.exists()


def test_only_published_listings_take_reports(db):
    draft = ResourceFactory(status=PublicationStatus.DRAFT)
    assert Client().get(f"/resources/{draft.slug}/report/").status_code == 404


def test_the_listing_page_links_to_its_report_form(db):
    resource = ResourceFactory()
    page = Client().get(resource.get_absolute_url()).content.decode()
    assert f'href="/resources/{resource.slug}/report/"' in page


def test_curators_are_notified_without_the_private_email(kind, settings, mailoutbox):
    settings.MANAGERS = [("", "curators@example.org")]
    Client().post("/suggest/", suggestion(kind))
    assert len(mailoutbox) == 1
    assert "Riverside Family Support Group" in mailoutbox[0].subject
    assert "reporter@example.com" not in mailoutbox[0].body


def test_a_failing_notification_still_stores_and_thanks(kind):
    with mock.patch("directory.views.mail_managers", side_effect=ConnectionRefusedError):
        response = Client().post("/suggest/", suggestion(kind))
    assert response.status_code == 302
    assert Feedback.objects.count() == 1


def test_a_report_is_kept_even_when_the_rest_of_the_request_fails(db):
    resource = ResourceFactory()
    client = Client(raise_request_exception=False)
    with mock.patch("directory.views.redirect", side_effect=RuntimeError("later failure")):
        response = client.post(
            f"/resources/{resource.slug}/report/", {"problem": "closed", "message": "Gone."}
        )
    assert response.status_code == 500
    assert Feedback.objects.get().message == "Gone."


def test_the_contact_email_is_never_shown_publicly(db):
    resource = ResourceFactory()
    Client().post(
        f"/resources/{resource.slug}/report/",
        {"problem": "wrong_hours", "contact_email": "private@example.com"},
    )
    assert Feedback.objects.get().contact_email == "private@example.com"
    for url in (resource.get_absolute_url(), "/", "/feedback/thanks/"):
        assert "private@example.com" not in Client().get(url).content.decode()
