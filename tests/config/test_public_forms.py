"""``public_form``: anonymous forms without a CSRF cookie, refused from other sites."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from config.public_forms import posted_from_another_site, public_form
from directory.models import Feedback
from guide.models import Feedback as GuideFeedback
from tests.factories import KindFactory, ResourceFactory
from tests.guide.factories import SectionFactory


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({}, False),
        ({"HTTP_ORIGIN": "http://testserver"}, False),
        ({"HTTP_REFERER": "http://testserver/suggest/"}, False),
        ({"HTTP_ORIGIN": "https://attacker.example"}, True),
        ({"HTTP_ORIGIN": "null"}, True),
        ({"HTTP_ORIGIN": "https://testserver"}, True),
        ({"HTTP_ORIGIN": "http://testserver:8080"}, True),
        ({"HTTP_ORIGIN": "http://testserver.attacker.example"}, True),
        # Origin decides when present, whatever Referer says.
        ({"HTTP_ORIGIN": "https://attacker.example", "HTTP_REFERER": "http://testserver/"}, True),
        ({"HTTP_REFERER": "https://attacker.example/form.html"}, True),
        ({"HTTP_REFERER": "not a url"}, True),
    ],
)
def test_posts_are_refused_when_the_browser_names_another_site(headers, refused):
    request = RequestFactory().post("/suggest/", **headers)
    assert posted_from_another_site(request) is refused


def test_trusted_origins_count_as_the_site_itself(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://allydirectory.org", "https://*.ally.example"]
    post = RequestFactory().post

    assert not posted_from_another_site(post("/", HTTP_ORIGIN="https://allydirectory.org"))
    assert not posted_from_another_site(post("/", HTTP_ORIGIN="https://www.ally.example"))
    assert not posted_from_another_site(post("/", HTTP_REFERER="https://allydirectory.org/x/"))
    assert posted_from_another_site(post("/", HTTP_ORIGIN="http://www.ally.example"))
    assert posted_from_another_site(post("/", HTTP_ORIGIN="https://ally.example.attacker.org"))


def test_a_public_form_acts_for_no_one_even_when_a_curator_is_signed_in(rf, curator):
    seen = []

    @public_form
    def view(request):
        seen.append(request.user.is_authenticated)
        return HttpResponse()

    request = rf.post("/", HTTP_ORIGIN="http://testserver")
    request.user = curator

    assert view(request).status_code == 200
    assert seen == [False]
    assert view.csrf_exempt is True


def test_reading_a_form_is_never_checked(rf):
    view = public_form(lambda request: HttpResponse())
    assert view(rf.get("/", HTTP_ORIGIN="https://attacker.example")).status_code == 200


def test_the_public_form_views_never_read_the_session(db):
    # A request that went through no middleware has no session: a view that
    # read it would fail here.
    resource = ResourceFactory()
    section = SectionFactory()
    posts = [
        (f"{section.get_absolute_url()}feedback/", {"helpful": "yes"}),
        (f"/resources/{resource.slug}/report/", {"problem": "closed", "message": "Gone."}),
        (
            "/suggest/",
            {
                "suggested_name": "Riverside Family Support Group",
                "suggested_kind": str(KindFactory().pk),
                "message": "A weekly group for families.",
            },
        ),
    ]
    for path, data in posts:
        request = RequestFactory().post(path, data, HTTP_ORIGIN="http://testserver")
        match = resolve(path)

        response = match.func(request, *match.args, **match.kwargs)

        assert response.status_code in (302, 303), (path, response.status_code)
        assert not hasattr(request, "session")
    assert GuideFeedback.objects.count() == 1
    assert Feedback.objects.count() == 2


def test_a_signed_in_curator_posting_a_public_form_gets_no_new_cookie(curator_client, db):
    resource = ResourceFactory()
    response = curator_client.post(
        f"/resources/{resource.slug}/report/",
        {"problem": "closed", "message": "Gone."},
        HTTP_ORIGIN="http://testserver",
    )

    assert response.status_code == 302
    assert not response.cookies
    assert Feedback.objects.get().resource == resource
