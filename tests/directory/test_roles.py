"""The Curator and Editor roles: each can do exactly what it should in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from directory.models import AuditEvent, PublicationStatus, Resource
from directory.roles import CURATOR, EDITOR, sync_roles
from tests.factories import AuditEventFactory, ResourceFactory, TopicFactory


def codenames(role: str) -> set[str]:
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


def resource_url(action: str, resource: Resource) -> str:
    return reverse(f"admin:directory_resource_{action}", args=[resource.pk])


def test_migrations_create_both_roles_with_their_permissions(db):
    curator, editor = codenames(CURATOR), codenames(EDITOR)
    assert {"add_resource", "change_resource", "verify_resource", "run_checks"} <= curator
    assert {"view_feedback", "change_feedback", "view_taxonomyterm"} <= curator
    assert not curator & {
        "publish_resource",
        "delete_resource",
        "import_directory",
        "change_taxonomyterm",
        "add_taxonomy",
    }
    assert {
        "publish_resource",
        "delete_resource",
        "import_directory",
        "change_taxonomyterm",
        "add_taxonomy",
        "change_language",
    } <= editor
    # Records are not rewritten by either role.
    for role in (curator, editor):
        assert "view_auditevent" in role
        assert not role & {"change_auditevent", "delete_auditevent", "delete_historicalresource"}


def test_syncing_grants_permissions_of_models_added_later_and_is_idempotent(db):
    content_type = ContentType.objects.create(app_label="guide", model="checklist")
    for action in ("view", "add", "change", "delete"):
        Permission.objects.create(
            codename=f"{action}_checklist",
            name=f"Can {action} checklist",
            content_type=content_type,
        )
    sync_roles()
    sync_roles()
    assert {"view_checklist", "add_checklist", "change_checklist"} <= codenames(CURATOR)
    assert "delete_checklist" not in codenames(CURATOR)
    assert "delete_checklist" in codenames(EDITOR)
    assert Group.objects.filter(name__in=[CURATOR, EDITOR]).count() == 2


def test_a_curator_sees_a_published_listing_read_only(curator_member_client):
    live = ResourceFactory(name="Live listing")
    response = curator_member_client.get(resource_url("change", live))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert b"Propose a change" in response.content
    response = curator_member_client.post(resource_url("change", live), {"name": "Renamed"})
    assert response.status_code == 403
    live.refresh_from_db()
    assert live.name == "Live listing"


def test_a_curator_cannot_publish_return_or_archive(curator_member_client):
    draft = ResourceFactory(status=PublicationStatus.DRAFT)
    assert curator_member_client.post(resource_url("publish", draft)).status_code == 403
    assert (
        curator_member_client.post(resource_url("return", draft), {"comment": "x"}).status_code
        == 403
    )
    changelist = reverse("admin:directory_resource_changelist")
    actions = dict(
        curator_member_client.get(changelist).context["action_form"].fields["action"].choices
    )
    assert "publish" not in actions and "archive" not in actions
    assert "verified_by_calling" in actions
    curator_member_client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.DRAFT


def test_a_new_listing_by_a_curator_is_always_a_draft(curator_member_client, curator_member):
    response = curator_member_client.get(reverse("admin:directory_resource_add"))
    assert "status" not in response.context["adminform"].form.fields


def test_an_editor_publishes_and_a_curator_may_not_delete(
    curator_member_client, editor_member_client
):
    draft = ResourceFactory(status=PublicationStatus.DRAFT)
    assert (
        curator_member_client.post(resource_url("delete", draft), {"post": "yes"}).status_code
        == 403
    )
    response = editor_member_client.post(resource_url("publish", draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.PUBLISHED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PUBLISHED, resource=draft).exists()


@pytest.mark.parametrize(
    ("role_client", "status"), [("curator_member_client", 403), ("editor_member_client", 200)]
)
def test_only_editors_manage_the_taxonomy(request, role_client, status):
    client = request.getfixturevalue(role_client)
    term = TopicFactory()
    assert client.get(reverse("admin:directory_taxonomyterm_add")).status_code == status
    response = client.post(
        reverse("admin:directory_taxonomyterm_change", args=[term.pk]),
        {"taxonomy": term.taxonomy_id, "code": term.code, "name": "Renamed", "position": 0},
    )
    term.refresh_from_db()
    assert (term.name == "Renamed") == (status == 200), response


@pytest.mark.parametrize("role_client", ["curator_member_client", "editor_member_client"])
def test_nobody_but_a_superuser_rewrites_the_audit_log(request, role_client):
    client = request.getfixturevalue(role_client)
    event = AuditEventFactory()
    url = reverse("admin:directory_auditevent_change", args=[event.pk])
    assert client.get(reverse("admin:directory_auditevent_changelist")).status_code == 200
    assert client.get(url).context["has_change_permission"] is False
    delete = reverse("admin:directory_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_both_roles_can_open_the_queues(curator_member_client, editor_member_client):
    for client in (curator_member_client, editor_member_client):
        for name in ("dueforverification", "feedback", "linkcheck", "auditevent"):
            assert client.get(reverse(f"admin:directory_{name}_changelist")).status_code == 200


def test_a_superuser_edits_a_published_listing_directly(admin_client):
    live = ResourceFactory()
    response = admin_client.get(resource_url("change", live))
    assert response.context["has_change_permission"] is True


def test_a_curator_may_discard_a_draft_change_but_not_the_listing(curator_member_client):
    live = ResourceFactory()
    curator_member_client.post(resource_url("propose_change", live))
    draft = Resource.objects.get(draft_of=live)
    response = curator_member_client.post(resource_url("delete", draft), {"post": "yes"})
    assert response.status_code == 302
    assert not Resource.objects.filter(pk=draft.pk).exists()
    assert (
        curator_member_client.post(resource_url("delete", live), {"post": "yes"}).status_code
        == 403
    )
    assert Resource.objects.filter(pk=live.pk).exists()
