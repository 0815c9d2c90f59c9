"""Checking that the web addresses in the directory still work.

``check_links()`` gathers every URL (resource websites, chat and web-form
channels, organization websites, and the guide's references when the guide
app has them), fetches each one once with httpx, and stores the outcome in
``LinkCheck``. Broken and permanently moved links put their listings in the
verification queue (``ResourceQuerySet.with_link_problems``).

Politeness and robustness: a descriptive User-Agent; at most
``LINK_CHECK_CONCURRENCY`` requests at once and one at a time per host;
timeouts on every request; retries with backoff only for failures that may
be temporary (timeouts, connection errors, 429 and 5xx). Bodies are never
downloaded: the response is closed once the headers arrive.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from directory.models import ContactChannel, LinkCheck, Organization, Resource

logger = logging.getLogger(__name__)

PERMANENT_REDIRECTS = frozenset({301, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Outcome:
    url: str
    result: str
    status_code: int | None = None
    final_url: str = ""
    error: str = ""


@dataclass
class CheckReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    def summary(self) -> str:
        parts = [
            f"{self.count(value)} {label.lower()}"
            for value, label in LinkCheck.Result.choices
            if self.count(value)
        ]
        return f"Checked {len(self.outcomes)} link(s): " + (", ".join(parts) or "none") + "."


def directory_urls() -> list[str]:
    """Every distinct http(s) URL the directory and the guide publish."""
    urls: list[str] = []
    urls += Resource.objects.live().exclude(url="").values_list("url", flat=True)
    urls += Organization.objects.exclude(website="").values_list("website", flat=True)
    urls += ContactChannel.objects.filter(
        kind__in=ContactChannel.URL_KINDS, resource__draft_of__isnull=True
    ).values_list("value", flat=True)
    # The guide's references, once the guide app defines them.
    try:
        reference = apps.get_model("guide", "Reference")
    except LookupError:
        reference = None
    if reference is not None:
        urls += reference.objects.exclude(url="").values_list("url", flat=True)
    return sorted({u for u in urls if urlsplit(u).scheme in ("http", "https")})


def _classify(url: str, response: httpx.Response) -> Outcome:
    final = str(response.url)
    if response.status_code >= 400:
        return Outcome(url, LinkCheck.Result.BROKEN, response.status_code, final)
    if any(r.status_code in PERMANENT_REDIRECTS for r in response.history):
        return Outcome(url, LinkCheck.Result.MOVED, response.status_code, final)
    if response.history:
        return Outcome(url, LinkCheck.Result.REDIRECTED, response.status_code, final)
    return Outcome(url, LinkCheck.Result.OK, response.status_code, final)


async def _check_one(
    client: httpx.AsyncClient,
    url: str,
    *,
    limit: asyncio.Semaphore,
    host_locks: dict[str, asyncio.Lock],
    retries: int,
    backoff: float,
) -> Outcome:
    host = urlsplit(url).netloc.lower()
    outcome = Outcome(url, LinkCheck.Result.BROKEN, error="not checked")
    for attempt in range(retries + 1):
        if attempt:
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
        # The host's lock first, so a request waiting for its host holds no
        # slot of the global limit.
        async with host_locks[host], limit:
            try:
                async with client.stream("GET", url) as response:
                    outcome = _classify(url, response)
            except httpx.TimeoutException:
                outcome = Outcome(url, LinkCheck.Result.BROKEN, error="timed out")
                continue
            except httpx.TooManyRedirects:
                return Outcome(url, LinkCheck.Result.BROKEN, error="too many redirects")
            except httpx.HTTPError as error:
                outcome = Outcome(
                    url, LinkCheck.Result.BROKEN, error=f"{type(error).__name__}: {error}"[:300]
                )
                continue
        if outcome.status_code not in RETRY_STATUSES:
            return outcome
    return outcome


async def fetch_all(
    urls: Iterable[str],
    *,
    concurrency: int,
    timeout: float,
    retries: int,
    user_agent: str,
    backoff: float = 1.0,
) -> list[Outcome]:
    """Check ``urls`` concurrently and return one outcome per URL, in order."""
    limit = asyncio.Semaphore(concurrency)
    host_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
    async with httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=10,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent, "Accept": "text/html,*/*;q=0.8"},
    ) as client:
        return await asyncio.gather(
            *(
                _check_one(
                    client,
                    url,
                    limit=limit,
                    host_locks=host_locks,
                    retries=retries,
                    backoff=backoff,
                )
                for url in urls
            )
        )


def check_links(
    *,
    urls: Iterable[str] | None = None,
    concurrency: int | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    backoff: float = 1.0,
) -> CheckReport:
    """Check the directory's links (or ``urls``) and store each result in ``LinkCheck``."""
    targets = list(urls) if urls is not None else directory_urls()
    outcomes = asyncio.run(
        fetch_all(
            targets,
            concurrency=concurrency or settings.LINK_CHECK_CONCURRENCY,
            timeout=timeout if timeout is not None else settings.LINK_CHECK_TIMEOUT,
            retries=retries if retries is not None else settings.LINK_CHECK_RETRIES,
            user_agent=settings.LINK_CHECK_USER_AGENT,
            backoff=backoff,
        )
    )
    now = timezone.now()
    with transaction.atomic():
        previous = {c.url: c for c in LinkCheck.objects.filter(url__in=targets)}
        for outcome in outcomes:
            failed = outcome.result == LinkCheck.Result.BROKEN
            before = previous.get(outcome.url)
            LinkCheck.objects.update_or_create(
                url=outcome.url,
                defaults={
                    "result": outcome.result,
                    "status_code": outcome.status_code,
                    "final_url": outcome.final_url[:2000],
                    "error": outcome.error[:300],
                    "checked_at": now,
                    "failures": (before.failures + 1 if before else 1) if failed else 0,
                },
            )
    for outcome in outcomes:
        if outcome.result in (LinkCheck.Result.BROKEN, LinkCheck.Result.MOVED):
            logger.info("Link %s: %s %s", outcome.result, outcome.url, outcome.error)
    return CheckReport(outcomes=list(outcomes))
