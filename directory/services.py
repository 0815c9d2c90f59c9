"""Curation writes that touch several models: review and publish, verification,
revert, and moderation of public feedback.

Each function is keyword-only, runs in one transaction, records who did it in
the history (django-simple-history) and in the audit log (``AuditEvent``).

How review and publish works: a published listing is never edited in place
by a curator. ``resource_change_start`` makes a *draft copy* (``draft_of``
points at the live listing) with copies of its channels, hours, areas and
locations; the curator edits the copy in the admin and submits it; an editor
sees ``resource_diff`` and either publishes (``resource_publish``, which
copies the draft onto the live listing and deletes the draft) or returns it
with a comment. New listings are plain drafts that are published in place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from directory.models import (
    AuditEvent,
    ContactChannel,
    Feedback,
    Location,
    Organization,
    PublicationStatus,
    Resource,
    ReviewState,
    Schedule,
    ServiceArea,
    VerificationMethod,
)

# Fields that belong to the listing's identity or workflow, not its content:
# a draft copy has its own, and publishing never copies them.
NOT_CONTENT = frozenset(
    {
        "id",
        "slug",
        "status",
        "draft_of",
        "review_state",
        "review_comment",
        "created_at",
        "updated_at",
        "seed_values",
        "is_synthetic",
        "view_count",
    }
)
M2M_FIELDS = ("topics", "audiences", "languages")
CHILDREN: tuple[tuple[str, type[models.Model]], ...] = (
    ("channels", ContactChannel),
    ("schedules", Schedule),
    ("service_areas", ServiceArea),
    ("locations", Location),
)


class CurationError(Exception):
    """The action cannot be done in the current state; the message says why."""


def audit(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: models.Model,
    resource: Resource | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        resource=resource,
        object_repr=str(obj)[:200],
        detail=detail or {},
    )


def _content_fields() -> list[models.Field]:
    return [f for f in Resource._meta.concrete_fields if f.name not in NOT_CONTENT]


def _child_values(child: models.Model) -> dict[str, Any]:
    return {
        f.attname: getattr(child, f.attname)
        for f in child._meta.concrete_fields
        if f.name not in ("id", "resource")
    }


def unique_slug(model: type[models.Model], text: str, *, max_length: int = 200) -> str:
    base = (slugify(text) or "listing")[: max_length - 9]
    slug = base
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{uuid.uuid4().hex[:8]}"
    return slug


# --- Reading a listing as people read it, for diffs ---------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def _display(resource: Resource, field: models.Field) -> str:
    value = getattr(resource, field.name)
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(getattr(resource, f"get_{field.name}_display")())
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def resource_snapshot(resource: Resource) -> dict[str, tuple[str, str]]:
    """Every content field of ``resource`` as ``{name: (label, readable value)}``."""
    snapshot = {f.name: (str(f.verbose_name), _display(resource, f)) for f in _content_fields()}
    for name in M2M_FIELDS:
        field = Resource._meta.get_field(name)
        items = sorted(str(item) for item in getattr(resource, name).all())
        snapshot[name] = (str(field.verbose_name), ", ".join(items) or "—")
    for name, model in CHILDREN:
        rows = []
        for child in getattr(resource, name).all():
            text = str(child)
            for extra in ("vanity", "keyword", "instructions"):
                if getattr(child, extra, ""):
                    text += f" ({extra}: {getattr(child, extra)})"
            rows.append(text)
        snapshot[name] = (str(model._meta.verbose_name_plural), "; ".join(sorted(rows)) or "—")
    return snapshot


def resource_diff(*, draft: Resource) -> list[FieldChange]:
    """What publishing ``draft`` would change on its live listing (empty for a new draft)."""
    if draft.draft_of_id is None:
        return []
    old = resource_snapshot(draft.draft_of)
    new = resource_snapshot(draft)
    return [
        FieldChange(label=new[name][0], old=old[name][1], new=new[name][1])
        for name in new
        if old[name][1] != new[name][1]
    ]


# --- Review and publish -------------------------------------------------------


@transaction.atomic
def resource_change_start(*, resource: Resource, user: AbstractBaseUser) -> Resource:
    """Return the open draft change of a live ``resource``, creating it if there is none."""
    if resource.draft_of_id is not None:
        raise CurationError(_("This is already a draft change; edit it directly."))
    existing = resource.draft_changes.order_by("created_at").first()
    if existing is not None:
        return existing
    draft = Resource(
        **{f.attname: getattr(resource, f.attname) for f in _content_fields()},
        slug=f"{resource.slug[:180]}-draft-{uuid.uuid4().hex[:8]}",
        status=PublicationStatus.DRAFT,
        draft_of=resource,
        review_state=ReviewState.EDITING,
    )
    draft._history_user = user
    draft._change_reason = _("Draft change of “%(name)s” started") % {"name": resource.name}
    draft.save()
    for name in M2M_FIELDS:
        getattr(draft, name).set(getattr(resource, name).all())
    for name, model in CHILDREN:
        for child in getattr(resource, name).all():
            copy = model(resource=draft, **_child_values(child))
            copy._history_user = user
            copy.save()
    return draft


@transaction.atomic
def resource_submit(*, draft: Resource, user: AbstractBaseUser) -> None:
    """A curator hands a draft (new listing or change) to the editors."""
    if draft.status != PublicationStatus.DRAFT:
        raise CurationError(_("Only drafts are submitted for review."))
    draft.review_state = ReviewState.SUBMITTED
    draft._history_user = user
    draft._change_reason = _("Submitted for review")
    draft.save(update_fields=["review_state", "updated_at"])
    audit(actor=user, action=AuditEvent.Action.SUBMITTED, obj=draft, resource=draft)


@transaction.atomic
def resource_return(*, draft: Resource, user: AbstractBaseUser, comment: str) -> None:
    """An editor sends a draft back to the curators with a comment."""
    if draft.status != PublicationStatus.DRAFT:
        raise CurationError(_("Only drafts can be returned."))
    if not comment.strip():
        raise CurationError(_("Say what needs to change when returning a draft."))
    draft.review_state = ReviewState.RETURNED
    draft.review_comment = comment.strip()
    draft._history_user = user
    draft._change_reason = _("Returned: %(comment)s") % {"comment": comment.strip()[:80]}
    draft.save(update_fields=["review_state", "review_comment", "updated_at"])
    audit(
        actor=user,
        action=AuditEvent.Action.RETURNED,
        obj=draft,
        resource=draft.draft_of or draft,
        detail={"comment": draft.review_comment},
    )


@transaction.atomic
def resource_publish(*, draft: Resource, user: AbstractBaseUser) -> Resource:
    """Publish a new draft, or apply a draft change to its live listing.

    Returns the live listing. The draft copy of a change is deleted once
    applied; its content lives on in the live listing's history.
    """
    if draft.status != PublicationStatus.DRAFT:
        raise CurationError(_("“%(name)s” is not a draft.") % {"name": draft})
    if draft.draft_of_id is None:
        draft.status = PublicationStatus.PUBLISHED
        draft.review_state = ReviewState.EDITING
        draft.review_comment = ""
        draft._history_user = user
        draft._change_reason = _("Published")
        draft.full_clean()
        draft.save()
        audit(actor=user, action=AuditEvent.Action.PUBLISHED, obj=draft, resource=draft)
        return draft

    live = Resource.objects.select_for_update().get(pk=draft.draft_of_id)
    changes = resource_diff(draft=draft)
    for field in _content_fields():
        setattr(live, field.attname, getattr(draft, field.attname))
    live.full_clean()
    # The many-to-many sets are written without history entries of their
    # own, so the publication is one entry that holds them all.
    live.skip_history_when_saving = True
    for name in M2M_FIELDS:
        getattr(live, name).set(getattr(draft, name).all())
    del live.skip_history_when_saving
    live._history_user = user
    live._change_reason = _("Published a reviewed change")
    live.save()
    for name, _model in CHILDREN:
        for child in getattr(live, name).all():
            child._history_user = user
            child.delete()
        for child in getattr(draft, name).all():
            child.resource = live
            child._history_user = user
            child.save()
    audit(
        actor=user,
        action=AuditEvent.Action.PUBLISHED,
        obj=live,
        resource=live,
        detail={"changes": [[c.label, c.old, c.new] for c in changes]},
    )
    Feedback.objects.filter(draft=draft).update(draft=live)
    draft._history_user = user
    draft.delete()
    return live


@transaction.atomic
def resource_archive(*, resource: Resource, user: AbstractBaseUser) -> None:
    resource.status = PublicationStatus.ARCHIVED
    resource._history_user = user
    resource._change_reason = _("Archived")
    resource.save(update_fields=["status", "updated_at"])
    audit(actor=user, action=AuditEvent.Action.ARCHIVED, obj=resource, resource=resource)


# --- Verification -------------------------------------------------------------


@transaction.atomic
def resource_verify(
    *, resource: Resource, user: AbstractBaseUser, method: str, note: str = ""
) -> None:
    """Record that ``user`` verified ``resource`` today, and how."""
    if method not in VerificationMethod.values:
        raise CurationError(_("Say how the listing was verified."))
    resource.last_verified_on = timezone.localdate()
    resource.last_verified_by = user
    resource.last_verified_how = method
    resource.needs_verification = False
    if note.strip():
        resource.verification_source = note.strip()[:500]
    resource._history_user = user
    resource._change_reason = _("Verified: %(how)s") % {
        "how": VerificationMethod(method).label.lower()
    }
    resource.save()
    audit(
        actor=user,
        action=AuditEvent.Action.VERIFIED,
        obj=resource,
        resource=resource,
        detail={"method": method, "note": note.strip()},
    )


# --- History ------------------------------------------------------------------


@transaction.atomic
def history_revert(*, record: Any, user: AbstractBaseUser) -> models.Model:
    """Restore the object of a history ``record`` to that version, as a new history entry."""
    obj = record.instance
    # The rebuilt instance looks new to Django; it is an existing row (or a
    # deleted one coming back, which the update-or-insert of save() handles).
    obj._state.adding = not type(obj).objects.filter(pk=obj.pk).exists()
    m2m_fields = list(getattr(record, "_history_m2m_fields", []))
    if m2m_fields:
        obj.skip_history_when_saving = True
        obj.save()
        for field in m2m_fields:
            target = field.m2m_reverse_name()
            ids = [getattr(row, target) for row in getattr(record, field.name).all()]
            getattr(obj, field.name).set(ids)
        del obj.skip_history_when_saving
    obj._history_user = user
    obj._change_reason = _("Reverted to the version of %(date)s") % {
        "date": timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
    }
    obj.full_clean(validate_unique=False)
    obj.save()
    audit(
        actor=user,
        action=AuditEvent.Action.REVERTED,
        obj=obj,
        resource=obj if isinstance(obj, Resource) else getattr(obj, "resource", None),
        detail={"model": obj._meta.label, "history_id": record.history_id},
    )
    return obj


# --- Public feedback ----------------------------------------------------------


def _handled(feedback: Feedback, user: AbstractBaseUser, status: str) -> None:
    if feedback.status != Feedback.Status.OPEN:
        raise CurationError(_("This feedback was already handled."))
    feedback.status = status
    feedback.handled_by = user
    feedback.handled_at = timezone.now()


@transaction.atomic
def feedback_accept(*, feedback: Feedback, user: AbstractBaseUser) -> Resource:
    """Accept feedback: a problem report opens a draft change of its listing, a
    suggestion becomes a new draft listing. Returns the draft to edit."""
    _handled(feedback, user, Feedback.Status.ACCEPTED)
    note = _("Public %(kind)s received %(date)s: %(message)s") % {
        "kind": feedback.get_kind_display().lower(),
        "date": timezone.localdate(feedback.created_at).isoformat(),
        "message": feedback.message,
    }
    if feedback.kind == Feedback.Kind.PROBLEM:
        if feedback.resource is None:
            raise CurationError(_("The listing this report was about no longer exists."))
        target = feedback.resource
        draft = (
            target
            if target.draft_of_id or target.status == PublicationStatus.DRAFT
            else (resource_change_start(resource=target, user=user))
        )
        draft.internal_notes = "\n\n".join(p for p in (draft.internal_notes, note) if p)
        draft._history_user = user
        draft.save(update_fields=["internal_notes", "updated_at"])
    else:
        draft = _draft_from_suggestion(feedback, user, note)
    feedback.draft = draft
    feedback.save()
    audit(
        actor=user,
        action=AuditEvent.Action.FEEDBACK_ACCEPTED,
        obj=feedback,
        resource=draft,
        detail={"feedback": str(feedback.pk)},
    )
    return draft


def _draft_from_suggestion(feedback: Feedback, user: AbstractBaseUser, note: str) -> Resource:
    if feedback.suggested_kind is None:
        raise CurationError(_("Set the kind of resource on the suggestion before accepting it."))
    org_name = feedback.suggested_organization or feedback.suggested_name
    organization = Organization.objects.filter(name__iexact=org_name).first()
    if organization is None:
        organization = Organization(name=org_name, slug=unique_slug(Organization, org_name))
        organization._history_user = user
        organization.save()
    summary = (feedback.message.strip().splitlines() or [feedback.suggested_name])[0]
    draft = Resource(
        organization=organization,
        name=feedback.suggested_name,
        slug=unique_slug(Resource, feedback.suggested_name),
        summary=summary[:300],
        url=feedback.suggested_url,
        kind=feedback.suggested_kind,
        status=PublicationStatus.DRAFT,
        needs_verification=True,
        internal_notes=note,
    )
    draft._history_user = user
    draft.save()
    if feedback.suggested_phone:
        channel = ContactChannel(resource=draft, kind=ContactChannel.Kind.PHONE)
        channel.value = feedback.suggested_phone
        channel.needs_verification = True
        try:
            channel.full_clean()
        except ValidationError:
            # A number that does not parse stays in the notes for the curator.
            draft.internal_notes += "\n" + _("Suggested number: %(n)s") % {
                "n": feedback.suggested_phone
            }
            draft.save(update_fields=["internal_notes"])
        else:
            channel._history_user = user
            channel.save()
    return draft


@transaction.atomic
def feedback_reject(*, feedback: Feedback, user: AbstractBaseUser, reason: str) -> None:
    if not reason.strip():
        raise CurationError(_("Give a reason for rejecting it."))
    _handled(feedback, user, Feedback.Status.REJECTED)
    feedback.status_reason = reason.strip()
    feedback.save()
    audit(
        actor=user,
        action=AuditEvent.Action.FEEDBACK_REJECTED,
        obj=feedback,
        resource=feedback.resource,
        detail={"reason": feedback.status_reason},
    )


@transaction.atomic
def feedback_mark_spam(*, feedback: Feedback, user: AbstractBaseUser) -> None:
    _handled(feedback, user, Feedback.Status.SPAM)
    feedback.save()
    audit(actor=user, action=AuditEvent.Action.FEEDBACK_SPAM, obj=feedback)
