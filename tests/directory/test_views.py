"""The public pages: content, privacy headers, and constant query counts."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from directory.models import ChannelKind, PublicationStatus, Urgency
from guide.models import Section
from guide.seed import load_guide_seed
from tests.directory.pages import parse
from tests.factories import (
    AudienceFactory,
    ContactChannelFactory,
    LanguageFactory,
    LocationFactory,
    OrganizationFactory,
    ResourceFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    TopicFactory,
)

PUBLIC_PAGES = [
    "/",
    "/search/?q=help",
    "/search/?urgency=crisis&kind=crisis-line",
    "/browse/",
    "/topics/depression/",
    "/for/family-friends/",
    "/resources/988-suicide-crisis-lifeline/",
    "/resources/nami-helpline/",
    "/organizations/nami/",
    "/about/",
    "/privacy/",
    "/accessibility/",
]


def full_resource(**kwargs):
    """A published resource with every relation a page shows filled in."""
    resource = ResourceFactory(
        topics=[TopicFactory(code="depression")],
        audiences=[AudienceFactory(code="youth")],
        languages=[LanguageFactory()],
        **kwargs,
    )
    ContactChannelFactory(resource=resource)
    ContactChannelFactory(resource=resource, kind=ChannelKind.TEXT, value="741741", keyword="HI")
    ScheduleFactory(resource=resource)
    ServiceAreaFactory(resource=resource)
    LocationFactory(resource=resource)
    return resource


# --- On every page -----------------------------------------------------------


# Each test walks every page, so the seed loads once per test, not once per page.


def check_crisis_help_and_controls(response):
    assert response.status_code == 200
    page = parse(response)
    hrefs = [link.get("href") for link in page.links]
    assert hrefs[0] == "#main", "the skip link comes first"
    assert {"tel:988", "sms:988", "tel:911", "sms:741741?&body=HOME"} <= set(hrefs)
    quick_exit = next(link for link in page.links if "data-quick-exit" in link)
    assert quick_exit["href"] == "https://www.weather.gov/"
    assert page.html_attrs["lang"] == "en-us"
    assert page.title.strip().endswith("· Ally Directory")
    assert b'id="main"' in response.content


def test_every_page_shows_crisis_help_quick_exit_and_skip_link(client, seeded):
    for path in PUBLIC_PAGES:
        check_crisis_help_and_controls(client.get(path))


def test_pages_set_no_cookies_and_keep_search_terms_from_other_sites(client, seeded):
    for path in PUBLIC_PAGES:
        response = client.get(path)

        assert response.cookies == {}, path
        assert response.headers["Referrer-Policy"] == "same-origin"
        for link in parse(response).links:
            if link.get("href", "").startswith(("http://", "https://")):
                rel = link.get("rel", "").split()
                assert {"noopener", "noreferrer"} <= set(rel), (path, link)


def test_pages_run_no_inline_script_under_a_strict_content_security_policy(client, seeded):
    for path in PUBLIC_PAGES:
        response = client.get(path)

        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        page = parse(response)
        for attributes, body in zip(page.scripts, page.script_bodies, strict=True):
            if attributes.get("type") == "application/ld+json":
                continue  # data, not script
            assert attributes.get("src", "").startswith("/static/js/"), (path, attributes)
            assert body.strip() == ""
        assert b" onclick=" not in response.content and b"javascript:" not in response.content


def test_quick_exit_script_is_loaded_from_a_file_on_every_page(client, seeded):
    page = parse(client.get("/"))

    assert {"src": "/static/js/quick-exit.js", "defer": ""} in page.scripts


# --- Home --------------------------------------------------------------------


def test_home_starts_with_the_danger_path_before_anything_else(client, seeded):
    response = client.get("/")
    html = response.content.decode()

    main = html[html.index('<main id="main"') :]
    assert main.index("Is someone in danger right now?") < main.index("Help for")
    danger = main[: main.index("</section>")]
    assert 'href="tel:911"' in danger and 'href="tel:988"' in danger
    assert 'href="sms:988"' in danger


def test_home_links_to_the_guide_and_to_audiences_with_published_resources(client, db):
    used = AudienceFactory(code="veterans", name="Veterans")
    AudienceFactory(code="older-adults", name="Older adults")
    ResourceFactory(audiences=[used])
    ResourceFactory(audiences=[AudienceFactory(code="draft-only")], status="draft")

    response = client.get("/")

    assert b'href="/guide/"' in response.content
    assert b'href="/for/veterans/"' in response.content
    assert b"/for/older-adults/" not in response.content
    assert b"/for/draft-only/" not in response.content


def test_home_lists_the_guide_sections(client, seeded):
    load_guide_seed()

    html = client.get("/").content.decode()

    for section in Section.objects.published():
        assert f'<a href="{section.get_absolute_url()}">{section.title}</a>' in html


def test_home_runs_two_queries(client, seeded, django_assert_num_queries):
    load_guide_seed()
    # 1. audience terms carried by a published resource, 2. guide sections
    with django_assert_num_queries(2):
        assert client.get("/").status_code == 200


# --- Resource page -------------------------------------------------------------


def test_resource_page_shows_one_tap_call_and_text_links(client, seeded):
    response = client.get("/resources/crisis-text-line/")

    assert b'href="sms:741741?&amp;body=HOME"' in response.content
    assert b"Text HOME to 741741" in response.content

    response = client.get("/resources/988-suicide-crisis-lifeline/")
    assert b'href="tel:988"' in response.content and b"Call 988" in response.content
    assert b'href="https://988lifeline.org/chat" rel="noopener noreferrer"' in response.content


def test_resource_page_shows_everything_needed_to_act(client, db):
    resource = full_resource(
        cost="free",
        eligibility="Anyone in the state.",
        minimum_age=12,
        maximum_age=24,
        last_verified_on="2026-11-01",
        time_zone="America/Chicago",
    )

    html = client.get(resource.get_absolute_url()).content.decode()

    assert "Call 1-202-555-01" in html
    assert "Text HI to 741741" in html
    assert "Monday" in html and "9 a.m.–5 p.m." in html and "Times are Central Time." in html
    assert "Free" in html and "Anyone in the state." in html and "12 to 24" in html
    assert "English" in html and "Nationwide (US)" in html
    assert "1 Example Street" in html and "Springfield, IL 62701" in html
    assert "https://www.openstreetmap.org/?mlat=39.800000&amp;mlon=-89.650000" in html
    assert "last checked this listing on Nov. 1, 2026" in html
    assert "This is not a crisis service." in html
    assert 'href="/topics/depression/"' in html and 'href="/for/youth/"' in html
    assert f'href="{resource.organization.get_absolute_url()}"' in html


def test_resource_page_warns_when_a_listing_is_not_verified(client, seeded):
    html = client.get("/resources/trans-lifeline/").content.decode()

    assert "have not been verified yet" in html


def test_resource_page_carries_schema_org_json_ld(client, seeded):
    page = parse(client.get("/resources/988-suicide-crisis-lifeline/"))

    (body,) = (
        body
        for attributes, body in zip(page.scripts, page.script_bodies, strict=True)
        if attributes.get("type") == "application/ld+json"
    )
    data = json.loads(body)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Service"
    assert data["name"] == "988 Suicide & Crisis Lifeline"
    assert data["provider"]["name"] == "988 Suicide & Crisis Lifeline"
    assert data["@id"] == "http://testserver/resources/988-suicide-crisis-lifeline/"
    channels = data["availableChannel"]
    assert [c["servicePhone"]["telephone"] for c in channels if "servicePhone" in c] == ["988"]
    assert data["hoursAvailable"]["opens"] == "00:00"


def test_json_ld_cannot_be_broken_out_of_by_stored_text(client, db):
    resource = ResourceFactory(summary='</script><script>alert("x")</script>')

    html = client.get(resource.get_absolute_url()).content.decode()

    assert "<script>alert" not in html
    assert "\\u003C/script\\u003E" in html


def test_resource_page_lists_related_resources_sharing_topics(client, db):
    topic = TopicFactory(code="grief")
    resource = ResourceFactory(topics=[topic])
    related = ResourceFactory(topics=[topic], name="Grief circle")
    ResourceFactory(topics=[topic], name="Hidden draft", status=PublicationStatus.DRAFT)
    ResourceFactory(name="Unrelated")

    html = client.get(resource.get_absolute_url()).content.decode()

    assert f'href="{related.get_absolute_url()}"' in html
    assert "Hidden draft" not in html and "Unrelated" not in html


@pytest.mark.parametrize("status", [PublicationStatus.DRAFT, PublicationStatus.ARCHIVED])
def test_unpublished_resources_are_not_found(client, db, status):
    resource = ResourceFactory(status=status)

    response = client.get(resource.get_absolute_url())

    assert response.status_code == 404
    assert resource.name.encode() not in response.content


def test_resource_page_runs_a_constant_number_of_queries(client, db, django_assert_num_queries):
    resource = full_resource()
    for _ in range(3):
        full_resource()  # related resources (they share the topic)
        ContactChannelFactory(resource=resource)
        ScheduleFactory(resource=resource, weekday=3)
    # 1. the resource with its organization and kind
    # 2-8. its languages, channels, schedules, topics, audiences, service areas
    # and locations, 9-11. guide sections, tips and references that mention it
    # 12. the view count (curators' verification queue is sorted by traffic)
    # 13. related resources with their kind
    with django_assert_num_queries(13):
        assert client.get(resource.get_absolute_url()).status_code == 200


# --- Organization, topic and audience pages -------------------------------------


def test_organization_page_lists_its_published_resources_crisis_first(client, db):
    organization = OrganizationFactory(name="Helpers United")
    ResourceFactory(organization=organization, name="A support line", urgency=Urgency.SOON)
    ResourceFactory(organization=organization, name="Z crisis line", urgency=Urgency.CRISIS)
    ResourceFactory(organization=organization, name="Draft line", status=PublicationStatus.DRAFT)

    html = client.get(organization.get_absolute_url()).content.decode()

    assert "<h1>Helpers United" in html
    assert html.index("Z crisis line") < html.index("A support line")
    assert "Draft line" not in html


def test_organization_page_runs_a_constant_number_of_queries(
    client, db, django_assert_num_queries
):
    organization = OrganizationFactory()
    for _ in range(4):
        full_resource(organization=organization)
    # 1. the organization
    # 2. its published resources with organization and kind
    # 3-5. their languages, channels and schedules (what a card shows)
    with django_assert_num_queries(5):
        assert client.get(organization.get_absolute_url()).status_code == 200


def test_topic_page_lists_resources_on_that_topic(client, seeded):
    html = client.get("/topics/domestic-violence/").content.decode()

    assert "<h1>Help with Domestic violence</h1>" in html
    assert "National Domestic Violence Hotline" in html
    assert "NAMI HelpLine" not in html


def test_audience_page_lists_resources_for_that_audience(client, seeded):
    html = client.get("/for/veterans/").content.decode()

    assert "<h1>Help for Veterans</h1>" in html
    assert "Veterans Crisis Line" in html
    assert "The Trevor Project" not in html


def test_a_topic_code_is_not_an_audience_page(client, seeded):
    assert client.get("/for/depression/").status_code == 404
    assert client.get("/topics/veterans/").status_code == 404


def test_topic_page_runs_a_constant_number_of_queries(client, db, django_assert_num_queries):
    for _ in range(4):
        full_resource()
    # 1. the term with its taxonomy
    # 2. published resources on the topic with organization and kind
    # 3-5. their languages, channels and schedules (what a card shows)
    with django_assert_num_queries(5):
        assert client.get(reverse("directory:topic", args=["depression"])).status_code == 200


def test_browse_page_lists_topics_and_audiences_in_use(client, seeded, django_assert_num_queries):
    # 1. topics in use, 2. audiences in use
    with django_assert_num_queries(2):
        html = client.get("/browse/").content.decode()

    assert 'href="/topics/suicide-prevention/"' in html
    assert 'href="/for/veterans/"' in html


# --- Static pages and errors -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/about/", "About Ally Directory"),
        ("/privacy/", "Privacy"),
        ("/accessibility/", "Accessibility statement"),
    ],
)
def test_information_pages_run_no_query(client, db, django_assert_num_queries, path, heading):
    with django_assert_num_queries(0):
        response = client.get(path)

    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_privacy_page_says_what_we_store_and_what_we_never_do(client, db):
    html = client.get("/privacy/").content.decode()

    assert "What we never do" in html and "What we store" in html
    assert "no cookies" in html


def test_not_found_page_is_friendly_and_still_offers_crisis_help(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "couldn&#x27;t find that page" in html or "couldn't find that page" in html
    assert html.count('href="tel:988"') >= 2  # the crisis strip and the page itself
    assert 'href="tel:911"' in html


def test_server_error_page_renders_without_database_or_context_and_offers_crisis_help(
    db, django_assert_num_queries
):
    request = RequestFactory().get("/")

    with django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert 'href="tel:988"' in html and 'href="sms:741741?&amp;body=HOME"' in html
    assert "data-quick-exit" in html and "https://www.weather.gov/" in html


def test_pages_with_a_public_form_set_no_cookie(client, seeded):
    load_guide_seed()
    section = Section.objects.published().select_related("guide").first()
    pages = [
        section.get_absolute_url(),
        "/resources/nami-helpline/report/",
        "/suggest/",
    ]

    for path in pages:
        response = client.get(path)

        assert response.status_code == 200, path
        assert '<form method="post"' in response.text, path
        assert response.cookies == {}, path
    assert not client.cookies


def test_the_admin_sign_in_csrf_cookie_ends_with_the_browser_session(client, db):
    # Curators' forms keep Django's CSRF cookie; it must not outlive the
    # browser session on a shared device.
    response = client.get("/admin/login/")

    cookie = response.cookies["csrftoken"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
