"""Create the Curator and Editor groups (see directory.roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create
    # them now so the groups can be granted them in this migration.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    from directory.roles import sync_roles

    sync_roles(apps)


def delete_roles(apps, schema_editor):
    from directory.roles import CURATOR, EDITOR

    apps.get_model("auth", "Group").objects.filter(name__in=[CURATOR, EDITOR]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("directory", "0007_curation_history_feedback_linkchecks"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
