"""Public pages of the directory."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import mail_managers
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from config.client_ip import client_ip
from directory.forms import FeedbackForm, ProblemReportForm, SuggestionForm
from directory.models import Feedback, Organization, Resource, Urgency

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    resources = Resource.objects.published().for_listing().order_by("name", "id")
    groups = [
        (urgency, [r for r in resources if r.urgency == urgency.value]) for urgency in Urgency
    ]
    return render(request, "directory/home.html", {"groups": groups})


def resource_detail(request: HttpRequest, slug: str) -> HttpResponse:
    resource = get_object_or_404(
        Resource.objects.published()
        .for_listing()
        .with_guide_mentions()
        .prefetch_related("locations"),
        slug=slug,
    )
    # A bare counter (no visitor data) that puts popular listings first in the verification queue.
    Resource.objects.filter(pk=resource.pk).update(view_count=F("view_count") + 1)
    return render(request, "directory/resource_detail.html", {"resource": resource})


def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    resources = organization.resources.published().for_listing()
    return render(
        request,
        "directory/organization_detail.html",
        {"organization": organization, "resources": resources},
    )


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
