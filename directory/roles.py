"""The two staff roles, as Django groups, and the permissions each one holds.

- **Curator**: sees everything in the directory and guide; edits drafts and
  proposes changes to published listings (never edits them live); records
  verifications; runs link checks; moderates public feedback. Cannot
  publish, delete, import, or touch taxonomy.
- **Editor**: everything in the ``directory`` and ``guide`` apps, which
  includes reviewing and publishing, deleting, importing, and managing the
  taxonomy and search synonyms, plus the API keys' app.
- Superusers hold every permission without a group.

The groups are created by a data migration and brought up to date after
every ``migrate`` (``post_migrate``), so permissions of models added later,
such as the guide's, are granted without another migration. Syncing only
adds: a permission an administrator granted by hand is never taken away.
"""

from __future__ import annotations

from typing import Any

CURATOR = "Curator"
EDITOR = "Editor"

# The apps whose content the roles work on.
CONTENT_APPS = ("directory", "guide")
# Apps only editors manage in full (API keys live in their own app when installed).
EDITOR_EXTRA_APPS = ("rest_framework_api_key",)

# Models a curator may add and change (drafts and proposed changes), by app.
CURATOR_EDITS = {
    "directory": {
        "resource",
        "organization",
        "contactchannel",
        "schedule",
        "servicearea",
        "location",
        "feedback",
    },
}
CURATOR_EXTRA = {
    ("directory", "verify_resource"),
    ("directory", "run_checks"),
}


def _curator_may(app_label: str, codename: str) -> bool:
    action, _, model = codename.partition("_")
    if app_label == "guide":
        # Guide content has its own publication status; curators write drafts.
        return action in {"view", "add", "change"}
    if (app_label, codename) in CURATOR_EXTRA:
        return True
    if action == "view":
        return True
    return action in {"add", "change"} and model in CURATOR_EDITS.get(app_label, set())


def _is_record(codename: str) -> bool:
    """Audit events and history entries are records: nobody but a superuser rewrites them."""
    action, _, model = codename.partition("_")
    return action != "view" and (model == "auditevent" or model.startswith("historical"))


def sync_roles(apps: Any = None) -> None:
    """Create the groups if missing and grant each the permissions it should have.

    ``apps`` is the app registry (a migration passes its historical one).
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    permissions = list(
        Permission.objects.filter(
            content_type__app_label__in=(*CONTENT_APPS, *EDITOR_EXTRA_APPS)
        ).select_related("content_type")
    )
    curator, _ = Group.objects.get_or_create(name=CURATOR)
    editor, _ = Group.objects.get_or_create(name=EDITOR)
    editor.permissions.add(*(p for p in permissions if not _is_record(p.codename)))
    curator.permissions.add(
        *(
            p
            for p in permissions
            if p.content_type.app_label in CONTENT_APPS
            and not _is_record(p.codename)
            and _curator_may(p.content_type.app_label, p.codename)
        )
    )


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    if sender.label in (*CONTENT_APPS, *EDITOR_EXTRA_APPS):
        sync_roles(kwargs.get("apps"))
