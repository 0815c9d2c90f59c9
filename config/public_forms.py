"""Anonymous public forms: refused when posted from another site, with no CSRF cookie.

The site's public forms ("Was this helpful?" on guide sections, "Suggest a
resource", "Report a problem with this listing") promise visitors no cookie
at all. Django's CSRF protection needs one: ``{% csrf_token %}`` sets the
CSRF cookie on the visit that shows the form, before anything is posted.

What a CSRF token defends is a signed-in person's authority: a forged post
rides on their cookies. These forms act with no one's authority: they never
read the user or the session, only what was typed, and ``public_form`` hands
them an anonymous user so that stays true if the view changes. A forged
cross-site post can therefore do nothing that posting straight to the form
could not (which anyone can do, and which the rate limit bounds), so the
token protects nothing here. Instead, ``public_form`` exempts the view from
Django's CSRF check and refuses a post that a browser says came from another
site's page: browsers send ``Origin`` with every POST (``null`` when the
page withholds it), and ``Referer`` is the fallback for old ones. A post
with neither, as curl sends, is accepted, as any direct post would be.

Curators' admin forms keep Django's CSRF protection untouched.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import is_same_domain
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def _is_own_origin(request: HttpRequest, origin: str) -> bool:
    """Whether ``origin`` (scheme://host[:port]) is this site, by the rules
    Django's CSRF check applies to ``Origin``: the request's own scheme and
    host, or one of ``CSRF_TRUSTED_ORIGINS`` (``*.`` allows subdomains)."""
    try:
        own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    except DisallowedHost:
        own = None
    if origin == own or origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        parsed.scheme == trusted.scheme
        and is_same_domain(parsed.netloc, trusted.netloc.removeprefix("*"))
        for trusted in map(urlsplit, settings.CSRF_TRUSTED_ORIGINS)
        if trusted.netloc.startswith("*")
    )


def posted_from_another_site(request: HttpRequest) -> bool:
    """True when the browser names a page of another site as the post's source.

    ``Origin`` decides when present (``null``, sent for a page that hides
    where it is, is refused). Without it, ``Referer``'s scheme and host
    decide. Without either, nothing says the post came from elsewhere.
    """
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None:
        return not _is_own_origin(request, origin)
    referer = request.META.get("HTTP_REFERER")
    if not referer:
        return False
    try:
        parsed = urlsplit(referer)
    except ValueError:
        return True
    return not _is_own_origin(request, f"{parsed.scheme}://{parsed.netloc}")


def public_form(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve an anonymous public form without a CSRF cookie; see the module docstring.

    Posts from another site's page get a 403 page (with the crisis help every
    page has) and reach nothing else: no rate-limit count, nothing stored.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in SAFE_METHODS and posted_from_another_site(request):
            logger.warning("Refused a public form posted from another site: %s", request.path)
            return render(request, "cross_site_post.html", status=403)
        # Whoever is signed in, the form acts for no one (see above).
        request.user = AnonymousUser()
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)
