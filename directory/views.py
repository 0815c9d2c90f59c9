"""Public pages of the directory.

Each view reads through ``ResourceQuerySet`` so that every page runs a fixed
number of queries whatever the number of resources (pinned in
tests/directory/test_views.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import mail_managers
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.decorators import ratelimit

from config.client_ip import client_ip
from config.public_forms import public_form
from directory import search as search_module
from directory.filters import ResourceFilterSet
from directory.forms import FeedbackForm, ProblemReportForm, SuggestionForm
from directory.jsonld import resource_jsonld
from directory.models import (
    Feedback,
    Organization,
    PublicationStatus,
    Resource,
    Taxonomy,
    TaxonomyTerm,
)
from directory.needs import NEEDS
from guide.models import Section

logger = logging.getLogger(__name__)
RELATED_RESOURCES = 4


def _terms_in_use(taxonomy_code: str, relation: str):
    """Terms of a taxonomy that at least one published resource carries."""
    return (
        TaxonomyTerm.objects.filter(
            taxonomy__code=taxonomy_code, **{f"{relation}__status": PublicationStatus.PUBLISHED}
        )
        .distinct()
        .order_by("position", "name")
    )


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/home.html",
        {
            "needs": NEEDS,
            "audiences": _terms_in_use(Taxonomy.AUDIENCE, "resources_for_audience"),
            "guide_sections": Section.objects.published().select_related("guide"),
        },
    )


def browse(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/browse.html",
        {
            "nav": "browse",
            "topics": _terms_in_use(Taxonomy.TOPIC, "resources_on_topic"),
            "audiences": _terms_in_use(Taxonomy.AUDIENCE, "resources_for_audience"),
        },
    )


def _term_page(request: HttpRequest, *, taxonomy_code: str, relation: str, slug: str):
    term = get_object_or_404(
        TaxonomyTerm.objects.select_related("taxonomy"), taxonomy__code=taxonomy_code, code=slug
    )
    resources = getattr(term, relation).published().for_listing().most_urgent_first()
    return render(
        request,
        "directory/term_detail.html",
        {"nav": "browse", "term": term, "resources": resources, "taxonomy": taxonomy_code},
    )


def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _term_page(
        request, taxonomy_code=Taxonomy.TOPIC, relation="resources_on_topic", slug=slug
    )


def audience_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _term_page(
        request, taxonomy_code=Taxonomy.AUDIENCE, relation="resources_for_audience", slug=slug
    )


def resource_detail(request: HttpRequest, slug: str) -> HttpResponse:
    resource = get_object_or_404(
        Resource.objects.published().for_detail().with_guide_mentions(),
        slug=slug,
    )
    # A bare counter (no visitor data) that puts popular listings first in the verification queue.
    Resource.objects.filter(pk=resource.pk).update(view_count=F("view_count") + 1)
    related = Resource.objects.published().related_to(resource).select_related("kind")
    page_url = request.build_absolute_uri(resource.get_absolute_url())
    return render(
        request,
        "directory/resource_detail.html",
        {
            "resource": resource,
            "related": related[:RELATED_RESOURCES],
            "page_url": page_url,
            "jsonld": resource_jsonld(resource, page_url=page_url),
        },
    )


def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    resources = organization.resources.published().for_listing().most_urgent_first()
    return render(
        request,
        "directory/organization_detail.html",
        {"organization": organization, "resources": resources},
    )


# --- Search ------------------------------------------------------------------

RESULTS_PER_PAGE = 20
RADIUS_CHOICES = (5, 10, 25, 50, 100)
# Parameters the page offers as on/off switches, with the label of "on".
SWITCHES = {"open_now": gettext_lazy("Open now"), "open_24_7": gettext_lazy("Open 24/7")}


class CountedPaginator(Paginator):
    """Pages over a count from ``search.count_results``, which stops counting
    at a bound instead of reading every match of a very common word."""

    def __init__(self, object_list, per_page: int, *, total: search_module.ResultCount):
        super().__init__(object_list, per_page)
        self.total = total

    @cached_property
    def count(self) -> int:
        return self.total.value


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class FacetGroup:
    name: str
    label: str
    options: list[FacetOption]


@dataclass
class ActiveFilter:
    label: str
    remove_url: str


def _query_url(params: QueryDict, **changes: Any) -> str:
    """``?…`` for ``params`` with ``changes`` applied; None drops a parameter."""
    params = params.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params.setlist(key, value if isinstance(value, list) else [str(value)])
    return "?" + params.urlencode() if params else "?"


def _selected(filterset: ResourceFilterSet, name: str) -> dict[str, str]:
    """The values chosen for ``name`` with their labels.

    Terms and languages arrive as objects that carry their names; plain
    choices are looked up in the filter's static choices (no query).
    """
    chosen = {}
    for value in filterset.form.cleaned_data.get(name) or []:
        if hasattr(value, "code"):
            chosen[value.code] = value.name
        else:
            choices = dict(filterset.form.fields[name].choices)
            chosen[value] = str(choices.get(value, value))
    return chosen


def _facet_groups(params: QueryDict, filterset: ResourceFilterSet) -> list[FacetGroup]:
    """Facet counts for the page, with OR within a group as the FilterSet has it.

    A group where nothing is chosen counts within the current results. A
    group with choices counts within the results of every *other* filter, so
    that each of its options shows what ticking it too would add. Each group
    is counted once, by one query, whichever way: choosing filters costs no
    extra queries.
    """
    chosen_in = {name: _selected(filterset, name) for name in search_module.FACET_GROUPS}
    counts = search_module.facets(
        filterset.qs, groups=[name for name, chosen in chosen_in.items() if not chosen]
    )
    groups = []
    for name, chosen in chosen_in.items():
        if chosen:
            without = params.copy()
            without.pop(name, None)
            others = ResourceFilterSet(without, queryset=filterset.queryset)
            within = others.qs if others.is_valid() else filterset.qs
            values = search_module.facets(within, groups=[name])[name]
        else:
            values = counts[name]
        options = [FacetOption(v.value, v.label, v.count, v.value in chosen) for v in values]
        listed = {option.value for option in options}
        options += [
            FacetOption(value, label, 0, True)
            for value, label in chosen.items()
            if value not in listed
        ]
        groups.append(FacetGroup(name, str(filterset.filters[name].label), options))
    return groups


def _active_filters(
    params: QueryDict, filterset: ResourceFilterSet, groups: list[FacetGroup]
) -> list[ActiveFilter]:
    active = []
    for group in groups:
        chosen = [option for option in group.options if option.selected]
        for option in chosen:
            rest = [o.value for o in chosen if o is not option]
            active.append(
                ActiveFilter(
                    f"{group.label}: {option.label}",
                    _query_url(params, **{group.name: rest or None}),
                )
            )
    data = filterset.form.cleaned_data
    for name, label in SWITCHES.items():
        if data.get(name):
            active.append(ActiveFilter(str(label), _query_url(params, **{name: None})))
    if data.get("near"):
        label = _("Near %(zip)s") % {"zip": data["near"]}
        active.append(ActiveFilter(label, _query_url(params, near=None, radius=None)))
    for state in data.get("state") or []:
        rest = [s for s in data["state"] if s != state]
        active.append(
            ActiveFilter(
                _("State: %(state)s") % {"state": state}, _query_url(params, state=rest or None)
            )
        )
    if data.get("updated_since"):
        active.append(ActiveFilter(_("Recently updated"), _query_url(params, updated_since=None)))
    return active


def search(request: HttpRequest) -> HttpResponse:
    """Search results: ``ResourceFilterSet`` filters and orders, ``search.facets`` counts.

    Every filter is a GET parameter of the FilterSet, so any page of results
    is a shareable link and works without JavaScript. Invalid parameters get
    the page back with what was wrong, as a 400.
    """
    data = request.GET.copy()
    if not data.get("near") and not data.get("lat"):
        # The form's radius menu only means something with a ZIP code; left
        # without one it is ignored rather than refused.
        data.pop("radius", None)
    filterset = ResourceFilterSet(data, queryset=Resource.objects.published())
    valid = filterset.is_valid()
    q = (data.get("q") or "").strip()
    params = data.copy()
    params.pop("page", None)
    context: dict[str, Any] = {
        "nav": "search",
        "q": q,
        "params": params,
        "kept_filters": [
            (name, value) for name, values in params.lists() if name != "q" for value in values
        ],
        "clear_all_url": _query_url(QueryDict(mutable=True), q=q or None),
        "without_query_url": _query_url(params, q=None),
        "radius_choices": RADIUS_CHOICES,
    }
    if not valid:
        context["errors"] = [
            (str(filterset.filters[name].label) if name in filterset.filters else name, messages)
            for name, messages in filterset.errors.items()
        ]
        context["total"] = search_module.ResultCount(0, exact=True)
        return render(request, "directory/search.html", context, status=400)

    results = filterset.qs
    total = search_module.count_results(results)
    paginator = CountedPaginator(results.for_listing(), RESULTS_PER_PAGE, total=total)
    page_obj = paginator.get_page(data.get("page"))
    groups = _facet_groups(params, filterset)
    suggestion = search_module.did_you_mean(q) if q else None
    data = filterset.form.cleaned_data
    context.update(
        {
            "page_obj": page_obj,
            "total": total,
            "facet_groups": groups,
            "active_filters": _active_filters(params, filterset, groups),
            "switches": [(name, label, bool(data.get(name))) for name, label in SWITCHES.items()],
            "near": data.get("near") or "",
            "radius": data.get("radius"),
            "ordering": data.get("ordering") or "",
            "suggestion": suggestion,
            "suggestion_url": _query_url(params, q=suggestion) if suggestion else "",
            "previous_url": _query_url(params, page=page_obj.number - 1),
            "next_url": _query_url(params, page=page_obj.number + 1),
        }
    )
    return render(request, "directory/search.html", context)


# --- Public feedback ----------------------------------------------------------


def _feedback_client(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def _feedback_rate(group: str, request: HttpRequest) -> str:
    return settings.FEEDBACK_RATE_LIMIT


def notify_curators(feedback: Feedback) -> None:
    """Tell the site managers (``DJANGO_MANAGERS``) that feedback arrived.

    The private contact email is left out of the message on purpose.
    """
    mail_managers(
        f"[Ally Directory] {feedback}",
        f"{feedback.get_kind_display()}: {feedback}\n\n{feedback.message}\n\n"
        "Open the moderation queue in the admin to handle it.",
        fail_silently=False,
    )


def _feedback_view(request: HttpRequest, form: FeedbackForm, context: dict) -> HttpResponse:
    template = "directory/feedback_form.html"
    if request.method == "POST":
        if getattr(request, "limited", False):
            context.update(form=form, rate_limited=True)
            return render(request, template, context, status=429)
        if form.is_valid():
            if form.is_spam:
                return redirect("directory:feedback_thanks")
            # Stored first and committed at once (autocommit, and the views
            # opt out of ATOMIC_REQUESTS), so nothing after this can lose it.
            feedback = form.save()
            try:
                notify_curators(feedback)
            except Exception:
                # The report is safe in the queue; a mail outage must not
                # tell someone their report failed.
                logger.exception("Could not notify curators of feedback %s", feedback.pk)
            return redirect("directory:feedback_thanks")
    context["form"] = form
    return render(request, template, context, status=400 if form.errors else 200)


@public_form
@transaction.non_atomic_requests
@ratelimit(group="feedback", key=_feedback_client, rate=_feedback_rate, method="POST", block=False)
def suggest(request: HttpRequest) -> HttpResponse:
    form = SuggestionForm(request.POST if request.method == "POST" else None)
    return _feedback_view(
        request,
        form,
        {
            "title": _("Suggest a resource"),
            "intro": _(
                "Know a help line, group or service that should be listed? Tell us and "
                "our curators will check it before it appears."
            ),
        },
    )


@public_form
@transaction.non_atomic_requests
@ratelimit(group="feedback", key=_feedback_client, rate=_feedback_rate, method="POST", block=False)
def report_problem(request: HttpRequest, slug: str) -> HttpResponse:
    resource = get_object_or_404(Resource.objects.published().live(), slug=slug)
    form = ProblemReportForm(request.POST if request.method == "POST" else None, resource=resource)
    return _feedback_view(
        request,
        form,
        {
            "title": _("Report a problem with this listing"),
            "intro": _("Tell us what is wrong with “%(name)s” and we will check it.")
            % {"name": resource.name},
            "resource": resource,
        },
    )


def feedback_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/feedback_thanks.html")
