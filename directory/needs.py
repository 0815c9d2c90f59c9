"""The home page's entry points by need: each is a search with preset filters.

The filters are parameters of ``directory.filters.ResourceFilterSet``, so a
need's list is exactly what the search page shows for the same URL; this
module only names the common needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Need:
    slug: str
    title: Promise
    description: Promise
    filters: dict[str, list[str]] = field(default_factory=dict)
    # A page other than the search, by URL name.
    route: str = ""

    @property
    def url(self) -> str:
        if self.route:
            return reverse(self.route)
        return f"{reverse('directory:search')}?{urlencode(self.filters, doseq=True)}"


NEEDS = (
    Need(
        "crisis",
        _("Someone is in crisis"),
        _("Call, text or chat with a crisis counselor now, any time of day or night."),
        {"urgency": ["crisis"]},
    ),
    Need(
        "talk",
        _("Find a helpline to talk"),
        _("Helplines, warmlines and peer support for hard days that are not emergencies."),
        {"kind": ["helpline", "peer-support", "text-line"]},
    ),
    Need(
        "treatment",
        _("Find a therapist or treatment"),
        _("Therapist finders and treatment locators, including for substance use."),
        {"kind": ["therapist-finder", "treatment-locator"]},
    ),
    Need(
        "family",
        _("Support for family and friends"),
        _("Groups, helplines and programs for the people who care for someone."),
        {"audience": ["family-friends"]},
    ),
    Need(
        "learn",
        _("Learn how to help"),
        _("Our ally guide: how to listen, support and encourage help, and look after yourself."),
        route="guide:index",
    ),
)
