"""The public site in a real browser: Debian's chromium driven by Playwright.

Run alone with ``.venv/bin/python -m pytest -m browser``; screenshots of each
page land in test-output/. Skipped (with the reason) where chromium is not
installed; .ci/install-browser installs it and axe-core.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.conf import settings

from directory.models import Feedback
from guide.models import Feedback as GuideFeedback
from tests.directory.browser import PHONE, axe_violations, browser_tests, describe, screenshot

pytestmark = browser_tests

AXE_PAGES = {
    "home": "/",
    "search-results": "/search/?q=someone+to+talk+to",
    "search-filtered": "/search/?urgency=crisis&kind=crisis-line&open_now=true",
    "search-no-results": "/search/?q=xylophone",
    "search-invalid": "/search/?near=abcde",
    "resource": "/resources/988-suicide-crisis-lifeline/",
    "resource-with-hours": "/resources/nami-helpline/",
    "organization": "/organizations/nami/",
    "topic": "/topics/suicide-prevention/",
    "audience": "/for/family-friends/",
    "browse": "/browse/",
    "privacy": "/privacy/",
    "error-404": "/no-such-page/",
    "guide": "/guide/",
    "guide-whole": "/guide/compassionate-ally/",
    "guide-section": "/guide/compassionate-ally/listening-with-empathy/",
    "guide-references": "/guide/compassionate-ally/references/",
    "report-problem": "/resources/nami-helpline/report/",
    "suggest": "/suggest/",
}


@pytest.fixture(autouse=True)
def _synonyms_as_migrated(transactional_db):
    """The curated synonyms that ``migrate`` installs, in every test here.

    The live server's tests are transactional: each ends by emptying the
    database, which takes rows created by data migrations with it, so every
    test after the first would search without synonyms, unlike the site.
    This runs the migration's own code again (``get_or_create``, so a no-op
    while they are still there).
    """
    migration = importlib.import_module("directory.migrations.0003_default_synonyms")
    migration.add(apps, schema_editor=None)


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {tag: el.tagName, text: el.textContent.trim(), href: el.getAttribute('href'),
                    id: el.id, cls: el.className, outline: style.outlineStyle,
                    ring: style.boxShadow};
        }"""
    )


def tab_to(page, predicate, limit: int = 80) -> dict:
    """Press Tab until ``predicate(focused element)`` holds; every stop shows a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["tag"] not in ("BODY", "MAIN"):
            assert element["outline"] != "none" or element["ring"] != "none", element
        if predicate(element):
            return element
    raise AssertionError("never reached the element by keyboard")


@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_pages_have_no_wcag_22_aa_violations(offline, site_seeded, name):
    page = offline().new_page()
    page.goto(AXE_PAGES[name])

    violations = axe_violations(page)

    screenshot(page, name)
    assert violations == [], describe(violations)


def test_axe_check_does_catch_a_violation(offline, site_seeded):
    page = offline().new_page()
    page.goto("/")
    page.evaluate("document.documentElement.removeAttribute('lang')")

    assert "html-has-lang" in [violation["id"] for violation in axe_violations(page)]


def test_phone_pages_need_no_sideways_scrolling_and_have_big_tap_targets(offline, site_seeded):
    page = offline(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    for name, path in [
        ("phone-home", "/"),
        ("phone-search", "/search/?q=help&urgency=crisis"),
        ("phone-resource", "/resources/nami-helpline/"),
    ]:
        page.goto(path)

        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        sizes = page.eval_on_selector_all(
            ".channel, .action, .quick-exit",
            "els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect().height])",
        )
        assert sizes and all(height >= 44 for _text, height in sizes), sizes
        assert axe_violations(page) == []
        screenshot(page, name)


def test_home_to_a_call_link_in_two_taps(offline, site_seeded):
    page = offline(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto("/")

    page.get_by_role("link", name="Someone is in crisis").tap()  # tap one
    page.wait_for_url("**/search/?urgency=crisis")
    call = page.locator(".card", has_text="Veterans Crisis Line").get_by_role(
        "link", name="Call 988"
    )

    assert call.get_attribute("href") == "tel:988"  # tap two dials
    assert call.is_visible()
    text = page.locator(".card", has_text="Crisis Text Line").get_by_role("link", name="Text HOME")
    assert text.get_attribute("href") == "sms:741741?&body=HOME"
    screenshot(page, "phone-search-crisis")


def test_search_to_call_flow(offline, site_seeded):
    page = offline(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto("/")

    page.get_by_label("Search for help").fill("veterans")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=veterans")
    first = page.locator(".card").first

    assert "Veterans Crisis Line" in first.locator("h3").inner_text()
    assert first.get_by_role("link", name="Call 988").get_attribute("href") == "tel:988"
    first.get_by_role("link", name="Veterans Crisis Line").tap()
    page.wait_for_url("**/resources/veterans-crisis-line/")
    text = page.get_by_role("link", name="Text 838255")
    assert text.is_visible() and text.get_attribute("href") == "sms:838255"


def test_curated_synonyms_widen_a_search(offline, site_seeded):
    # "drinking" is in no listing; the synonym installed by a migration maps
    # it to substance use, as on the site (see _synonyms_as_migrated).
    page = offline().new_page()
    page.goto("/search/?q=drinking")

    assert page.locator(".card", has_text="SAMHSA National Helpline").is_visible()


def test_facets_narrow_the_results_and_clear_all_restores_them(offline, site_seeded):
    page = offline().new_page()
    page.goto("/search/?q=help")
    before = page.locator(".card").count()

    page.locator("summary").click()
    page.get_by_label("Crisis now").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**urgency=crisis**")
    narrowed = page.locator(".card").count()
    heading = page.locator("#results-title").inner_text()

    assert 0 < narrowed < before
    assert heading.startswith(f"{narrowed} result")
    assert page.get_by_role("link", name="Remove filter: Urgency: Crisis now").is_visible()
    screenshot(page, "search-facets")

    page.get_by_role("link", name="Clear all filters").first.click()
    page.wait_for_url("**/search/?q=help")
    assert page.locator(".card").count() == before


def test_quick_exit_button_leaves_and_back_does_not_return(offline, site_seeded):
    page = offline().new_page()
    page.goto("/")
    page.goto("/resources/the-trevor-project/")

    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url(settings.QUICK_EXIT_URL)
    assert page.title() == "Weather"

    page.go_back()
    assert not page.url.endswith("/resources/the-trevor-project/")
    assert page.url.endswith("/")


def test_escape_key_leaves_at_once_from_anywhere_on_the_page(offline, site_seeded):
    page = offline().new_page()
    page.goto("/")
    page.goto("/resources/national-domestic-violence-hotline/")
    page.get_by_role("link", name="Call 1-800-799-SAFE").focus()

    page.keyboard.press("Escape")
    page.wait_for_url(settings.QUICK_EXIT_URL)

    page.go_back()
    assert "/resources/national-domestic-violence-hotline/" not in page.url


def test_keyboard_only_visitor_skips_to_content_and_reaches_a_call_link(offline, site_seeded):
    page = offline().new_page()
    page.goto("/")

    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to main content"
    assert page.locator(".skip-link").is_visible(), "the skip link shows when focused"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    tab_to(page, lambda el: el["href"] == "/for/family-friends/")
    page.keyboard.press("Enter")
    page.wait_for_url("**/for/family-friends/")
    tab_to(page, lambda el: el["href"] == "/resources/nami-helpline/")
    page.keyboard.press("Enter")
    page.wait_for_url("**/resources/nami-helpline/")
    call = tab_to(page, lambda el: (el["href"] or "").startswith("tel:+1800"))

    assert call["text"] == "Call 1-800-950-NAMI"


def test_keyboard_only_search_from_query_to_filter_to_call(offline, site_seeded):
    page = offline().new_page()
    page.goto("/")

    tab_to(page, lambda el: el["id"] == "home-q")
    page.keyboard.type("text line")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=text+line")
    tab_to(page, lambda el: el["tag"] == "SUMMARY")
    page.keyboard.press("Enter")  # opens the filters
    tab_to(page, lambda el: el["id"] == "f-open_24_7")
    page.keyboard.press("Space")
    tab_to(page, lambda el: el["text"] == "Apply filters")
    page.keyboard.press("Enter")
    page.wait_for_url("**open_24_7=true**")
    text = tab_to(page, lambda el: "channel-text" in el["cls"])

    assert text["text"].startswith("Text ") and text["href"].startswith("sms:")


def test_site_works_without_javascript(offline, site_seeded):
    page = offline(java_script_enabled=False).new_page()
    page.goto("/search/?q=veterans")
    page.locator("summary").click()
    page.get_by_label("Open 24/7").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**open_24_7=true**")
    assert page.locator(".card", has_text="Veterans Crisis Line").is_visible()
    screenshot(page, "no-javascript-search")

    page.goto("/")

    page.get_by_role("link", name="Browse help").first.click()
    page.get_by_role("link", name="Suicide prevention").click()
    page.get_by_role("link", name="988 Suicide & Crisis Lifeline").first.click()

    assert page.get_by_role("link", name="Call 988").first.get_attribute("href") == "tel:988"
    # Tools that need JavaScript stay hidden rather than doing nothing.
    assert page.get_by_role("button", name="Copy link").count() == 0
    # The quick exit is a plain link, so it still leaves.
    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url(settings.QUICK_EXIT_URL)
    screenshot(page, "no-javascript-quick-exit")


def test_pages_obey_the_content_security_policy_and_leave_no_cookie(offline, site_seeded):
    # The offline fixture fails the test on any console error, which is
    # where chromium reports a blocked inline script or style.
    context = offline()
    page = context.new_page()
    for path in AXE_PAGES.values():
        page.goto(path)
    page.goto("/resources/nami-helpline/")

    assert page.get_by_role("button", name="Print").is_visible(), "page tools script ran"
    # No cookie at all, the pages with forms included (config/public_forms.py).
    assert context.context.cookies() == []


def test_the_public_forms_post_from_their_pages_and_leave_no_cookie(offline, site_seeded):
    # Chromium sends the Origin header a real visitor's browser sends, which
    # the forms check instead of a CSRF cookie.
    context = offline()
    page = context.new_page()
    page.goto(AXE_PAGES["guide-section"])
    page.locator("#section-feedback").get_by_label("Yes").check()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url("**?feedback=thanks*")
    assert page.get_by_role("status").filter(has_text="Thank you for your feedback").is_visible()

    page.goto(AXE_PAGES["report-problem"])
    page.get_by_label("The hours are wrong").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/feedback/thanks/")

    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert GuideFeedback.objects.filter(helpful=True).count() == 1
    assert Feedback.objects.get().problem == Feedback.Problem.WRONG_HOURS
    assert context.context.cookies() == []


def test_a_form_posted_from_another_sites_page_is_refused(offline, site_seeded, live_server):
    # A page elsewhere that posts to the feedback form: chromium names its
    # origin in the Origin header, and the form refuses it.
    action = f"{live_server.url}{AXE_PAGES['guide-section']}feedback/"
    other_site = (
        f'<!doctype html><html lang="en"><title>Elsewhere</title><form method="post" '
        f'action="{action}"><input name="helpful" value="yes"><button>Go</button></form>'
    )
    context = offline()
    context.context.route(
        "https://elsewhere.example/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=other_site),
    )
    page = context.new_page()
    page.goto("https://elsewhere.example/")

    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()

    assert page.url == action
    assert page.get_by_role("heading", name="We could not accept this form").is_visible()
    assert page.get_by_role("link", name="Call 988").first.is_visible()
    assert not GuideFeedback.objects.exists()
    assert context.context.cookies() == []


def test_hours_also_show_in_the_viewers_own_time_zone(offline, site_seeded):
    # Trans Lifeline keeps Pacific hours; its next change is always shown.
    east = offline(timezone_id="America/New_York").new_page()
    east.goto("/resources/trans-lifeline/")
    west = offline(timezone_id="America/Los_Angeles").new_page()
    west.goto("/resources/trans-lifeline/")

    assert "your time)" in east.locator("[aria-labelledby=hours] .your-time").inner_text()
    assert west.locator("[aria-labelledby=hours] .your-time").count() == 0
