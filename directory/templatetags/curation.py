"""Open work counts for the admin index page."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils.translation import gettext as _

from directory.models import Feedback, LinkCheck, Resource

register = template.Library()


@register.simple_tag
def curation_counts(user: AbstractBaseUser) -> list[tuple[str, int, str]]:
    """(label, count, admin URL) for each queue the user may work on."""
    if not user.has_perm("directory.view_resource"):
        return []
    feedback_url = reverse("admin:directory_feedback_changelist")
    resource_url = reverse("admin:directory_resource_changelist")
    return [
        (
            _("Open suggestions and problem reports"),
            Feedback.objects.filter(status=Feedback.Status.OPEN).count(),
            f"{feedback_url}?status__exact=open",
        ),
        (
            _("Drafts awaiting review"),
            Resource.objects.awaiting_review().count(),
            f"{resource_url}?review=submitted",
        ),
        (
            _("Listings due for verification"),
            Resource.objects.verification_queue().count(),
            reverse("admin:directory_dueforverification_changelist"),
        ),
        (
            _("Broken or moved links"),
            LinkCheck.objects.problems().count(),
            reverse("admin:directory_linkcheck_changelist") + "?result__in=broken,moved",
        ),
    ]
